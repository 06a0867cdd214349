from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError, InvalidInput, NotFound


class PatronNotFound(NotFound):
    code = "patron_not_found"
    message = _("No patron found.")


class CardNotFound(NotFound):
    code = "card_not_found"
    message = _("No patron card with number %(barcode)s.")


class CardInactive(DomainError):
    code = "card_inactive"
    message = _("Card %(barcode)s is no longer valid (replaced or withdrawn).")


class DuplicateCard(DomainError):
    code = "duplicate_card"
    message = _("Card number %(barcode)s is already in use.")


class InvalidPin(InvalidInput):
    code = "invalid_pin"
    message = _("A PIN consists of 4 to 8 digits.")


class WrongPin(DomainError):
    code = "wrong_pin"
    message = _("The PIN is not correct.")
    status = 403


class InvalidCategory(InvalidInput):
    code = "invalid_category"
    message = _("Subscription %(category)s is not offered by %(organisation)s.")


class NotAnOrganisation(InvalidInput):
    code = "not_an_organisation"
    message = _("%(node)s is not a library organisation.")


class GuestAtHomeLibrary(DomainError):
    code = "guest_at_home_library"
    message = _("A patron cannot be a guest at their own library.")


class AlreadyGuest(DomainError):
    code = "already_guest"
    message = _("This patron is already registered as a guest at %(organisation)s.")


class BlockNotActive(DomainError):
    code = "block_not_active"
    message = _("This block has already been lifted.")


class MissingReason(InvalidInput):
    code = "missing_reason"
    message = _("Give a reason.")


class InvalidPatronData(InvalidInput):
    code = "invalid_patron_data"
    message = _("The patron data are not valid: %(detail)s")
