"""Crates and scans along the way (writes): pack at a branch or the depot, collect onto a
van, unload and sort at the depot, deliver, receive a whole crate at the destination.

Hub and spoke: at a branch, a crate is filled for the depot that serves the branch; at a
depot, items are re-sorted into crates per destination branch, or per depot when the
destination is served by another depot. Every step moves the crate's transits and writes
a scan event (``transit.<status>``: who, where, when, which crate) in the same transaction.
Receiving a crate checks each item in through circulation, so a hold's copy lands on the
hold shelf exactly as when it is scanned at the desk.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from bci.catalogue.models import Item
from bci.core.errors import DomainError
from bci.core.events import record_event
from bci.organisations.models import Node
from bci.organisations.queries import resolve_setting

from .errors import (
    CrateElsewhere,
    CrateState,
    CrateWrongBranch,
    NoOpenTransit,
    UnknownBarcode,
    WrongCrate,
)
from .models import Crate, Transit
from .plans import note_arrival
from .routing.problem import haversine_km
from .services import open_transit


def depot_for(node):
    """The depot that serves ``node``: its ``depot`` setting, else its POI's nearest."""
    if node.kind == Node.Kind.DEPOT:
        return node
    code = resolve_setting(node, "depot", None)
    if code:
        chosen = Node.objects.filter(code=code, kind=Node.Kind.DEPOT).first()
        if chosen is not None:
            return chosen
    poi = node.poi
    if poi is None:
        return None
    depots = list(
        Node.objects.filter(path__startswith=poi.path, kind=Node.Kind.DEPOT, is_active=True)
    )
    placed = [d for d in depots if d.has_coordinates]
    if node.has_coordinates and placed:
        return min(
            placed,
            key=lambda d: haversine_km(node.latitude, node.longitude, d.latitude, d.longitude),
        )
    return depots[0] if depots else None


def next_hop(at, to_node):
    """Where a crate packed at ``at`` for an item going to ``to_node`` goes next."""
    if at.kind != Node.Kind.DEPOT:
        return depot_for(at)
    target_depot = depot_for(to_node)
    if target_depot is None or target_depot.pk == at.pk:
        return to_node
    return target_depot


def _crate(barcode, *, lock=True):
    qs = Crate.objects.select_related("destination", "location", "home")
    if lock:
        qs = qs.select_for_update(of=("self",))
    crate = qs.filter(barcode=(barcode or "").strip()).first()
    if crate is None:
        raise UnknownBarcode(barcode=barcode)
    return crate


def _where(crate):
    if crate.location is None:
        return "on a van"
    return f"at {crate.location.code}"


def _move(transit, status, *, by, now, where, crate, **fields):
    if not Transit.can_transition(transit.status, status):
        raise CrateState(crate=crate.barcode, status=transit.get_status_display(), action=status)
    transit.status = status
    for key, value in fields.items():
        setattr(transit, key, value)
    transit.save()
    record_event(
        f"transit.{status}",
        subject=transit,
        by=by,
        where=where,
        now=now,
        barcode=transit.item.barcode,
        crate=crate.barcode,
    )


def _arriving(barcode, at, action):
    """The locked crate ``barcode``, on a van bound for ``at``; else why ``action`` can't be."""
    crate = _crate(barcode)
    if crate.status != Crate.Status.ON_VAN:
        raise CrateState(crate=crate.barcode, status=crate.get_status_display(), action=action)
    if crate.destination_id != at.pk:
        raise CrateWrongBranch(crate=crate.barcode, to=crate.destination.code, at=at.code)
    return crate


def _contents(crate):
    return list(
        Transit.objects.select_for_update(of=("self",))
        .filter(crate=crate, status__in=Transit.OPEN_STATUSES)
        .select_related("item", "to_node")
        .order_by("pk")
    )


