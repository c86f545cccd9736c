"""Errors in one shape for the whole API: {status, code, detail, errors}.

`api_exception_handler` is DRF's EXCEPTION_HANDLER; `not_found` and `server_error` are the
site's handler404/handler500, answering JSON under /api/ and the site's pages elsewhere.
`server_error` answers a database outage with 503 and Retry-After (newsroom/outage.py).
"""

from __future__ import annotations

import sys

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from rest_framework import exceptions
from rest_framework.views import exception_handler

from newsroom import outage


def error_body(status_code: int, code: str, detail: str, errors: dict | None = None) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or {}}


def api_exception_handler(exc, context):
    """Every API error as {status, code, detail, errors}."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        errors = {
            k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()
        }
        names = ", ".join(errors)
        response.data = error_body(response.status_code, "invalid", f"Invalid: {names}.", errors)
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else str(data)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(response.status_code, str(code), str(detail))
    return response


def not_found(request, exception=None):
    """404 for the whole site: JSON under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(404, "not_found", "No such API resource."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500 for the whole site, or 503 when the database is unavailable."""
    # Django calls handler500 from inside its `except` block, for an exception raised
    # anywhere in the stack (middleware too), so the exception is still the current one.
    if outage.is_outage(sys.exception()):
        return unavailable(request)
    if request.path.startswith("/api/"):
        body = error_body(500, "server_error", "Something went wrong on our side.")
        return JsonResponse(body, status=500)
    return defaults.server_error(request)


def unavailable(request):
    """503 with Retry-After while the database is away (newsroom/outage.py): JSON on the API
    and /healthz, the error page elsewhere."""
    if request.path == "/healthz":
        response = JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    elif request.path.startswith("/api/"):
        detail = "The database is unavailable; try again shortly."
        response = JsonResponse(error_body(503, "service_unavailable", detail), status=503)
    else:
        # The 500 page says "try again in a moment", which is the advice here too. It is
        # rendered without a request context: nothing on it may need the database.
        response = HttpResponse(loader.get_template("500.html").render(), status=503)
    response["Retry-After"] = str(outage.RETRY_AFTER)
    response["Cache-Control"] = "no-store"  # no proxy may keep the outage past its end
    return response
