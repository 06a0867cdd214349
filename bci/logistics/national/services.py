"""National interlibrary loan (landelijk IBL) writes.

Outbound (our item lent to a library outside the network): ``send_national`` at the
sending branch puts the item in an envelope with a slip carrying an outbound and a return
barcode and starts a transit branch -> national hub (reason IBL_OUT, funding IBL); the
night hub scans the outbound barcode as the envelope leaves for the partner
(``national_at_hub``: the transit ends there). When the envelope comes back, scanning its
return barcode (``receive_national_return``) closes the shipment and

- at the hub: starts a transit hub -> the item's home branch with reason IBL_IN (the
  national leg back in; it keeps IBL traffic countable apart from returns between our own
  branches, and its funding is the statutory IBL stream either way);
- at a branch of the sending library: checks the item in through circulation, which fills
  a waiting hold, sends it home or reshelves it, exactly as a desk check-in does.

Inbound (another library's item borrowed for our patron): ``request_national`` records the
request with its pick-up branch, ``national_arrived`` the envelope's arrival there and
``national_return_sent`` its way back. Foreign items get no Item row and no loan.

``scan_national`` takes any slip barcode and does what that barcode means where it is
scanned. Every function is one transaction and records a ``national.*`` event.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bci.catalogue.errors import ItemNotFound
from bci.catalogue.models import Item
from bci.catalogue.services import change_item_status
from bci.organisations.models import Node

from ..models import NationalShipment, Transit
from ..services import cancel_transit, create_transit, open_transit, receive_transit
from . import barcodes
from .common import (
    OPEN_STATUSES,
    D,
    S,
    clean_reference,
    create_shipment,
    find_shipment,
    hub_for,
    hub_of,
    lending_location,
    lock_shipment,
    move,
    partner,
    record,
)
from .errors import (
    AlreadyInShipment,
    InvalidNationalInput,
    ItemElsewhere,
    ItemNotSendable,
    ItemOnLoan,
    ShipmentState,
    WrongPlace,
)

# --- outbound -----------------------------------------------------------------------------


@transaction.atomic
def send_national(
    *, item_barcode, partner_isil, partner_name="", at, reference="", by=None, now=None
):
    """Lend our item at branch ``at`` to another library through the national hub."""
    now = now or timezone.now()
    lending_location(at)
    isil, name = partner(partner_isil, partner_name)
    reference = clean_reference(reference)
    barcode = (item_barcode or "").strip()
    item = Item.objects.select_for_update(of=("self",)).filter(barcode=barcode).first()
    if not barcode or item is None:
        raise ItemNotFound(barcode=barcode or "-")
    current = NationalShipment.objects.filter(item=item, status__in=OPEN_STATUSES).first()
    if current is not None:
        raise AlreadyInShipment(barcode=item.barcode, shipment=current.outbound_barcode)
    if item.status == Item.Status.ON_LOAN:
        raise ItemOnLoan(barcode=item.barcode)
    if item.status != Item.Status.AVAILABLE:
        raise ItemNotSendable(barcode=item.barcode, status=item.get_status_display())
    here = item.current_location_id or item.home_branch_id
    if here != at.pk:
        where = Node.objects.filter(pk=here).first()
        raise ItemElsewhere(barcode=item.barcode, where=str(where or "-"), at=str(at))
    hub = hub_for(at)
    try:
        with transaction.atomic():
            shipment = create_shipment(
                direction=D.OUT,
                status=S.SENT,
                location=at,
                now=now,
                item=item,
                title=item.record.title[:300],
                partner_isil=isil,
                partner_name=name,
                reference=reference,
                sent_at=now,
            )
    except IntegrityError as exc:  # a concurrent send of the same item won
        raise AlreadyInShipment(barcode=item.barcode, shipment="-") from exc
    shipment.transit = create_transit(
        item=item,
        from_node=at,
        to_node=hub,
        reason=Transit.Reason.IBL_OUT,
        reference=f"national:{shipment.pk}",
        by=by,
        now=now,
    )
    shipment.save(update_fields=["transit"])
    _travelling(item, at, by=by, now=now)
    record("sent", shipment, by=by, where=at, now=now, item=item.barcode, hub=hub.code)
    return shipment


def _travelling(item, where, *, by, now):
    """The item is on its national IBL way, last seen at ``where``."""
    change_item_status(
        item=item,
        to=Item.Status.IN_TRANSIT,
        by=by,
        where=where,
        reason="national_ibl",
        now=now,
        location=where,
    )


@transaction.atomic
def national_at_hub(*, outbound_barcode, at, by=None, now=None):
    """The night hub scans an outbound envelope as it leaves for the partner library: the
    transit from our branch ends there."""
    now = now or timezone.now()
    found = find_shipment(outbound_barcode, leg=barcodes.OUTBOUND)
    if found.direction != D.OUT or found.status != S.SENT:
        raise ShipmentState(
            barcode=found.outbound_barcode,
            status=found.get_status_display(),
            action=_("the hub scan"),
        )
    hub = hub_of(found)
    if at.pk != hub.pk:
        raise WrongPlace(barcode=found.outbound_barcode, expected=str(hub), at=str(at))
    item = Item.objects.select_for_update(of=("self",)).get(pk=found.item_id)
    shipment = lock_shipment(found)
    transit = open_transit(item, lock=True)
    if transit is None or transit.pk != shipment.transit_id:
        raise ShipmentState(
            barcode=shipment.outbound_barcode,
            status=_("already past the hub"),
            action=_("the hub scan"),
        )
    receive_transit(transit=transit, at=hub, by=by, now=now)
    _travelling(item, hub, by=by, now=now)
    record("at_hub", shipment, by=by, where=hub, now=now, item=item.barcode)
    return shipment


@dataclass
class NationalReturn:
    shipment: NationalShipment
    action: str  # transit (hub -> home) or what the check-in did: hold_shelf/transit/reshelve
    destination: Node | None
    transit: Transit | None = None


@transaction.atomic
def receive_national_return(*, return_barcode, at, by=None, now=None):
    """Our item is back: at the hub it travels on home (IBL_IN), at a branch of the sending
    library it is checked in through circulation."""
    now = now or timezone.now()
    found = find_shipment(return_barcode, leg=barcodes.RETURN)
    if found.direction != D.OUT:
        raise ShipmentState(
            barcode=found.outbound_barcode,
            status=found.get_direction_display(),
            action=_("receiving our item back"),
        )
    at_hub = at.kind == Node.Kind.HUB
    hub = hub_of(found)
    library = found.location.organisation
    at_library = (
        at.kind in Node.Kind.lending_kinds() and library is not None and at.is_within(library)
    )
    if (at_hub and at.pk != hub.pk) or not (at_hub or at_library):
        expected = f"{hub} / {library or found.location}"
        raise WrongPlace(barcode=found.return_barcode, expected=expected, at=str(at))
    item = Item.objects.select_for_update(of=("self",)).get(pk=found.item_id)
    shipment = lock_shipment(found)
    move(shipment, S.RETURNED, _("receiving our item back"), direction=D.OUT)
    shipment.returned_at = now
    shipment.save(update_fields=["status", "returned_at"])
    transit = open_transit(item, lock=True)
    if transit is not None and at_hub and transit.to_node_id == at.pk:
        receive_transit(transit=transit, at=at, by=by, now=now)
    elif transit is not None:  # never scanned on its way out, or re-routed meanwhile
        cancel_transit(transit=transit, reason="back from national IBL", by=by, now=now)
    if at_hub:
        home = Node.objects.get(pk=item.home_branch_id)
        back = create_transit(
            item=item,
            from_node=at,
            to_node=home,
            reason=Transit.Reason.IBL_IN,
            reference=f"national:{shipment.pk}",
            by=by,
            now=now,
        )
        _travelling(item, at, by=by, now=now)
        result = NationalReturn(shipment, "transit", home, back)
    else:
        # circulation comes before logistics; this back-edge is the one receive_crate takes
        from bci.circulation.services import checkin_item

        routing = checkin_item(item_barcode=item.barcode, branch=at, by=by, now=now).routing
        result = NationalReturn(shipment, routing.action, routing.destination, routing.transit)
    record(
        "returned",
        shipment,
        by=by,
        where=at,
        now=now,
        item=item.barcode,
        action=result.action,
        to=result.destination.code if result.destination else "",
    )
    return result


# --- inbound ------------------------------------------------------------------------------


@transaction.atomic
def request_national(
    *, title, partner_isil, partner_name="", pickup_location, reference="", by=None, now=None
):
    """Record a request to borrow another library's item for pick-up at our branch."""
    now = now or timezone.now()
    title = (title or "").strip()
    if not title or len(title) > 300:
        raise InvalidNationalInput(problem=_("the title needs 1-300 characters"))
    lending_location(pickup_location)
    isil, name = partner(partner_isil, partner_name)
    shipment = create_shipment(
        direction=D.IN,
        status=S.REQUESTED,
        location=pickup_location,
        now=now,
        title=title,
        partner_isil=isil,
        partner_name=name,
        reference=clean_reference(reference),
    )
    record("requested", shipment, by=by, where=pickup_location, now=now)
    return shipment