@transaction.atomic
def register_crate(*, barcode, home, by=None, now=None):
    """A new empty crate kept at depot ``home``."""
    barcode = (barcode or "").strip()
    if not barcode or len(barcode) > 32:
        raise DomainError(code="invalid_crate", message="A crate barcode has 1-32 characters.")
    if home.kind != Node.Kind.DEPOT:
        raise DomainError(code="invalid_crate", message=f"{home.code} is not a depot.")
    crate, _created = Crate.objects.get_or_create(
        barcode=barcode,
        defaults={"home": home, "location": home, "updated_at": now or timezone.now()},
    )
    return crate


@transaction.atomic
def pack_item(*, crate_barcode, item_barcode, at, by=None, now=None):
    """Scan an item into a crate at ``at``. The first item fixes the crate's destination."""
    now = now or timezone.now()
    crate = _crate(crate_barcode)
    item = Item.objects.filter(barcode=(item_barcode or "").strip()).first()
    if item is None:
        raise UnknownBarcode(barcode=item_barcode)
    transit = open_transit(item, lock=True)
    if transit is None:
        raise NoOpenTransit(barcode=item.barcode)
    if crate.status not in (Crate.Status.EMPTY, Crate.Status.PACKING) or (
        crate.location_id != at.pk
    ):
        raise CrateElsewhere(crate=crate.barcode, where=_where(crate), at=at.code)
    # at a depot: items unloaded there to be re-sorted, and items that start there (new
    # stock from the supplier); at a branch: items that start there
    starts_here = transit.from_node_id == at.pk and transit.status == Transit.Status.CREATED
    if at.kind == Node.Kind.DEPOT:
        ready = transit.status == Transit.Status.AT_DEPOT or starts_here
    else:
        ready = starts_here
    if not ready:
        raise CrateState(crate=crate.barcode, status=transit.get_status_display(), action="pack")
    hop = next_hop(at, transit.to_node)
    if hop is None:
        raise CrateWrongBranch(crate=crate.barcode, to="?", at=transit.to_node.code)
    if crate.status == Crate.Status.EMPTY:
        crate.destination = hop
        crate.status = Crate.Status.PACKING
    elif crate.destination_id != hop.pk:
        raise WrongCrate(
            barcode=item.barcode,
            to=transit.to_node.code,
            crate=crate.barcode,
            crate_to=crate.destination.code,
        )
    crate.updated_at = now
    crate.save()
    _move(transit, Transit.Status.PACKED, by=by, now=now, where=at, crate=crate, crate_id=crate.pk)
    return crate


@transaction.atomic
def collect_crate(*, crate_barcode, at, by=None, now=None):
    """The driver scans a packed crate onto the van at ``at``."""
    now = now or timezone.now()
    crate = _crate(crate_barcode)
    if crate.status != Crate.Status.PACKING or crate.location_id != at.pk:
        raise CrateElsewhere(crate=crate.barcode, where=_where(crate), at=at.code)
    for transit in _contents(crate):
        _move(
            transit,
            Transit.Status.DISPATCHED,
            by=by,
            now=now,
            where=at,
            crate=crate,
            dispatched_at=transit.dispatched_at or now,
        )
    crate.status, crate.location, crate.updated_at = Crate.Status.ON_VAN, None, now
    crate.save()
    note_arrival(at=at, by=by, now=now)  # the van got to this stop of today's plan
    return crate


@transaction.atomic
def unload_at_depot(*, crate_barcode, depot, by=None, now=None):
    """Open a crate that came in for ``depot``: its items wait there to be re-sorted."""
    now = now or timezone.now()
    crate = _arriving(crate_barcode, depot, "unload")
    transits = _contents(crate)
    for transit in transits:
        _move(
            transit,
            Transit.Status.AT_DEPOT,
            by=by,
            now=now,
            where=depot,
            crate=crate,
            crate_id=None,
        )
    _empty(crate, depot, now)
    return transits


def _empty(crate, at, now):
    crate.status, crate.location, crate.destination = Crate.Status.EMPTY, at, None
    crate.updated_at = now
    crate.save()


