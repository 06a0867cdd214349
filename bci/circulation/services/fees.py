"""Fees: charge, pay, waive."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from bci.core.events import record_event
from bci.organisations.models import Node

from ..errors import FeeSettled, InvalidAmount, MissingReason, Overpayment
from ..models import Fee, Loan
from ..policies import money

MAX_FEE = Decimal("10000.00")


def parse_amount(value):
    """A positive amount in euros with at most two decimals, or InvalidAmount."""
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidAmount(amount=str(value)) from exc
    if (
        not amount.is_finite()
        or amount <= 0
        or amount > MAX_FEE
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise InvalidAmount(amount=str(value))
    return money(amount)


def _organisation_of(node):
    if node is None:
        return None
    return node if node.kind == Node.Kind.ORGANISATION else (node.organisation or node)


def create_fee(
    *,
    patron,
    amount,
    kind,
    organisation,
    loan=None,
    hold=None,
    item=None,
    note="",
    by=None,
    now=None,
):
    """Insert a fee inside the caller's transaction (amount already validated)."""
    now = now or timezone.now()
    fee = Fee.objects.create(
        patron=patron,
        kind=kind,
        amount=amount,
        organisation=_organisation_of(organisation),
        loan=loan,
        hold=hold,
        item=item,
        note=(note or "")[:200],
        created_at=now,
    )
    record_event(
        "fee.charged",
        subject=fee,
        by=by,
        where=organisation,
        now=now,
        patron=patron.pk,
        fee_kind=kind,
        amount=str(amount),
    )
    return fee


@transaction.atomic
def charge_fee(
    *, patron, amount, kind=Fee.Kind.OTHER, organisation=None, note="", item=None, by=None, now=None
):
    amount = parse_amount(amount)
    if kind not in Fee.Kind.values:
        raise InvalidAmount(amount=f"kind {kind!r}")
    return create_fee(
        patron=patron,
        amount=amount,
        kind=kind,
        organisation=organisation or patron.home_organisation,
        item=item,
        note=note,
        by=by,
        now=now,
    )


def _lock_fee(fee):
    fee = (
        Fee.objects.select_for_update(of=("self",)).select_related("patron", "loan").get(pk=fee.pk)
    )
    if fee.settled_at is not None or fee.outstanding <= 0:
        raise FeeSettled()
    return fee


def _settle_if_done(fee, now):
    if fee.outstanding <= 0:
        fee.settled_at = now
        loan = fee.loan
        if (
            loan is not None
            and loan.ended_at is not None
            and loan.patron_id
            and not fee.patron.keep_loan_history
            and not loan.fees.filter(settled_at__isnull=True).exclude(pk=fee.pk).exists()
        ):
            Loan.objects.filter(pk=loan.pk).update(patron=None, card_barcode="")


@transaction.atomic
def pay_fee(*, fee, amount=None, by=None, now=None, method="cash"):
    """Pay ``amount`` (default: all that is outstanding) on ``fee``."""
    now = now or timezone.now()
    fee = _lock_fee(fee)
    amount = fee.outstanding if amount is None else parse_amount(amount)
    if amount > fee.outstanding:
        raise Overpayment(outstanding=fee.outstanding)
    fee.paid += amount
    _settle_if_done(fee, now)
    fee.save(update_fields=["paid", "settled_at"])
    record_event(
        "fee.paid", subject=fee, by=by, now=now, amount=str(amount), method=str(method)[:20]
    )
    return fee


@transaction.atomic
def waive_fee(*, fee, reason, amount=None, by=None, now=None):
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason()
    fee = _lock_fee(fee)
    amount = fee.outstanding if amount is None else parse_amount(amount)
    if amount > fee.outstanding:
        raise Overpayment(outstanding=fee.outstanding)
    fee.waived += amount
    _settle_if_done(fee, now)
    fee.save(update_fields=["waived", "settled_at"])
    record_event("fee.waived", subject=fee, by=by, now=now, amount=str(amount), reason=reason)
    return fee