@transaction.atomic
def national_arrived(*, outbound_barcode, at, by=None, now=None):
    """The partner's envelope arrived at the pick-up branch ``at``."""
    now = now or timezone.now()
    shipment = lock_shipment(find_shipment(outbound_barcode, leg=barcodes.OUTBOUND))
    move(shipment, S.ARRIVED, _("arrival"), direction=D.IN)
    if at.pk != shipment.location_id:
        raise WrongPlace(
            barcode=shipment.outbound_barcode, expected=str(shipment.location), at=str(at)
        )
    shipment.arrived_at = now
    shipment.save(update_fields=["status", "arrived_at"])
    record("arrived", shipment, by=by, where=at, now=now)
    return shipment


@transaction.atomic
def national_return_sent(*, return_barcode, by=None, at=None, now=None):
    """The borrowed item leaves the pick-up branch on its way back to its library."""
    now = now or timezone.now()
    shipment = lock_shipment(find_shipment(return_barcode, leg=barcodes.RETURN))
    move(shipment, S.RETURN_SENT, _("sending back"), direction=D.IN)
    if at is not None and at.pk != shipment.location_id:
        raise WrongPlace(
            barcode=shipment.return_barcode, expected=str(shipment.location), at=str(at)
        )
    shipment.returned_at = now
    shipment.save(update_fields=["status", "returned_at"])
    record("return_sent", shipment, by=by, where=at or shipment.location, now=now)
    return shipment


