"""Check-out, check-in and renewal."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from bci.catalogue.models import Item
from bci.core.events import record_event
from bci.logistics.services import open_transit, receive_transit
from bci.organisations.queries import resolve_setting
from bci.patrons.queries import (
    BLOCK_EXPIRED,
    BLOCK_MANUAL,
    card_by_barcode,
    guest_registration_at,
)

from .. import policies, targeting
from ..errors import (
    FeeLimitReached,
    GuestLoanLimitReached,
    GuestRegistrationRequired,
    ItemAlreadyOnLoan,
    ItemNotAvailable,
    ItemNotCirculating,
    ItemOnHoldForOther,
    LoanLimitForTypeReached,
    LoanLimitReached,
    LoanNotActive,
    LoanNotFound,
    MembershipExpired,
    PatronBlocked,
    RenewalBlockedByHolds,
    RenewalLimitReached,
)
from ..models import Fee, Hold, Loan
from ..queries import BLOCK_FEES, Rules, all_blocks, due_date_at, outstanding_fees
from .common import (
    HOLD_SHELF,
    TRANSIT,
    Routing,
    check_branch,
    deliver_to_hold,
    lock_item,
    lock_patron,
    now_and_today,
    release_copy_from_others,
    route_item,
    set_status,
)
from .fees import create_fee

REQUIRE_GUEST_SETTING = "circulation.require_guest_registration"
LOST_FEE_NOTE = "found"


def refuse_if_blocked(patron, today, node, rules=None):
    """Raise the first block that stops ``patron`` at ``node``."""
    for code, message in all_blocks(patron, today, node=node, rules=rules):
        if code == BLOCK_MANUAL:
            raise PatronBlocked(reason=message)
        if code == BLOCK_EXPIRED:
            raise MembershipExpired(date=patron.expires_on.isoformat())
        if code == BLOCK_FEES:
            limit = (rules or Rules(node)).get(node, patron.category.code, None).fee_block_limit
            raise FeeLimitReached(owed=outstanding_fees(patron), limit=limit)
        raise PatronBlocked(reason=message)


def _active_loans(patron):
    return Loan.objects.filter(patron=patron, ended_at__isnull=True)


def _check_limits(patron, item, branch, guest, rules):
    """Home library limits (total, per material type); as a guest, the guest library's
    limits on top, counted over the loans made at its branches."""
    home = patron.home_organisation
    category = patron.category.code
    loans = _active_loans(patron)
    total = loans.count()
    limit = rules.get(home, category, None).max_items
    if policies.over_limit(total, limit):
        raise LoanLimitReached(count=total, limit=limit)
    of_type = loans.filter(item__material_type=item.material_type).count()
    limit = rules.get(home, category, item.material_type).max_items_of_type
    if policies.over_limit(of_type, limit):
        raise LoanLimitForTypeReached(
            count=of_type, limit=limit, type=item.get_material_type_display()
        )
    if guest is not None:
        org = guest.organisation
        there = loans.filter(branch__path__startswith=org.path)
        count = there.count()
        limit = rules.get(org, guest.category.code, None).max_items
        if policies.over_limit(count, limit):
            raise GuestLoanLimitReached(organisation=str(org), count=count, limit=limit)
        count = there.filter(item__material_type=item.material_type).count()
        limit = rules.get(org, guest.category.code, item.material_type).max_items_of_type
        if policies.over_limit(count, limit):
            raise GuestLoanLimitReached(organisation=str(org), count=count, limit=limit)


@transaction.atomic
def checkout_item(*, item_barcode, card_barcode, branch, by=None, now=None):
    """Lend the item to the card's patron at ``branch``. Returns the Loan."""
    now, today = now_and_today(now)
    check_branch(branch)
    item = lock_item(barcode=item_barcode)
    card = card_by_barcode(card_barcode)
    patron = lock_patron(card.patron)
    organisation = branch.organisation
    guest = None
    if organisation is not None and organisation.pk != patron.home_organisation_id:
        guest = guest_registration_at(patron, organisation, today)
        if guest is None and resolve_setting(branch, REQUIRE_GUEST_SETTING, False):
            raise GuestRegistrationRequired(organisation=str(organisation))
    rules = Rules(branch, patron.home_organisation)
    refuse_if_blocked(patron, today, branch, rules)

    # the item: free, or on the hold shelf for this very patron
    fulfils = None
    if item.status == Item.Status.ON_LOAN:
        raise ItemAlreadyOnLoan(barcode=item.barcode)
    if item.status in (Item.Status.ON_HOLD_SHELF, Item.Status.IN_TRANSIT):
        captured = Hold.objects.filter(
            copy=item, status__in=[Hold.Status.READY, Hold.Status.IN_TRANSIT]
        ).first()
        if captured is not None and captured.patron_id != patron.pk:
            raise ItemOnHoldForOther(barcode=item.barcode)
        if item.status == Item.Status.IN_TRANSIT or captured is None:
            raise ItemNotAvailable(barcode=item.barcode, status=item.get_status_display())
        fulfils = captured
    elif item.status != Item.Status.AVAILABLE:
        raise ItemNotAvailable(barcode=item.barcode, status=item.get_status_display())

    _check_limits(patron, item, branch, guest, rules)
    category = guest.category.code if guest is not None else patron.category.code
    rule = rules.get(branch, category, item.material_type)
    loan = Loan(
        item=item,
        patron=patron,
        card_barcode=card.barcode,
        branch=branch,
        checked_out_at=now,
        due_date=due_date_at(branch, today, rule.loan_period_days),
        renewals_allowed=rule.renewals_allowed,
        loan_period_days=rule.loan_period_days,
        fine_per_day=rule.fine_per_day,
        fine_cap=rule.fine_cap,
        fine_free=rule.fine_free,
        short_loan=rule.short_loan,
    )
    try:
        with transaction.atomic():
            loan.save()
    except IntegrityError as exc:  # the database's one-active-loan guarantee
        raise ItemAlreadyOnLoan(barcode=item.barcode) from exc
    set_status(item, Item.Status.ON_LOAN, by=by, where=branch, now=now, reason="checkout")

    # holds: the one fulfilled, the patron's waiting hold on the title, copies released
    retarget = release_copy_from_others(item) > 0
    own = Hold.objects.select_for_update(of=("self",)).filter(
        patron=patron, record_id=item.record_id, status=Hold.Status.WAITING
    )
    for hold in [fulfils, *own]:
        if hold is None:
            continue
        retarget = retarget or (hold.copy_id not in (None, item.pk))
        hold.status = Hold.Status.FULFILLED
        hold.copy = item
        hold.closed_at = now
        hold.save()
        record_event("hold.fulfilled", subject=hold, by=by, where=branch, now=now, loan=loan.pk)
    if retarget:
        targeting.retarget_record(item.record_id, now=now, by=by)
    record_event(
        "loan.checked_out",
        subject=loan,
        by=by,
        where=branch,
        now=now,
        item=item.barcode,
        record=item.record_id,
        patron=patron.pk,
        category=category,
        due=loan.due_date.isoformat(),
        material_type=item.material_type,
    )
    return loan


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


