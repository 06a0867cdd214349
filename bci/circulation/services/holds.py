"""Holds: place, cancel, and the periodic expiries."""

import datetime as dt
import logging

from django.db import IntegrityError, transaction

from bci.catalogue.errors import ItemNotFound
from bci.catalogue.models import Item
from bci.core.errors import DomainError
from bci.core.events import record_event
from bci.patrons.queries import card_by_barcode

from .. import targeting
from ..errors import (
    AlreadyOnHold,
    AlreadyOnLoanToPatron,
    HoldNotActive,
    HoldNotFound,
    HoldNotPausable,
    InvalidHoldDate,
    InvalidPauseDate,
    ItemNotOfRecord,
    NothingToHold,
)
from ..models import Fee, Hold, Loan
from ..queries import rules_for
from .common import (
    check_branch,
    get_record,
    lock_item,
    lock_patron,
    lock_record_items,
    now_and_today,
    route_item,
)
from .fees import create_fee
from .loans import refuse_if_blocked

log = logging.getLogger(__name__)

HOLDABLE = (
    Item.Status.AVAILABLE,
    Item.Status.ON_LOAN,
    Item.Status.IN_TRANSIT,
    Item.Status.ON_HOLD_SHELF,
    Item.Status.IN_PROCESSING,
)


@transaction.atomic
def place_hold(
    *,
    record,
    pickup_branch,
    patron=None,
    card_barcode=None,
    item_barcode=None,
    not_needed_after=None,
    by=None,
    now=None,
    placed_at_branch=None,
):
    """A title-level hold (any copy) or, with ``item_barcode``, an item-level hold, to be
    picked up at ``pickup_branch``. The targeter assigns a copy straight away when one is
    available. Returns the Hold."""
    now, today = now_and_today(now)
    check_branch(pickup_branch)
    record = get_record(record)
    items = lock_record_items(record)  # lock order: items, patron, holds
    if patron is None:
        patron = card_by_barcode(card_barcode).patron
    patron = lock_patron(patron)
    refuse_if_blocked(patron, today, pickup_branch)
    item = None
    if item_barcode:
        item = next((i for i in items if i.barcode == item_barcode.strip()), None)
        if item is None:
            if Item.objects.filter(barcode=item_barcode.strip()).exists():
                raise ItemNotOfRecord(barcode=item_barcode)
            raise ItemNotFound(barcode=item_barcode)
        if item.status not in HOLDABLE:
            raise NothingToHold()
    elif not any(i.status in HOLDABLE for i in items):
        raise NothingToHold()
    if not_needed_after is not None and (
        not isinstance(not_needed_after, dt.date) or not_needed_after < today
    ):
        raise InvalidHoldDate()
    if Loan.objects.filter(patron=patron, item__record=record, ended_at__isnull=True).exists():
        raise AlreadyOnLoanToPatron()
    if Hold.objects.filter(patron=patron, record=record, status__in=Hold.ACTIVE_STATUSES).exists():
        raise AlreadyOnHold()
    try:
        with transaction.atomic():
            hold = Hold.objects.create(
                record=record,
                item=item,
                patron=patron,
                pickup_branch=pickup_branch,
                placed_at=now,
                placed_at_branch=placed_at_branch,
                not_needed_after=not_needed_after,
            )
    except IntegrityError as exc:
        raise AlreadyOnHold() from exc
    rule = rules_for(pickup_branch, patron.category.code, record.material_type)
    if rule.hold_fee and rule.hold_fee > 0:
        create_fee(
            patron=patron,
            amount=rule.hold_fee,
            kind=Fee.Kind.HOLD,
            organisation=pickup_branch,
            hold=hold,
            note=record.title[:100],
            by=by,
            now=now,
        )
    record_event(
        "hold.placed",
        subject=hold,
        by=by,
        where=pickup_branch,
        now=now,
        record=record.pk,
        patron=patron.pk,
        item=item.barcode if item else "",
    )
    # the new hold is the youngest: it can only get a copy no older hold has
    promised = Hold.objects.filter(
        status__in=Hold.ACTIVE_STATUSES, copy__isnull=False, copy__record=record
    ).values("copy_id")
    if any(i.status == Item.Status.AVAILABLE for i in items) and (
        Item.objects.filter(record=record, status=Item.Status.AVAILABLE)
        .exclude(pk__in=promised)
        .exists()
    ):
        targeting.retarget_record(record.pk, now=now, by=by)
        hold.refresh_from_db()
    return hold


def get_hold(hold):
    hold_id = getattr(hold, "pk", hold)
    try:
        return Hold.objects.get(pk=int(hold_id))
    except (Hold.DoesNotExist, TypeError, ValueError) as exc:
        raise HoldNotFound() from exc


