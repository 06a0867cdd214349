from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError, InvalidInput


class InvalidResetLink(DomainError):
    code = "invalid_reset_link"
    message = _("This link is not valid (any more). Ask for a new one.")


class PinMismatch(InvalidInput):
    code = "pin_mismatch"
    message = _("The two new PINs are not the same.")


class HoldNotYours(DomainError):
    code = "hold_not_found"
    message = _("No such hold.")
    status = 404


class PickupChangeNotPossible(DomainError):
    code = "pickup_change_not_possible"
    message = _(
        "The pick-up branch can only be changed while the hold is waiting (now: %(status)s)."
    )


class InvalidRegistration(InvalidInput):
    code = "invalid_registration"
    message = _("The registration is not complete: %(detail)s")


class RegistrationNotPending(DomainError):
    code = "registration_not_pending"
    message = _("This registration has already been handled.")
