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


class UnknownBarcode(DomainError):
    code = "unknown_barcode"
    message = _("No item or crate has barcode %(barcode)s.")
    status = 404


class NoOpenTransit(DomainError):
    code = "no_open_transit"
    message = _("Item %(barcode)s is not in transit.")


class WrongCrate(DomainError):
    code = "wrong_crate"
    message = _("Item %(barcode)s travels to %(to)s; crate %(crate)s goes to %(crate_to)s.")


class CrateElsewhere(DomainError):
    code = "crate_elsewhere"
    message = _("Crate %(crate)s is %(where)s, not at %(at)s.")


class CrateWrongBranch(DomainError):
    code = "crate_wrong_branch"
    message = _("Crate %(crate)s goes to %(to)s, not to %(at)s.")


class CrateState(DomainError):
    code = "crate_state"
    message = _("Crate %(crate)s is %(status)s: %(action)s is not possible now.")
