"""Signing in to the desk is rate-limited (django-axes, configured in settings).

After AXES_FAILURE_LIMIT wrong passwords for one username from one address, that username
is refused from that address for AXES_COOLOFF_TIME, right password or not, with a 429 page
that says so. Other usernames, and the same username from elsewhere, are unaffected, and
the client's address is the one the API throttle trusts: a forged X-Forwarded-For changes
nothing unless NEWSROOM_NUM_PROXIES says a proxy wrote it.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
WRONG = "not the password"


@pytest.fixture(autouse=True)
def fast_hashes(settings):
    # Every attempt checks a password: the production hasher's 10^6 rounds cost a minute here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor():
    return UserFactory(username="ada", is_staff=True)


def sign_in(client, username, password, address="198.51.100.7", **headers):
    return client.post(
        f"{LOGIN}?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        headers=headers,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_until_locked(client, settings, username="ada", **kwargs):
    """Wrong passwords up to the limit: the last one is answered with the lock-out."""
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = sign_in(client, username, WRONG, **kwargs)
        if attempt < settings.AXES_FAILURE_LIMIT:
            assert response.status_code == 200, attempt  # the form, with its error
            assert b"correct username and password" in response.content
    return response


def test_the_limit_is_five_failures_for_fifteen_minutes(settings):
    limit, cool_off = settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME
    assert (limit, cool_off) == (5, timedelta(minutes=15))


def test_wrong_passwords_lock_the_username_even_with_the_right_one(client, editor, settings):
    locked = fail_until_locked(client, settings)
    assert locked.status_code == 429
    response = sign_in(client, "ada", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "paused for 15 minutes" in page


def test_the_lock_ends_after_the_cool_off(client, editor, settings):
    fail_until_locked(client, settings)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = sign_in(client, "ada", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_another_username_and_another_address_are_not_locked(client, editor, settings):
    UserFactory(username="grace", is_staff=True)
    fail_until_locked(client, settings, address="198.51.100.7")

    assert sign_in(client, "grace", PASSWORD, address="198.51.100.7").status_code == 302
    client.logout()
    # Nobody can lock an editor out from elsewhere: the lock is per username and address.
    assert sign_in(client, "ada", PASSWORD, address="203.0.113.9").status_code == 302
    assert signed_in(client)


def test_a_forged_forwarded_for_does_not_escape_the_lock(client, editor, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        # A fresh made-up address each time: with no proxy in front, it is not believed.
        response = sign_in(client, "ada", WRONG, X_FORWARDED_FOR=f"10.9.9.{attempt}")
    assert response.status_code == 429
    response = sign_in(client, "ada", PASSWORD, X_FORWARDED_FOR="10.9.9.200")
    assert response.status_code == 429
    assert not signed_in(client)


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(client, editor, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"  # every request reaches the app from the load balancer
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        # The client forges the left of the header; the proxy appends the real address.
        forwarded = f"10.9.9.{attempt}, 203.0.113.5"
        response = sign_in(client, "ada", WRONG, address=proxy, X_FORWARDED_FOR=forwarded)
    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"

    # Another reader behind the same proxy is another address.
    response = sign_in(client, "ada", PASSWORD, address=proxy, X_FORWARDED_FOR="203.0.113.6")
    assert response.status_code == 302


def test_a_successful_sign_in_starts_the_count_afresh(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "ada", WRONG)
    assert sign_in(client, "ada", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "ada", WRONG).status_code == 200
    assert sign_in(client, "ada", PASSWORD).status_code == 302
