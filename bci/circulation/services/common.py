"""Shared pieces of the circulation services: locking, and where an item goes next."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bci.catalogue.errors import ItemNotFound, RecordNotFound
from bci.catalogue.models import Item, Record
from bci.catalogue.services import change_item_status
from bci.core.events import record_event
from bci.logistics.models import Transit
from bci.logistics.services import cancel_transit, create_transit, open_transit
from bci.organisations.models import Node
from bci.patrons.errors import CardInactive, CardNotFound
from bci.patrons.models import Card, Patron

from .. import targeting
from ..errors import NotALendingLocation
from ..models import Hold
from ..queries import open_day_function
from ..rules import rulebook
from ..signals import circulation_owns_status

HOLD_SHELF = "hold_shelf"
TRANSIT = "transit"
RESHELVE = "reshelve"


@dataclass
class Routing:
    """What to do with the item in the staff member's hand."""

    action: str  # hold_shelf | transit | reshelve
    item: Item
    destination: Node | None = None
    hold: Hold | None = None
    transit: Transit | None = None
    notes: list = field(default_factory=list)

    @property
    def message(self):
        if self.action == HOLD_SHELF:
            return _("Hold shelf for %(patron)s") % {"patron": shelf_name(self.hold.patron)}
        if self.action == TRANSIT:
            return _("Transit to %(branch)s") % {"branch": self.destination.name}
        return _("Reshelve")

    def as_dict(self):
        return {
            "action": self.action,
            "message": str(self.message),
            "item_barcode": self.item.barcode,
            "destination": self.destination.code if self.destination else None,
            "destination_name": self.destination.name if self.destination else None,
            "hold_id": self.hold.pk if self.hold else None,
            "transit_id": self.transit.pk if self.transit else None,
            "notes": [str(n) for n in self.notes],
        }


def shelf_name(patron):
    """How a hold-shelf slip names the patron: surname and initial."""
    initial = f", {patron.first_name[:1]}." if patron.first_name else ""
    return f"{patron.last_name}{initial}"


def now_and_today(now):
    now = now or timezone.now()
    return now, timezone.localdate(now)


def check_branch(branch):
    if not isinstance(branch, Node) or branch.kind not in Node.Kind.lending_kinds():
        raise NotALendingLocation(node=str(branch))
    if not branch.is_active:
        raise NotALendingLocation(node=str(branch))
    return branch


def lock_item(*, barcode=None, item=None):
    """The item row, locked (first in the fixed lock order item, patron, hold)."""
    qs = Item.objects.select_for_update(of=("self",)).order_by()
    if item is not None:
        return qs.get(pk=item.pk)
    barcode = (barcode or "").strip()
    found = first(qs.filter(barcode=barcode)) if barcode else None
    if found is None:
        raise ItemNotFound(barcode=barcode or "-")
    return found


def first(queryset):
    """The first row of an unordered queryset (a unique key: no ORDER BY needed)."""
    rows = list(queryset[:1])
    return rows[0] if rows else None


def lock_record_items(record):
    """Lock every copy of ``record`` (id order): serialises hold placement against
    check-ins of the same title."""
    return list(Item.objects.select_for_update(of=("self",)).filter(record=record).order_by("id"))


def get_record(record):
    if isinstance(record, Record):
        record_id = record.pk
    else:
        try:
            record_id = int(record)
        except (TypeError, ValueError) as exc:
            raise RecordNotFound(record_id=str(record)) from exc
    found = Record.objects.filter(pk=record_id, deleted_at__isnull=True).first()
    if found is None:
        raise RecordNotFound(record_id=str(record_id))
    return found


def lock_patron(patron):
    """The patron row (a Patron or its id), locked, with category and home organisation."""
    return (
        Patron.objects.select_for_update(of=("self",))
        .select_related("category", "home_organisation")
        .get(pk=getattr(patron, "pk", patron))
    )


