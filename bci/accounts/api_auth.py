"""Authentication for the REST API: a staff session (with CSRF) or a bearer token.

Staff routers say ``auth=STAFF_AUTH``. ninja tries each in turn: a request carrying
``Authorization: Bearer ...`` is judged by its token alone (a bad token is a 401 with a
``{"code", "message"}`` body, never a fall-back to the session); a request without one
falls through to the session. ``request.user`` becomes the token's principal, which
``bci.accounts.permissions.can``/``restrict`` understand.

Rate limit: per token, ``BCI_API_RATE_LIMIT`` requests a minute (default 120) or the
token's own ``rate_limit``, counted in Django's cache in fixed one-minute windows. Past it:
429, ``Retry-After`` (added by the DomainError handler in config/api.py) and
``{"code": "rate_limited", ...}``.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from ninja.security import HttpBearer, django_auth

from .errors import NotAuthenticated, RateLimited, TokenMalformed
from .tokens import authenticate_token, principal_for

DEFAULT_RATE_LIMIT = 120  # requests a minute per token
WINDOW = 60  # seconds


def rate_limit_for(token):
    return token.rate_limit or getattr(settings, "BCI_API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def check_rate(token, *, clock=time.time):
    """Count one request for ``token``; raise RateLimited past its limit this minute."""
    now = clock()
    window = int(now // WINDOW)
    key = f"bci:api-rate:{token.prefix}:{window}"
    cache.add(key, 0, timeout=WINDOW + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=WINDOW + 5)
        count = 1
    if count > rate_limit_for(token):
        retry_after = max(1, math.ceil((window + 1) * WINDOW - now))
        raise RateLimited(retry_after=retry_after)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer bci_<prefix>_<secret>`` (OpenAPI: http bearer scheme)."""

    def __call__(self, request):
        value = request.headers.get(self.header)
        if not value:
            return None  # no token: let the next method (the session) decide
        scheme, _sep, raw = value.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme:
            raise TokenMalformed()
        return self.authenticate(request, raw.strip())

    def authenticate(self, request, token):
        api_token = authenticate_token(token)
        check_rate(api_token)
        principal = principal_for(api_token)
        request.user = principal
        request.api_token = api_token
        return principal


def refuse_anonymous(request):
    """Last in the chain: neither a token nor a staff session. A clear 401 body."""
    raise NotAuthenticated()


STAFF_AUTH = [TokenAuth(), django_auth, refuse_anonymous]