def _close(hold, status, *, reason, by, now):
    """Close an active hold; returns the routing of a copy that was captured for it."""
    copy, old_status = hold.copy, hold.status
    hold.status = status
    hold.closed_at = now
    hold.close_reason = (reason or "")[:200]
    if old_status == Hold.Status.WAITING:
        hold.copy = None
    hold.save()
    record_event(
        f"hold.{status}",
        subject=hold,
        by=by,
        now=now,
        old_status=old_status,
        reason=reason,
        item=copy.barcode if copy else "",
    )
    routing = None
    if old_status == Hold.Status.READY and copy is not None:
        # the copy on the hold shelf goes to the next hold, home, or back on the shelf
        routing = route_item(copy, hold.pickup_branch, by=by, now=now)
    # a copy in transit is routed again when it arrives (check-in at the destination)
    targeting.retarget_record(hold.record_id, now=now, by=by)
    return routing


@transaction.atomic
def cancel_hold(*, hold, reason="", by=None, now=None):
    """Cancel an active hold. Returns a Routing when a copy on the hold shelf must move
    (tells the staff member what to do with it), else None."""
    now, _today = now_and_today(now)
    hold = get_hold(hold)
    if hold.copy_id:
        lock_item(item=hold.copy)
    lock_patron(hold.patron)
    hold = (
        Hold.objects.select_for_update(of=("self",))
        .select_related("copy", "pickup_branch")
        .get(pk=hold.pk)
    )
    if not hold.is_active:
        raise HoldNotActive(status=hold.get_status_display())
    return _close(hold, Hold.Status.CANCELLED, reason=reason or "cancelled", by=by, now=now)


def _waiting_hold_locked(hold):
    hold = get_hold(hold)
    if hold.copy_id:
        lock_item(item=hold.copy)
    lock_patron(hold.patron)
    hold = Hold.objects.select_for_update(of=("self",)).get(pk=hold.pk)
    if hold.status != Hold.Status.WAITING:
        raise HoldNotPausable()
    return hold


@transaction.atomic
def suspend_hold(*, hold, until, by=None, now=None):
    """Pause a waiting hold until ``until`` (holiday, away): it keeps its place in the
    queue but gets no copy before that day; a copy it was promised goes to the next."""
    now, today = now_and_today(now)
    if until is None or not (today < until <= today + dt.timedelta(days=366)):
        raise InvalidPauseDate()
    hold = _waiting_hold_locked(hold)
    hold.suspended_until = until
    hold.copy = None
    hold.copy_reason = ""
    hold.copy_score = None
    hold.save(update_fields=["suspended_until", "copy", "copy_reason", "copy_score"])
    record_event("hold.suspended", subject=hold, by=by, now=now, until=until.isoformat())
    targeting.retarget_record(hold.record_id, now=now, by=by)
    return hold


@transaction.atomic
def resume_hold(*, hold, by=None, now=None):
    """End a pause early: the hold takes its old place in the queue again."""
    now, _today = now_and_today(now)
    hold = _waiting_hold_locked(hold)
    if hold.suspended_until is None:
        return hold
    hold.suspended_until = None
    hold.save(update_fields=["suspended_until"])
    record_event("hold.resumed", subject=hold, by=by, now=now)
    targeting.retarget_record(hold.record_id, now=now, by=by)
    return hold


def expire_holds(*, now=None, by="expire_holds"):
    """Waiting holds past their 'not needed after' date expire. One transaction per hold.
    Returns the number expired."""
    now, today = now_and_today(now)
    done = 0
    for hold_id in Hold.objects.filter(
        status=Hold.Status.WAITING, not_needed_after__lt=today
    ).values_list("id", flat=True):
        try:
            with transaction.atomic():
                hold = get_hold(hold_id)
                if hold.copy_id:
                    lock_item(item=hold.copy)
                hold = Hold.objects.select_for_update(of=("self",)).get(pk=hold_id)
                if hold.status != Hold.Status.WAITING:
                    continue
                _close(hold, Hold.Status.EXPIRED, reason="not needed after", by=by, now=now)
                done += 1
        except DomainError:
            log.exception("could not expire hold %s", hold_id)
    return done


def expire_hold_shelf(*, now=None, by="expire_hold_shelf", branch=None):
    """Holds not picked up within the pick-up window expire; each copy is routed on
    (next hold, home, or reshelve). One transaction per hold. Returns [(hold, routing)]."""
    now, today = now_and_today(now)
    qs = Hold.objects.filter(status=Hold.Status.READY, shelf_until__lt=today)
    if branch is not None:
        qs = qs.filter(pickup_branch=branch)
    results = []
    for hold_id in qs.values_list("id", flat=True):
        try:
            with transaction.atomic():
                hold = get_hold(hold_id)
                lock_item(item=hold.copy)
                hold = (
                    Hold.objects.select_for_update(of=("self",))
                    .select_related("copy", "pickup_branch")
                    .get(pk=hold_id)
                )
                if hold.status != Hold.Status.READY:
                    continue
                routing = _close(hold, Hold.Status.EXPIRED, reason="not picked up", by=by, now=now)
                results.append((hold, routing))
        except DomainError:
            log.exception("could not expire hold %s on the shelf", hold_id)
    return results