@transaction.atomic
def cancel_national(*, barcode, reason, by=None, now=None):
    """Undo a shipment that has not left: an outbound envelope still at the branch (its
    item is available there again), or an inbound request not yet arrived."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidNationalInput(problem=_("say why the shipment is cancelled"))
    found = find_shipment(barcode)
    item = None
    if found.item_id:
        item = Item.objects.select_for_update(of=("self",)).get(pk=found.item_id)
    shipment = lock_shipment(found)
    move(shipment, S.CANCELLED, _("cancelling"), direction=shipment.direction)
    if item is not None:
        transit = open_transit(item, lock=True)
        if (
            transit is None
            or transit.pk != shipment.transit_id
            or (transit.status != Transit.Status.CREATED)
        ):
            raise ShipmentState(
                barcode=shipment.outbound_barcode, status=_("on its way"), action=_("cancelling")
            )
        cancel_transit(transit=transit, reason=f"national IBL cancelled: {reason}", by=by, now=now)
        change_item_status(
            item=item,
            to=Item.Status.AVAILABLE,
            by=by,
            where=shipment.location,
            reason="national_ibl_cancelled",
            now=now,
            location=shipment.location,
        )
    shipment.save(update_fields=["status"])
    record("cancelled", shipment, by=by, where=shipment.location, now=now, reason=reason[:200])
    return shipment


# --- one scan -----------------------------------------------------------------------------


def scan_national(*, barcode, at, by=None, now=None):
    """Whatever a slip barcode scanned at ``at`` means: an outbound envelope leaving the
    hub, our item back, a borrowed item arrived, a borrowed item sent back."""
    shipment = find_shipment(barcode)
    outbound = barcodes.parse(barcode)[0] == barcodes.OUTBOUND
    if shipment.direction == D.OUT and outbound:
        return national_at_hub(outbound_barcode=barcode, at=at, by=by, now=now)
    if shipment.direction == D.OUT:
        return receive_national_return(return_barcode=barcode, at=at, by=by, now=now).shipment
    if outbound:
        return national_arrived(outbound_barcode=barcode, at=at, by=by, now=now)
    return national_return_sent(return_barcode=barcode, at=at, by=by, now=now)