def lock_card_patron(card_barcode):
    """The active card with ``card_barcode`` and its patron (category and home
    organisation selected), the patron row locked: card_by_barcode and lock_patron in
    one query."""
    barcode = (card_barcode or "").strip()
    card = (
        first(
            Card.objects.select_for_update(of=("patron",))
            .select_related("patron__category", "patron__home_organisation")
            .filter(barcode=barcode)
            .order_by()
        )
        if barcode
        else None
    )
    if card is None:
        raise CardNotFound(barcode=barcode or "-")
    if not card.is_active:
        raise CardInactive(barcode=barcode)
    return card


def set_status(item, to, *, by, where, now, reason, location=None):
    """change_item_status, or only a location update when the status stays the same."""
    if item.status == to and not Item.can_transition(to, to):
        if location is not None and item.current_location_id != location.pk:
            item.current_location = location
            item.save(update_fields=["current_location"])
        return item
    with circulation_owns_status():  # holds are kept in step by the calling service
        return change_item_status(
            item=item, to=to, by=by, where=where, reason=reason, now=now, location=location
        )


def _start_transit(item, here, to, *, reason, reference, by, now):
    current = open_transit(item, lock=True)
    if current is not None:  # re-routed: the old movement ends here
        cancel_transit(transit=current, reason="rerouted", by=by, now=now)
    transit = create_transit(
        item=item, from_node=here, to_node=to, reason=reason, reference=reference, by=by, now=now
    )
    set_status(
        item, Item.Status.IN_TRANSIT, by=by, where=here, now=now, reason=reason, location=here
    )
    return transit


