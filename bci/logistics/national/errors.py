"""Refusals of national IBL: one stable code each, one translated message."""

from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError, InvalidInput


class InvalidIsil(InvalidInput):
    code = "invalid_isil"
    message = _(
        "%(isil)r is not a Dutch library ISIL code (NL- followed by the library's number, "
        "e.g. NL-0800010000)."
    )


class PartnerInNetwork(DomainError):
    code = "partner_in_network"
    message = _(
        "%(isil)s is a location of this network (%(name)s): place a hold instead of a "
        "national interlibrary loan."
    )


class InvalidNationalInput(InvalidInput):
    code = "invalid_national_input"
    message = _("The shipment is incomplete: %(problem)s.")


class NotANationalBarcode(InvalidInput):
    code = "not_a_national_barcode"
    message = _(
        "%(barcode)r is not a national IBL barcode (IBLO... or IBLR... with a correct check "
        "character)."
    )


class UnknownNationalBarcode(DomainError):
    code = "unknown_national_barcode"
    message = _("No national IBL shipment has barcode %(barcode)s.")
    status = 404


class WrongLeg(DomainError):
    code = "wrong_leg"
    message = _("%(barcode)s is the %(leg)s barcode; scan the %(expected)s barcode.")


class ItemNotSendable(DomainError):
    code = "item_not_sendable"
    message = _("Item %(barcode)s is %(status)s: only an available item can be sent.")


class ItemOnLoan(ItemNotSendable):
    code = "item_on_loan"
    message = _("Item %(barcode)s is on loan: check it in before sending it.")


class ItemElsewhere(DomainError):
    code = "item_elsewhere"
    message = _("Item %(barcode)s is at %(where)s, not at %(at)s.")


class AlreadyInShipment(DomainError):
    code = "already_in_shipment"
    message = _("Item %(barcode)s is already in national IBL shipment %(shipment)s.")


class NotALocation(DomainError):
    code = "not_a_national_location"
    message = _("%(node)s is not a location that sends or receives national IBL shipments.")


class NoHub(DomainError):
    code = "no_national_hub"
    message = _("No national IBL hub serves %(node)s.")


class ShipmentState(DomainError):
    code = "shipment_state"
    message = _("Shipment %(barcode)s is %(status)s: %(action)s is not possible now.")


class WrongPlace(DomainError):
    code = "wrong_national_location"
    message = _("Shipment %(barcode)s is handled at %(expected)s, not at %(at)s.")