def _charge_overdue(loan, *, days, note, by, now):
    """The late fine for ``days`` late, less what this loan was charged before (the cap
    holds per loan); None when nothing is due."""
    if days <= 0:
        return None
    charged = loan.fees.filter(kind=Fee.Kind.OVERDUE).aggregate(s=Sum("amount"))["s"]
    amount = policies.fine_for(
        days,
        fine_per_day=loan.fine_per_day,
        fine_cap=loan.fine_cap,
        fine_free=loan.fine_free,
        already_charged=charged or Decimal("0"),
    )
    if amount <= 0:
        return None
    return create_fee(
        patron=loan.patron,
        amount=amount,
        kind=Fee.Kind.OVERDUE,
        organisation=loan.branch,
        loan=loan,
        item=loan.item,
        note=note,
        by=by,
        now=now,
    )


def _end_loan(loan, *, branch, reason, by, now, today):
    """Close ``loan``; charge the late fine (capped per loan); unlink the patron when they
    did not consent to keeping loan history and nothing is owed on it."""
    loan.ended_at = now
    loan.end_reason = reason
    loan.return_branch = branch
    fee = None
    if reason == Loan.EndReason.RETURNED and loan.patron_id:
        days = policies.days_late(loan.due_date, today)
        fee = _charge_overdue(loan, days=days, note=f"{days} days late", by=by, now=now)
    if (
        loan.patron_id
        and not loan.patron.keep_loan_history
        and fee is None
        and not loan.fees.filter(settled_at__isnull=True).exists()
    ):
        loan.patron = None
        loan.card_barcode = ""
    loan.save()
    return fee


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
        loan = (
            Loan.objects.filter(item=item, ended_at__isnull=True)
            .select_related("patron", "branch")
            .first()
        )
        if loan is not None and loan.patron_id:
            lock_patron(loan.patron)
        if loan is not None:
            loan = (
                Loan.objects.select_for_update(of=("self",))
                .select_related("patron", "branch")
                .get(pk=loan.pk)
            )
            fee = _end_loan(
                loan, branch=branch, reason=Loan.EndReason.RETURNED, by=by, now=now, today=today
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
        hold = (
            Hold.objects.select_for_update(of=("self",))
            .filter(copy=item, status=Hold.Status.IN_TRANSIT)
            .select_related("patron__category", "pickup_branch")
            .first()
        )
        if hold is not None:
            routing = deliver_to_hold(hold, item, branch, by=by, now=now)
            return CheckinResult(routing=routing, notes=notes)
    elif status == Item.Status.ON_HOLD_SHELF:
        hold = (
            Hold.objects.select_for_update(of=("self",))
            .filter(copy=item, status=Hold.Status.READY)
            .select_related("patron__category", "pickup_branch")
            .first()
        )
        if hold is not None and hold.pickup_branch_id == branch.pk:
            return CheckinResult(
                routing=Routing(HOLD_SHELF, item, destination=branch, hold=hold), notes=notes
            )
        if hold is not None:  # the copy wandered off: send it to the pick-up branch
            return CheckinResult(
                routing=deliver_to_hold(hold, item, branch, by=by, now=now), notes=notes
            )
    routing = route_item(item, branch, by=by, now=now)
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


def _get_loan(loan):
    loan_id = getattr(loan, "pk", loan)
    try:
        return Loan.objects.select_related("item").get(pk=int(loan_id))
    except (Loan.DoesNotExist, TypeError, ValueError) as exc:
        raise LoanNotFound() from exc


@transaction.atomic
def renew_loan(*, loan, by=None, now=None):
    """Extend an active loan by its loan period from today (landing on an open day),
    unless no renewals are left or a waiting hold needs this copy. An overdue loan's
    fine so far is charged at renewal."""
    now, today = now_and_today(now)
    loan = _get_loan(loan)
    item = lock_item(item=loan.item)
    loan = Loan.objects.select_related("patron", "branch", "item").get(pk=loan.pk)
    if loan.ended_at is not None:
        raise LoanNotActive()
    patron = lock_patron(loan.patron)
    loan = Loan.objects.select_for_update(of=("self",)).select_related("branch").get(pk=loan.pk)
    loan.patron = patron
    refuse_if_blocked(patron, today, loan.branch)
    if policies.renewals_left(renewals_allowed=loan.renewals_allowed, renewals=loan.renewals) <= 0:
        raise RenewalLimitReached(renewals=loan.renewals)
    # a waiting hold this copy could fill and that has no other copy on its way
    needy = Hold.objects.filter(
        Q(item__isnull=True) | Q(item=item),
        record_id=item.record_id,
        status=Hold.Status.WAITING,
        copy__isnull=True,
    )
    if needy.exclude(patron=patron).exists():
        raise RenewalBlockedByHolds()
    days = policies.days_late(loan.due_date, today)
    fee = _charge_overdue(loan, days=days, note=f"{days} days late at renewal", by=by, now=now)
    old_due = loan.due_date
    loan.due_date = max(old_due, due_date_at(loan.branch, today, loan.loan_period_days))
    loan.renewals += 1
    loan.save(update_fields=["due_date", "renewals"])
    record_event(
        "loan.renewed",
        subject=loan,
        by=by,
        where=loan.branch,
        now=now,
        item=item.barcode,
        old_due=old_due.isoformat(),
        due=loan.due_date.isoformat(),
        renewals=loan.renewals,
        fee=str(fee.amount) if fee else "",
    )
    return loan
