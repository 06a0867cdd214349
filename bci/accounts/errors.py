"""Refusals of the accounts app: API token authentication and management."""

from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError, InvalidInput, NotFound


class TokenAuthError(DomainError):
    """The request's bearer token does not authenticate (HTTP 401)."""

    status = 401
    code = "invalid_token"
    message = _("The API token is not valid.")


class NotAuthenticated(TokenAuthError):
    code = "not_authenticated"
    message = _("Log in as staff or send an API token: 'Authorization: Bearer bci_...'.")


class TokenMalformed(TokenAuthError):
    code = "malformed_token"
    message = _("The Authorization header must be 'Bearer bci_<prefix>_<secret>'.")


class TokenUnknown(TokenAuthError):
    code = "invalid_token"
    message = _("The API token is not valid.")


class TokenRevoked(TokenAuthError):
    code = "token_revoked"
    message = _("The API token has been revoked.")


class TokenExpired(TokenAuthError):
    code = "token_expired"
    message = _("The API token has expired.")


class TokenUserInactive(TokenAuthError):
    code = "token_user_inactive"
    message = _("The staff account behind this API token is disabled.")


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    message = _("Too many requests with this API token: try again in %(retry_after)s seconds.")

    @property
    def retry_after(self):
        return self.params.get("retry_after", 60)

    def as_dict(self):
        return {**super().as_dict(), "retry_after": self.retry_after}


class TokenNotFound(NotFound):
    code = "token_not_found"
    message = _("No API token with prefix %(prefix)s.")


class TokenAlreadyRevoked(DomainError):
    code = "token_already_revoked"
    message = _("The API token bci_%(prefix)s was already revoked.")


class InvalidTokenRequest(InvalidInput):
    code = "invalid_token_request"
    message = _("The API token cannot be created: %(reason)s")
