"""Lost, missing and found copies."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from bci.catalogue.models import Item
from bci.core.events import record_event
from bci.organisations.queries import resolve_setting

from .. import targeting
from ..errors import ItemNotAvailable, ItemNotMissing, ItemOnLoan
from ..models import Fee, Loan
from ..policies import money
from .checkin import checkin_item
from .common import lock_item, lock_patron, now_and_today, release_item_holds, set_status
from .fees import create_fee
from .loans import _end_loan

REPLACEMENT_SETTING = "circulation.default_replacement_cost"
DEFAULT_REPLACEMENT = Decimal("25.00")


@transaction.atomic
def mark_item_lost(*, item_barcode, by=None, now=None, charge=True):
    """The copy is lost. A loan on it ends as lost and the patron is charged the
    replacement cost (the item's price, else the organisation's default), also in
    fine-free libraries. Holds that counted on it go back to waiting."""
    now, today = now_and_today(now)
    item = lock_item(barcode=item_barcode)
    if item.status in (Item.Status.LOST, Item.Status.WITHDRAWN, Item.Status.IN_PROCESSING):
        raise ItemNotAvailable(barcode=item.barcode, status=item.get_status_display())
    loan = Loan.objects.filter(item=item, ended_at__isnull=True).select_related("patron").first()
    fee = None
    if loan is not None:
        patron = lock_patron(loan.patron) if loan.patron_id else None
        loan = Loan.objects.select_for_update(of=("self",)).select_related("branch").get(pk=loan.pk)
        if charge and patron is not None:
            cost = item.price or resolve_setting(
                item.owner, REPLACEMENT_SETTING, str(DEFAULT_REPLACEMENT)
            )
            cost = money(cost)
            if cost > 0:
                fee = create_fee(
                    patron=patron,
                    amount=cost,
                    kind=Fee.Kind.LOST,
                    organisation=item.owner,
                    loan=loan,
                    item=item,
                    note=str(_("replacement")),
                    by=by,
                    now=now,
                )
        _end_loan(loan, branch=None, reason=Loan.EndReason.LOST, by=by, now=now, today=today)
    release_item_holds(item, by=by, now=now, reason="lost")
    set_status(item, Item.Status.LOST, by=by, where=None, now=now, reason="lost")
    targeting.retarget_record(item.record_id, now=now, by=by)
    record_event("item.lost", subject=item, by=by, now=now, loan=loan.pk if loan else None)
    return fee


@transaction.atomic
def mark_item_missing(*, item_barcode, by=None, now=None):
    """The copy is not where it should be (not found for the pick list, say). Holds that
    counted on it go back to waiting and the targeter picks another copy."""
    now, _today = now_and_today(now)
    item = lock_item(barcode=item_barcode)
    if item.status == Item.Status.ON_LOAN:
        raise ItemOnLoan(barcode=item.barcode)
    if not Item.can_transition(item.status, Item.Status.MISSING):
        raise ItemNotAvailable(barcode=item.barcode, status=item.get_status_display())
    release_item_holds(item, by=by, now=now, reason="missing")
    set_status(item, Item.Status.MISSING, by=by, where=None, now=now, reason="missing")
    targeting.retarget_record(item.record_id, now=now, by=by)
    return item


def mark_item_found(*, item_barcode, branch, by=None, now=None):
    """A missing or lost copy turned up at ``branch``: checked in there (unpaid
    replacement costs are waived, then it is routed like any return)."""
    with transaction.atomic():
        item = lock_item(barcode=item_barcode)
        if item.status not in (Item.Status.MISSING, Item.Status.LOST):
            raise ItemNotMissing(barcode=item.barcode)
        return checkin_item(item_barcode=item.barcode, branch=branch, by=by, now=now)
