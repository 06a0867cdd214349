"""Domain errors: one stable snake_case code per refusal, one translated message.

The same code reaches the HTML form, the API error body and the SIP2 screen message.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    message = _("The operation was refused.")
    status = 400  # HTTP status the API uses for this refusal

    def __init__(self, message=None, *, code=None, **params):
        if code:
            self.code = code
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(str(self))

    def __str__(self):
        text = str(self.message)
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError, ValueError):
            return text

    def as_dict(self):
        return {"code": self.code, "message": str(self)}


class NotFound(DomainError):
    code = "not_found"
    message = _("Not found.")
    status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    message = _("You are not allowed to do this.")
    status = 403


class InvalidInput(DomainError):
    code = "invalid_input"
    message = _("The input is not valid.")
