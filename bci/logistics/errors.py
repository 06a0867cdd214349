from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError, InvalidInput


class TransitAlreadyOpen(DomainError):
    code = "transit_already_open"
    message = _("Item %(barcode)s is already in transit to %(to)s.")


class TransitNotOpen(DomainError):
    code = "transit_not_open"
    message = _("This transit is already %(status)s.")


class WrongDestination(DomainError):
    code = "wrong_destination"
    message = _("This item travels to %(to)s, not to %(at)s.")


class InvalidTransit(InvalidInput):
    code = "invalid_transit"
    message = _("A transit needs two different locations.")
