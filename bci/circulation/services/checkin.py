"""Check-in (inname): end the loan, complete a transit, route the copy."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from bci.catalogue.models import Item
from bci.core.events import record_event
from bci.logistics.services import open_transit, receive_transit
from bci.patrons.models import Patron

from ..errors import ItemNotCirculating
from ..models import Fee, Hold, Loan
from ..rules import annotated_stamp, stamp_annotations
from .common import (
    HOLD_SHELF,
    TRANSIT,
    Routing,
    check_branch,
    deliver_to_hold,
    first,
    lock_item,
    now_and_today,
    route_item,
    set_status,
)
from .loans import _end_loan

LOST_FEE_NOTE = "found"


@dataclass
class CheckinResult:
    routing: Routing
    loan: Loan | None = None
    fee: Fee | None = None
    notes: list = field(default_factory=list)

    @property
    def action(self):
        return self.routing.action

    @property
    def message(self):
        return self.routing.message

    def as_dict(self):
        data = self.routing.as_dict()
        data["loan_id"] = self.loan.pk if self.loan else None
        data["fee"] = str(self.fee.amount) if self.fee else None
        data["notes"] = [str(n) for n in (self.notes + self.routing.notes)]
        return data


def _lock_active_loan(item):
    """The active loan of ``item`` (locked) or None. Its patron is locked first (lock
    order item, patron, loan). Read with it, after the locks: ``open_fees`` (an
    unsettled fee on the loan), ``holds_waiting`` (a waiting hold on the title),
    ``targeted`` (a waiting hold the targeter gave this copy: it cannot have done so
    while the copy is on loan, but a stale assignment is cleared) and the loan rules'
    stamp."""
    patron = first(
        Patron.objects.select_for_update(of=("self",))
        .filter(loans__item=item, loans__ended_at__isnull=True)
        .order_by()
    )
    waiting = Hold.objects.filter(status=Hold.Status.WAITING)
    loan = first(
        Loan.objects.select_for_update(of=("self",))
        .select_related("branch")
        .filter(item=item, ended_at__isnull=True)
        .annotate(
            open_fees=Exists(Fee.objects.filter(loan=OuterRef("pk"), settled_at__isnull=True)),
            holds_waiting=Exists(waiting.filter(record_id=item.record_id)),
            targeted=Exists(waiting.filter(copy_id=item.pk)),
            **stamp_annotations(),
        )
        .order_by()
    )
    if loan is not None and patron is not None and loan.patron_id == patron.pk:
        loan.patron = patron
    return loan


def _lock_captured_hold(item, status):
    """The hold ``item`` was captured for (``status``: in transit or ready), locked, with
    its patron's category and pick-up branch; None when there is none."""
    return (
        Hold.objects.select_for_update(of=("self",))
        .filter(copy=item, status=status)
        .select_related("patron__category", "pickup_branch")
        .first()
    )


def _waive_lost_fees(item, *, by, now):
    """A lost copy turned up: unpaid replacement costs are waived."""
    from .fees import waive_fee

    for fee in Fee.objects.filter(item=item, kind=Fee.Kind.LOST, settled_at__isnull=True, paid=0):
        waive_fee(fee=fee, reason=LOST_FEE_NOTE, by=by, now=now)


@transaction.atomic
def checkin_item(*, item_barcode, branch, by=None, now=None):
    """Take the item in at ``branch`` (any branch: return anywhere) and say what to do
    with it. Ends its loan (with a late fine per its terms), completes a transit that
    ends here, and routes it: hold shelf, transit, or reshelve."""
    now, today = now_and_today(now)
    check_branch(branch)
    item = lock_item(barcode=item_barcode)
    status = item.status
    if status in (Item.Status.WITHDRAWN, Item.Status.IN_PROCESSING):
        raise ItemNotCirculating(barcode=item.barcode, status=item.get_status_display())
    loan = fee = None
    facts = {}  # what route_item need not look up again
    notes = []
    if status in (Item.Status.MISSING, Item.Status.LOST):
        _waive_lost_fees(item, by=by, now=now)
        set_status(
            item,
            Item.Status.AVAILABLE,
            by=by,
            where=branch,
            now=now,
            reason="found",
            location=branch,
        )
        notes.append(
            _("The item was %(status)s and is found again.") % {"status": Item.Status(status).label}
        )
    elif status == Item.Status.ON_LOAN:
        loan = _lock_active_loan(item)
        if loan is not None:
            facts = {
                "holds_waiting": loan.holds_waiting,
                "targeted": loan.targeted,
                "stamp": annotated_stamp(loan),
            }
            fee = _end_loan(
                loan,
                branch=branch,
                reason=Loan.EndReason.RETURNED,
                by=by,
                now=now,
                today=today,
                open_fees=loan.open_fees,
            )
            if fee is not None:
                notes.append(_("Late: EUR %(amount)s charged.") % {"amount": fee.amount})
    elif status == Item.Status.IN_TRANSIT:
        transit = open_transit(item, lock=True)
        if transit is not None and transit.to_node_id != branch.pk:
            record_event(
                "item.scanned_in_transit",
                subject=item,
                by=by,
                where=branch,
                now=now,
                to=transit.to_node.code,
            )
            routing = Routing(TRANSIT, item, destination=transit.to_node, transit=transit)
            routing.notes.append(_("Still in transit; send it on."))
            return CheckinResult(routing=routing, notes=notes)
        if transit is not None:
            receive_transit(transit=transit, at=branch, by=by, now=now)
        hold = _lock_captured_hold(item, Hold.Status.IN_TRANSIT)
        if hold is not None:
            routing = deliver_to_hold(hold, item, branch, by=by, now=now)
            return CheckinResult(routing=routing, notes=notes)
    elif status == Item.Status.ON_HOLD_SHELF:
        hold = _lock_captured_hold(item, Hold.Status.READY)
        if hold is not None:
            if hold.pickup_branch_id == branch.pk:
                routing = Routing(HOLD_SHELF, item, destination=branch, hold=hold)
            else:  # the copy wandered off: send it to the pick-up branch
                routing = deliver_to_hold(hold, item, branch, by=by, now=now)
            return CheckinResult(routing=routing, notes=notes)
    routing = route_item(item, branch, by=by, now=now, **facts)
    record_event(
        "loan.checked_in" if loan is not None else "item.checked_in",
        subject=loan if loan is not None else item,
        by=by,
        where=branch,
        now=now,
        item=item.barcode,
        action=routing.action,
        to=routing.destination.code if routing.destination else "",
    )
    return CheckinResult(routing=routing, loan=loan, fee=fee, notes=notes)