def release_copy_from_others(item, keep_hold=None):
    """Free ``item`` from waiting holds that had it targeted (it is taken now). Returns
    how many. Plain SQL: it runs on every check-out and capture, and building the
    ORM's UPDATE cost more than running it."""
    table = connection.ops.quote_name(Hold._meta.db_table)
    sql = (
        f"UPDATE {table} SET copy_id = NULL, copy_reason = '', copy_score = NULL, "
        "copy_assigned_at = NULL WHERE copy_id = %s AND status = %s"
    )
    params = [item.pk, Hold.Status.WAITING.value]
    if keep_hold is not None:
        sql += " AND id <> %s"
        params.append(keep_hold.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def deliver_to_hold(hold, item, here, *, by, now, why="", release=True, stamp=None):
    """Capture ``item`` for ``hold``: onto this branch's hold shelf when ``here`` is the
    pick-up branch, else into transit there. ``release=False``: the caller already freed
    the copy from other waiting holds; ``stamp``: the loan rules' stamp, when read."""
    today = timezone.localdate(now)
    if release:
        release_copy_from_others(item, keep_hold=hold)
    hold.copy = item
    if why:
        hold.copy_reason = str(why)[:200]
        hold.copy_assigned_at = now
    if hold.pickup_branch_id == here.pk:
        set_status(
            item,
            Item.Status.ON_HOLD_SHELF,
            by=by,
            where=here,
            now=now,
            reason="hold",
            location=here,
        )
        rule = rulebook(stamp).get(here, hold.patron.category.code, item.material_type)
        open_day = open_day_function(here)
        shelf_until = today + dt.timedelta(days=rule.pickup_window_days)
        hold.shelf_until = open_day(shelf_until) or shelf_until
        hold.status = Hold.Status.READY
        hold.ready_at = now
        hold.save()
        record_event(
            "hold.ready",
            subject=hold,
            by=by,
            where=here,
            now=now,
            item=item.barcode,
            shelf_until=hold.shelf_until.isoformat(),
        )
        return Routing(HOLD_SHELF, item, destination=here, hold=hold)
    transit = _start_transit(
        item,
        here,
        hold.pickup_branch,
        reason=Transit.Reason.HOLD,
        reference=f"hold:{hold.pk}",
        by=by,
        now=now,
    )
    hold.status = Hold.Status.IN_TRANSIT
    hold.save()
    record_event(
        "hold.in_transit",
        subject=hold,
        by=by,
        where=here,
        now=now,
        item=item.barcode,
        to=hold.pickup_branch.code,
    )
    return Routing(TRANSIT, item, destination=hold.pickup_branch, hold=hold, transit=transit)


def best_waiting_hold(item, today=None, *, targeted=True):
    """The waiting hold this copy should fill: the hold the targeter gave it to, else the
    oldest waiting hold it can fill (first come, first served). Locks that hold, with
    its patron, category and pick-up branch selected. ``targeted=False``: the caller
    knows no waiting hold has this copy.

    One row each (LIMIT 1 under FOR UPDATE: PostgreSQL skips a row a concurrent
    transaction changed and takes the next), so a deep queue costs no more than a short one.
    """
    waiting = targeting.fillable(
        Hold.objects.select_for_update(of=("self",))
        .select_related("patron__category", "pickup_branch")
        .filter(record_id=item.record_id),
        today or timezone.localdate(),
    )
    if targeted:
        hold = first(waiting.filter(copy=item).order_by())
        if hold is not None:
            return hold
    return waiting.filter(Q(item__isnull=True) | Q(item=item)).order_by("placed_at", "id").first()


def route_item(item, here, *, by, now, holds_waiting=True, targeted=True, stamp=None):
    """Decide and carry out where ``item`` (at ``here``, free of loans) goes next: fill the
    best waiting hold, else home unless floating or already home, else reshelve.

    What the caller read after locking the item saves queries: ``holds_waiting=False``
    (no hold on the title is waiting), ``targeted=False`` (no waiting hold has this
    copy), ``stamp`` (the loan rules' stamp)."""
    today = timezone.localdate(now)
    hold = best_waiting_hold(item, today, targeted=targeted) if holds_waiting else None
    if hold is not None:
        # other holds are affected only when a copy is freed: the one this hold was
        # waiting for elsewhere, or this one if the targeter had promised it to another
        freed = hold.copy_id not in (None, item.pk)
        if targeted:
            freed = release_copy_from_others(item, keep_hold=hold) > 0 or freed
        routing = deliver_to_hold(
            hold,
            item,
            here,
            by=by,
            now=now,
            why=_("captured at %(branch)s") % {"branch": here.name},
            release=False,
            stamp=stamp,
        )
        if freed:
            targeting.retarget_record(item.record_id, now=now, by=by)
        return routing
    if not item.floating and item.home_branch_id != here.pk:
        home = Node.objects.get(pk=item.home_branch_id)
        transit = _start_transit(
            item, here, home, reason=Transit.Reason.RETURN_HOME, reference="", by=by, now=now
        )
        return Routing(TRANSIT, item, destination=home, transit=transit)
    # no waiting hold can use this copy (else it would have been captured above), so the
    # targeter has nothing to do
    set_status(
        item, Item.Status.AVAILABLE, by=by, where=here, now=now, reason="reshelve", location=here
    )
    return Routing(RESHELVE, item, destination=here)


def release_item_holds(item, *, by, now, reason):
    """The copy is gone (lost, missing): its holds go back to waiting, keeping their place
    in the queue; an open transit is cancelled."""
    for hold in Hold.objects.select_for_update(of=("self",)).filter(
        copy=item, status__in=Hold.ACTIVE_STATUSES
    ):
        old_status = hold.status
        hold.status = Hold.Status.WAITING
        hold.copy = None
        hold.copy_reason = ""
        hold.copy_score = None
        hold.shelf_until = None
        hold.ready_at = None
        hold.save()
        record_event(
            "hold.copy_lost",
            subject=hold,
            by=by,
            now=now,
            item=item.barcode,
            old_status=old_status,
            reason=reason,
        )
    transit = open_transit(item, lock=True)
    if transit is not None:
        cancel_transit(transit=transit, reason=reason, by=by, now=now)
