"""API tokens: create (the secret is returned once), revoke, and resolve a presented token.

A token reads ``bci_<prefix>_<secret>``: ``prefix`` is 8 lower-case hex characters, public,
stored in clear and used to find the row; ``secret`` is 32 random bytes (URL-safe base64).
Only the SHA-256 of the whole token is stored. A slow password hash (argon2, PBKDF2) exists
to make guessing *low-entropy* human passwords expensive; 256 random bits cannot be guessed,
so one SHA-256 is as safe here and costs microseconds per request. The stored hash is
compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bci.core.events import record_event

from .errors import (
    InvalidTokenRequest,
    TokenAlreadyRevoked,
    TokenExpired,
    TokenMalformed,
    TokenNotFound,
    TokenRevoked,
    TokenUnknown,
    TokenUserInactive,
)
from .models import ApiToken
from .permissions import token_actions

TOKEN_RE = re.compile(r"^bci_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
PREFIX_RE = re.compile(r"^(?:bci_)?([0-9a-f]{8})$")
LAST_USED_EVERY = dt.timedelta(minutes=1)


def hash_token(raw):
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def _new_secret():
    return secrets.token_hex(4), secrets.token_urlsafe(32)


class ApplicationPrincipal:
    """``request.user`` for an application token: no roles, exactly the token's grants.

    ``bci.accounts.permissions`` reads ``granted`` (pairs of node and actions); it is not a
    User, so events record it by label (``str``), never as an actor.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, token):
        self.token = token
        self.granted = [(token.node, token_actions(token.permissions))]

    def __str__(self):
        return f"api-token bci_{self.token.prefix} ({self.token.name})"[:100]

    def has_perm(self, perm, obj=None):  # Django's own permission flags grant nothing here
        return False

    def has_perms(self, perms, obj=None):
        return False

    def has_module_perms(self, app_label):
        return False


def principal_for(token):
    """The principal a token acts as: its user (staff token) or an ApplicationPrincipal."""
    if token.kind == ApiToken.Kind.STAFF:
        return token.user
    return ApplicationPrincipal(token)


def _clean_permissions(permissions):
    chosen = []
    for name in permissions or ():
        name = str(name).strip()
        if name not in ApiToken.Permission.values:
            raise InvalidTokenRequest(
                reason=_("unknown permission %(name)s (known: %(known)s)")
                % {"name": name or "-", "known": ", ".join(ApiToken.Permission.values)}
            )
        if name not in chosen:
            chosen.append(name)
    return chosen


@transaction.atomic
def create_token(
    *,
    kind,
    name,
    user=None,
    node=None,
    permissions=(),
    expires_at=None,
    rate_limit=None,
    by=None,
    now=None,
):
    """Create a token; returns ``(token, raw)``. ``raw`` is never stored: show it once."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidTokenRequest(reason=_("a name of 1 to 100 characters is required"))
    if kind == ApiToken.Kind.STAFF:
        if user is None or node is not None or permissions:
            raise InvalidTokenRequest(
                reason=_("a staff token names a user and no scope or permissions")
            )
        if not user.is_active:
            raise InvalidTokenRequest(reason=_("the user %(user)s is disabled") % {"user": user})
        chosen = []
    elif kind == ApiToken.Kind.APPLICATION:
        if node is None or user is not None:
            raise InvalidTokenRequest(reason=_("an application token needs a scope node"))
        chosen = _clean_permissions(permissions)
        if not chosen:
            raise InvalidTokenRequest(reason=_("give the application at least one permission"))
    else:
        raise InvalidTokenRequest(reason=_("unknown kind %(kind)s") % {"kind": kind})
    if expires_at is not None and expires_at <= now:
        raise InvalidTokenRequest(reason=_("the expiry lies in the past"))
    if rate_limit is not None and not 1 <= rate_limit <= 100_000:
        raise InvalidTokenRequest(reason=_("the rate limit must be 1 to 100000 a minute"))
    for _attempt in range(5):  # 2^32 prefixes: a collision is rare, retry it
        prefix, secret = _new_secret()
        raw = f"bci_{prefix}_{secret}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    name=name,
                    kind=kind,
                    user=user,
                    node=node,
                    permissions=chosen,
                    prefix=prefix,
                    secret_hash=hash_token(raw),
                    rate_limit=rate_limit,
                    created_by=by if getattr(by, "pk", None) else None,
                    created_at=now,
                    expires_at=expires_at,
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - five collisions in 2^32
        raise InvalidTokenRequest(reason=_("no free prefix, try again"))
    record_event(
        "api_token.created",
        subject=token,
        by=by,
        where=node,
        now=now,
        prefix=prefix,
        token_kind=kind,
        name=name,
        user=user.get_username() if user else "",
        permissions=chosen,
    )
    return token, raw


def find_token(prefix):
    """The token with ``prefix`` ("1a2b3c4d" or "bci_1a2b3c4d"); raises TokenNotFound."""
    match = PREFIX_RE.match((prefix or "").strip())
    token = (
        ApiToken.objects.select_related("user", "node").filter(prefix=match.group(1)).first()
        if match
        else None
    )
    if token is None:
        raise TokenNotFound(prefix=(prefix or "-")[:20])
    return token


@transaction.atomic
def revoke_token(*, token, by=None, now=None):
    now = now or timezone.now()
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise TokenAlreadyRevoked(prefix=token.prefix)
    token.revoked_at = now
    token.revoked_by = by if getattr(by, "pk", None) else None
    token.save(update_fields=["revoked_at", "revoked_by"])
    record_event("api_token.revoked", subject=token, by=by, now=now, prefix=token.prefix)
    return token


def authenticate_token(raw, *, now=None):
    """The ApiToken behind the presented ``raw`` token, or a TokenAuthError (401).

    Marks the token used, writing at most once a minute per token.
    """
    now = now or timezone.now()
    match = TOKEN_RE.match(raw or "")
    if match is None:
        raise TokenMalformed()
    token = ApiToken.objects.select_related("user", "node").filter(prefix=match.group(1)).first()
    # Compare even when the prefix is unknown, so both answers take the same time.
    expected = token.secret_hash if token is not None else "0" * 64
    if not hmac.compare_digest(expected, hash_token(raw)) or token is None:
        raise TokenUnknown()
    if token.revoked_at is not None:
        raise TokenRevoked()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenExpired()
    if token.kind == ApiToken.Kind.STAFF and not token.user.is_active:
        raise TokenUserInactive()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