@transaction.atomic
def deliver_crate(*, crate_barcode, at, by=None, now=None):
    """The driver drops a crate at its destination branch ``at``."""
    now = now or timezone.now()
    crate = _arriving(crate_barcode, at, "deliver")
    for transit in _contents(crate):
        _move(transit, Transit.Status.DELIVERED, by=by, now=now, where=at, crate=crate)
    crate.status, crate.location, crate.updated_at = Crate.Status.DELIVERED, at, now
    crate.save()
    note_arrival(at=at, by=by, now=now)  # the van got to this stop of today's plan
    return crate


@dataclass
class CrateReceipt:
    crate: str
    received: list = field(default_factory=list)  # item barcodes checked in
    missing: list = field(default_factory=list)  # in the manifest, not scanned
    extra: list = field(default_factory=list)  # scanned, not in the manifest
    routed: dict = field(default_factory=dict)  # barcode -> hold_shelf / reshelve / transit
    refused: dict = field(default_factory=dict)  # barcode -> message


@transaction.atomic
def receive_crate(*, crate_barcode, at, scanned=None, by=None, now=None):
    """Receive every item of a crate at ``at`` with one scan.

    With ``scanned`` (the item barcodes actually found in the crate), items of the
    manifest that were not found keep their state and are listed as missing (overdue
    transits show them later); barcodes not in
    the manifest are listed as extra and left alone.
    """
    from bci.circulation.services import checkin_item  # circulation comes before logistics

    now = now or timezone.now()
    crate = _crate(crate_barcode)
    if crate.destination_id != at.pk:
        where = crate.destination.code if crate.destination else "-"
        raise CrateWrongBranch(crate=crate.barcode, to=where, at=at.code)
    if crate.status not in (Crate.Status.ON_VAN, Crate.Status.DELIVERED):
        raise CrateState(crate=crate.barcode, status=crate.get_status_display(), action="receive")
    receipt = CrateReceipt(crate.barcode)
    transits = _contents(crate)
    found = None if scanned is None else {b.strip() for b in scanned if b and b.strip()}
    manifest = {t.item.barcode for t in transits}
    if found is not None:
        receipt.extra = sorted(found - manifest)
    for transit in transits:
        barcode = transit.item.barcode
        if found is not None and barcode not in found:
            receipt.missing.append(barcode)
            transit.crate = None
            transit.note = f"missing from crate {crate.barcode}"[:200]
            transit.save(update_fields=["crate", "note"])
            record_event(
                "transit.missing_from_crate",
                subject=transit,
                by=by,
                where=at,
                now=now,
                barcode=barcode,
                crate=crate.barcode,
            )
            continue
        if transit.status == Transit.Status.DISPATCHED:
            _move(transit, Transit.Status.DELIVERED, by=by, now=now, where=at, crate=crate)
        try:
            result = checkin_item(item_barcode=barcode, branch=at, by=by, now=now)
        except DomainError as exc:
            receipt.refused[barcode] = str(exc)
            continue
        receipt.received.append(barcode)
        receipt.routed[barcode] = result.routing.action
    Transit.objects.filter(crate=crate).exclude(status__in=Transit.OPEN_STATUSES).update(crate=None)
    _empty(crate, at, now)
    record_event(
        "crate.received",
        subject=crate,
        by=by,
        where=at,
        now=now,
        received=len(receipt.received),
        missing=receipt.missing,
        extra=receipt.extra,
    )
    return receipt


@transaction.atomic
def mark_lost(*, transit, reason, by=None, now=None):
    """A transit that will not arrive: lost on the way, with the reason."""
    now = now or timezone.now()
    transit = Transit.objects.select_for_update(of=("self",)).get(pk=transit.pk)
    if not (reason or "").strip():
        raise DomainError(code="reason_required", message="Say why the item is lost.")
    if not Transit.can_transition(transit.status, Transit.Status.LOST):
        raise CrateState(crate="-", status=transit.get_status_display(), action="lost")
    transit.status, transit.note, transit.crate = Transit.Status.LOST, reason.strip()[:200], None
    transit.save()
    record_event(
        "transit.lost",
        subject=transit,
        by=by,
        where=transit.to_node,
        now=now,
        barcode=transit.item.barcode,
        reason=transit.note,
    )
    return transit
