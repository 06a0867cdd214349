"""Check-out and renewal, and closing a loan (check-in, lost)."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from bci.catalogue.models import Item
from bci.core.events import record_event
from bci.organisations.models import Node
from bci.organisations.queries import resolve_setting
from bci.patrons.models import GuestRegistration, Patron
from bci.patrons.queries import BLOCK_MANUAL, patron_blocks

from .. import policies, targeting
from ..errors import (
    FeeLimitReached,
    GuestLoanLimitReached,
    GuestRegistrationRequired,
    ItemAlreadyOnLoan,
    ItemNotAvailable,
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
from ..queries import due_date_at, fees_block_message, patron_counts
from ..rules import rulebook
from .common import (
    check_branch,
    first,
    lock_card_patron,
    lock_item,
    now_and_today,
    release_copy_from_others,
    set_status,
)
from .fees import create_fee

REQUIRE_GUEST_SETTING = "circulation.require_guest_registration"


def refuse_if_blocked(patron, today, node, rules=None, counts=None):
    """Raise the first block that stops ``patron`` (locked) at ``node``: a manual block,
    expired membership, fees at the limit. ``counts``: the patron's counts when read
    already (queries.patron_counts)."""
    counts = counts or patron_counts(patron)
    if counts.blocks:
        for code, message in patron_blocks(patron, today):
            if code == BLOCK_MANUAL:
                raise PatronBlocked(reason=message)
    if patron.is_expired(today):
        raise MembershipExpired(date=patron.expires_on.isoformat())
    rules = rules or rulebook(counts.stamp)
    limit = rules.get(node, patron.category.code, None).fee_block_limit
    if fees_block_message(counts.owed, limit) is not None:
        raise FeeLimitReached(owed=counts.owed, limit=limit)


def _check_limits(patron, item, guest, counts, rules):
    """Home library limits (total, per material type); as a guest, the guest library's
    limits on top, counted over the loans made at its branches (``guest``: the
    registration and the organisation)."""
    home = patron.home_organisation
    category = patron.category.code
    limit = rules.get(home, category, None).max_items
    if policies.over_limit(counts.loans, limit):
        raise LoanLimitReached(count=counts.loans, limit=limit)
    limit = rules.get(home, category, item.material_type).max_items_of_type
    if policies.over_limit(counts.loans_of_type, limit):
        raise LoanLimitForTypeReached(
            count=counts.loans_of_type, limit=limit, type=item.get_material_type_display()
        )
    if guest is not None:
        registration, org = guest
        limit = rules.get(org, registration.category.code, None).max_items
        if policies.over_limit(counts.guest_loans, limit):
            raise GuestLoanLimitReached(
                organisation=str(org), count=counts.guest_loans, limit=limit
            )
        limit = rules.get(org, registration.category.code, item.material_type).max_items_of_type
        if policies.over_limit(counts.guest_loans_of_type, limit):
            raise GuestLoanLimitReached(
                organisation=str(org), count=counts.guest_loans_of_type, limit=limit
            )


def _guest_at(patron, branch, today):
    """(registration, organisation) when ``patron`` borrows at another organisation's
    ``branch`` as a registered guest; None at home or unregistered (unless the branch
    requires a registration). Organisations do not nest: a branch under the home
    organisation's path is at home (no query), and the registration at the branch's one
    organisation ancestor comes with that organisation in one query."""
    home = patron.home_organisation
    if home.kind == Node.Kind.ORGANISATION and branch.path.startswith(home.path):
        return None
    registration = first(
        GuestRegistration.objects.select_related("category", "organisation")
        .filter(
            patron=patron,
            organisation_id__in=branch.ancestor_ids(include_self=False),
            organisation__kind=Node.Kind.ORGANISATION,
            ended_at__isnull=True,
        )
        .exclude(organisation_id=home.pk)
        .order_by()
    )
    if registration is not None and registration.is_valid(today):
        return registration, registration.organisation
    if resolve_setting(branch, REQUIRE_GUEST_SETTING, False):
        organisation = branch.organisation
        if organisation is not None and organisation.pk != home.pk:
            raise GuestRegistrationRequired(organisation=str(organisation))
    return None


def _captured_for(item, patron):
    """The hold ``item`` (on the hold shelf or in transit) was captured for, if it is
    ``patron``'s; refuses otherwise."""
    captured = first(
        Hold.objects.filter(
            copy=item, status__in=[Hold.Status.READY, Hold.Status.IN_TRANSIT]
        ).order_by()
    )
    if captured is not None and captured.patron_id != patron.pk:
        raise ItemOnHoldForOther(barcode=item.barcode)
    if item.status == Item.Status.IN_TRANSIT or captured is None:
        raise ItemNotAvailable(barcode=item.barcode, status=item.get_status_display())
    return captured


