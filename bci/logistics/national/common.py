"""Shared pieces of the national IBL services: the shipment status table, partner and
input checks, which hub serves a branch, what a shipment costs, finding a shipment by a
scanned slip barcode."""

import re
import uuid
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from stdnum import isil as stdnum_isil

from bci.core.events import record_event
from bci.organisations.models import Node
from bci.organisations.queries import resolve_setting

from ..models import NationalShipment
from ..routing.problem import haversine_km
from . import barcodes
from .errors import (
    InvalidIsil,
    InvalidNationalInput,
    NoHub,
    NotALocation,
    NotANationalBarcode,
    PartnerInNetwork,
    ShipmentState,
    UnknownNationalBarcode,
    WrongLeg,
)

S = NationalShipment.Status
D = NationalShipment.Direction
DEFAULT_COST = Decimal("2.70")
OPEN_STATUSES = (S.REQUESTED, S.SENT, S.ARRIVED)
DUTCH_ISIL = re.compile(r"^[Nn][Ll]-[A-Za-z0-9:/.-]{1,11}$")

# The shipment status transition table per direction: from -> the statuses it may move to.
TRANSITIONS = {
    D.OUT: {S.SENT: {S.RETURNED, S.CANCELLED}, S.RETURNED: set(), S.CANCELLED: set()},
    D.IN: {
        S.REQUESTED: {S.ARRIVED, S.CANCELLED},
        S.ARRIVED: {S.RETURN_SENT},
        S.RETURN_SENT: set(),
        S.CANCELLED: set(),
    },
}


def can_transition(direction, old, new):
    return new in TRANSITIONS.get(direction, {}).get(old, set())


# --- pieces -------------------------------------------------------------------------------


def clean_isil(value):
    """A Dutch ISIL (``NL-`` + the library's identifier) in its standard form."""
    text = (value or "").strip()
    # python-stdnum checks the agency prefix and the length; it lets an empty
    # identifier ("NL-") pass, so the part after the prefix is checked here too
    if not DUTCH_ISIL.match(text) or not stdnum_isil.is_valid(text):
        raise InvalidIsil(isil=text[:40])
    return stdnum_isil.format(text)


def partner(partner_isil, partner_name):
    isil = clean_isil(partner_isil)
    ours = Node.objects.filter(code__iexact=isil).first()
    if ours is not None:
        raise PartnerInNetwork(isil=isil, name=ours.name)
    name = (partner_name or "").strip()
    if len(name) > 200:
        raise InvalidNationalInput(problem=_("the partner's name is longer than 200 characters"))
    return isil, name


def clean_reference(reference):
    reference = (reference or "").strip()
    if len(reference) > 64:
        raise InvalidNationalInput(problem=_("the request number is longer than 64 characters"))
    return reference


def lending_location(node):
    if (
        not isinstance(node, Node)
        or node.kind not in Node.Kind.lending_kinds()
        or not node.is_active
    ):
        raise NotALocation(node=str(node))
    return node


def hub_for(node):
    """The national IBL hub that serves ``node``: its ``national_hub`` setting (a hub's
    code), else a hub under its POI, else the nearest hub of the network."""
    code = resolve_setting(node, "national_hub", None)
    hubs = Node.objects.filter(kind=Node.Kind.HUB, is_active=True)
    if code:
        chosen = hubs.filter(code=code).first()
        if chosen is not None:
            return chosen
    poi = node.poi
    candidates = list(hubs.filter(path__startswith=poi.path)) if poi else []
    candidates = candidates or list(hubs)
    if not candidates:
        raise NoHub(node=str(node))
    if node.has_coordinates:
        placed = [h for h in candidates if h.has_coordinates]
        if placed:
            return min(
                placed,
                key=lambda h: haversine_km(node.latitude, node.longitude, h.latitude, h.longitude),
            )
    return candidates[0]


def shipment_cost(node):
    """The ``national_ibl_cost`` setting nearest ``node`` (EUR per shipment), else 2.70."""
    value = resolve_setting(node, "national_ibl_cost", None)
    try:
        cost = Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else None
    except (InvalidOperation, ValueError):
        cost = None
    return cost if cost is not None and cost >= 0 else DEFAULT_COST


def create_shipment(*, direction, status, location, now, **fields):
    """A new shipment with its two barcodes (numbered by its id, see barcodes.py)."""
    placeholder = f"~{uuid.uuid4().hex}"[:31]  # replaced before anyone can see it
    shipment = NationalShipment.objects.create(
        direction=direction,
        status=status,
        location=location,
        created_at=now,
        cost=shipment_cost(location),
        outbound_barcode=placeholder,
        return_barcode=placeholder + "r",
        **fields,
    )
    shipment.outbound_barcode, shipment.return_barcode = barcodes.barcodes_for(shipment.pk)
    shipment.save(update_fields=["outbound_barcode", "return_barcode"])
    return shipment


def find_shipment(barcode, *, leg=None):
    """The shipment a scanned slip barcode names (not locked). With ``leg``, a barcode of
    the other leg is refused with a hint."""
    parsed = barcodes.parse(barcode)
    if parsed is None:
        raise NotANationalBarcode(barcode=(barcode or "").strip()[:40])
    code = barcodes.normalise(barcode)
    field = "outbound_barcode" if parsed[0] == barcodes.OUTBOUND else "return_barcode"
    shipment = (
        NationalShipment.objects.select_related("location", "item", "transit__to_node")
        .filter(**{field: code})
        .first()
    )
    if shipment is None:
        raise UnknownNationalBarcode(barcode=code)
    if leg is not None and parsed[0] != leg:
        names = {barcodes.OUTBOUND: _("outbound"), barcodes.RETURN: _("return")}
        raise WrongLeg(barcode=code, leg=names[parsed[0]], expected=names[leg])
    return shipment


def lock_shipment(shipment):
    return NationalShipment.objects.select_for_update(of=("self",)).get(pk=shipment.pk)


def move(shipment, status, action, *, direction):
    if shipment.direction != direction or not can_transition(
        shipment.direction, shipment.status, status
    ):
        raise ShipmentState(
            barcode=shipment.outbound_barcode, status=shipment.get_status_display(), action=action
        )
    shipment.status = status


def record(kind, shipment, *, by, where, now, **data):
    record_event(
        f"national.{kind}",
        subject=shipment,
        by=by,
        where=where,
        now=now,
        outbound=shipment.outbound_barcode,
        partner=shipment.partner_isil,
        **data,
    )


def hub_of(shipment):
    if shipment.transit_id:
        return Node.objects.get(pk=shipment.transit.to_node_id)
    return hub_for(shipment.location)