@transaction.atomic
def checkout_item(*, item_barcode, card_barcode, branch, by=None, now=None):
    """Lend the item to the card's patron at ``branch``. Returns the Loan.

    Locks the item, then the patron (one query with the card); then reads the patron's
    loans, fees, blocks and own waiting hold in one query, the loan rules from the
    process cache (rules.py) and the branch calendar in one query."""
    now, today = now_and_today(now)
    check_branch(branch)
    item = lock_item(barcode=item_barcode)
    card = lock_card_patron(card_barcode)
    patron = card.patron
    guest = _guest_at(patron, branch, today)
    counts = patron_counts(
        patron,
        material_type=item.material_type,
        guest_path=guest[1].path if guest else None,
        record_id=item.record_id,
    )
    rules = rulebook(counts.stamp)
    refuse_if_blocked(patron, today, branch, rules, counts)

    # the item: free, or on the hold shelf for this very patron
    fulfils = None
    if item.status == Item.Status.ON_LOAN:
        raise ItemAlreadyOnLoan(barcode=item.barcode)
    if item.status in (Item.Status.ON_HOLD_SHELF, Item.Status.IN_TRANSIT):
        fulfils = _captured_for(item, patron)
    elif item.status != Item.Status.AVAILABLE:
        raise ItemNotAvailable(barcode=item.barcode, status=item.get_status_display())

    _check_limits(patron, item, guest, counts, rules)
    category = guest[0].category.code if guest is not None else patron.category.code
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
    try:  # no savepoint of its own: the refusal rolls the whole check-out back
        loan.save(force_insert=True)
    except IntegrityError as exc:  # the database's one-active-loan guarantee
        raise ItemAlreadyOnLoan(barcode=item.barcode) from exc
    set_status(item, Item.Status.ON_LOAN, by=by, where=branch, now=now, reason="checkout")

    # holds: the one fulfilled, the patron's waiting hold on the title, copies released
    retarget = release_copy_from_others(item) > 0
    own = []
    if counts.own_waiting_hold:  # read after the patron lock: no hold of theirs is placed
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


def _end_loan(loan, *, branch, reason, by, now, today, open_fees=None):
    """Close ``loan``; charge the late fine (capped per loan); unlink the patron when they
    did not consent to keeping loan history and nothing is owed on it. ``open_fees``:
    whether an unsettled fee on the loan was there before (read when None)."""
    loan.ended_at = now
    loan.end_reason = reason
    loan.return_branch = branch
    fee = None
    if reason == Loan.EndReason.RETURNED and loan.patron_id:
        days = policies.days_late(loan.due_date, today)
        fee = _charge_overdue(loan, days=days, note=f"{days} days late", by=by, now=now)
    if loan.patron_id and not loan.patron.keep_loan_history and fee is None:
        if open_fees is None:
            open_fees = loan.fees.filter(settled_at__isnull=True).exists()
        if not open_fees:
            loan.patron = None
            loan.card_barcode = ""
    loan.save(update_fields=["ended_at", "end_reason", "return_branch", "patron", "card_barcode"])
    return fee


def _lock_loan(loan):
    """The loan (a Loan or its id) with its item and patron, locked in the order item,
    patron, loan; LoanNotFound / LoanNotActive."""
    try:
        loan_id = int(getattr(loan, "pk", loan))
    except (TypeError, ValueError) as exc:
        raise LoanNotFound() from exc
    item = first(Item.objects.select_for_update(of=("self",)).filter(loans=loan_id).order_by())
    if item is None:
        raise LoanNotFound()
    patron = first(
        Patron.objects.select_for_update(of=("self",))
        .select_related("category", "home_organisation")
        .filter(loans=loan_id, loans__ended_at__isnull=True)
        .order_by()
    )
    loan = Loan.objects.select_for_update(of=("self",)).select_related("branch").get(pk=loan_id)
    if loan.ended_at is not None or patron is None:
        raise LoanNotActive()
    loan.item, loan.patron = item, patron
    return loan


@transaction.atomic
def renew_loan(*, loan, by=None, now=None):
    """Extend an active loan by its loan period from today (landing on an open day),
    unless no renewals are left or a waiting hold needs this copy. An overdue loan's
    fine so far is charged at renewal."""
    now, today = now_and_today(now)
    loan = _lock_loan(loan)
    item, patron = loan.item, loan.patron
    # a waiting hold of someone else that this copy could fill and that has no other
    # copy on its way (read with the blocks and fees, after the locks)
    counts = patron_counts(patron, record_id=item.record_id, item_id=item.pk, others=True)
    refuse_if_blocked(patron, today, loan.branch, counts=counts)
    if policies.renewals_left(renewals_allowed=loan.renewals_allowed, renewals=loan.renewals) <= 0:
        raise RenewalLimitReached(renewals=loan.renewals)
    if counts.others_need_copy:
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
