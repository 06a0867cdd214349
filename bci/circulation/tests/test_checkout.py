import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from bci.catalogue.errors import ItemNotFound
from bci.catalogue.models import Item
from bci.circulation import errors
from bci.circulation.models import Loan, LoanRule
from bci.circulation.services import (
    charge_fee,
    checkin_item,
    checkout_item,
    pay_fee,
    place_hold,
)
from bci.core.models import Event
from bci.organisations.models import Closure, NodeSetting
from bci.patrons import errors as patron_errors
from bci.patrons.services import block_patron, issue_card, register_guest
from bci.patrons.tests.factories import card_of, category, make_patron

from .conftest import NOW, TODAY
from .factories import make_item, make_record

pytestmark = pytest.mark.django_db


def checkout(world, item=None, branch=None, card=None, now=NOW):
    return checkout_item(
        item_barcode=(item or world.item).barcode,
        card_barcode=card or world.card,
        branch=branch or world.net.a1,
        now=now,
    )


def test_checkout_creates_loan_with_due_date_and_event(world):
    loan = checkout(world)
    assert loan.due_date == TODAY + dt.timedelta(days=21)
    assert loan.fine_per_day == Decimal("0.20") and loan.fine_cap == Decimal("5.00")
    world.item.refresh_from_db()
    assert world.item.status == Item.Status.ON_LOAN
    assert Event.objects.filter(kind="loan.checked_out", subject_id=str(loan.pk)).exists()
    assert Event.objects.filter(kind="item.status_changed", data__new="on_loan").exists()


def test_due_date_lands_on_an_open_day(world):
    Closure.objects.create(
        node=world.net.lib_a,
        start_date=dt.date(2026, 12, 23),
        end_date=dt.date(2026, 12, 24),
        reason="Kerstsluiting",
    )
    assert checkout(world).due_date == dt.date(2026, 12, 25)


def test_rules_from_branch_override_organisation_and_network(world):
    net = world.net
    LoanRule.objects.create(node=net.net, loan_period_days=21, fine_per_day=Decimal("0.25"))
    LoanRule.objects.create(node=net.lib_a, loan_period_days=28)
    LoanRule.objects.create(node=net.a2, fine_free=True)
    loan = checkout(world, branch=net.a2)
    assert loan.loan_period_days == 28 and loan.fine_free is True
    assert loan.fine_per_day == Decimal("0.25")


def test_checkout_anywhere_in_the_network(world):
    loan = checkout(world, branch=world.net.c1)  # library A's member at library C
    assert loan.branch == world.net.c1


def test_refuses_unknown_item_and_card(world):
    with pytest.raises(ItemNotFound):
        checkout_item(item_barcode="NOPE", card_barcode=world.card, branch=world.net.a1, now=NOW)
    with pytest.raises(patron_errors.CardNotFound):
        checkout_item(item_barcode="ITEM-A1", card_barcode="", branch=world.net.a1, now=NOW)
    assert Loan.objects.count() == 0


def test_refuses_non_lending_location(world):
    with pytest.raises(errors.NotALendingLocation):
        checkout(world, branch=world.net.depot)
    with pytest.raises(errors.NotALendingLocation):
        checkout(world, branch=world.net.lib_a)


def test_refuses_blocked_patron(world):
    block_patron(patron=world.patron, reason="Adres onbekend")
    with pytest.raises(errors.PatronBlocked) as exc:
        checkout(world)
    assert exc.value.code == "patron_blocked" and "Adres onbekend" in str(exc.value)
    assert Loan.objects.count() == 0


def test_refuses_expired_membership(world):
    world.patron.expires_on = TODAY - dt.timedelta(days=1)
    world.patron.save()
    with pytest.raises(errors.MembershipExpired):
        checkout(world)


def test_refuses_replaced_card(world):
    old = world.card
    issue_card(patron=world.patron, barcode="NEWCARD1")
    with pytest.raises(patron_errors.CardInactive):
        checkout(world, card=old)
    assert checkout(world, card="NEWCARD1").patron == world.patron


def test_refuses_when_fees_reach_the_limit(world):
    fee = charge_fee(patron=world.patron, amount="10.00", now=NOW)
    with pytest.raises(errors.FeeLimitReached) as exc:
        checkout(world)
    assert exc.value.code == "fee_limit_reached"
    pay_fee(fee=fee, amount="0.01", now=NOW)
    assert checkout(world).patron == world.patron


def test_refuses_max_items(world):
    LoanRule.objects.create(node=world.net.lib_a, max_items=2)
    for _ in range(2):
        checkout(world, item=make_item(world.record, world.net.a1))
    with pytest.raises(errors.LoanLimitReached) as exc:
        checkout(world)
    assert exc.value.params == {"count": 2, "limit": 2}


def test_plus_category_has_a_higher_limit(world):
    net = world.net
    LoanRule.objects.create(node=net.net, max_items=2)
    LoanRule.objects.create(node=net.net, patron_category="plus", max_items=3)
    plus = make_patron(net.lib_a, code="plus")
    for _ in range(3):
        checkout(world, item=make_item(world.record, net.a1), card=card_of(plus))
    with pytest.raises(errors.LoanLimitReached):
        checkout(world, card=card_of(plus))


def test_refuses_max_items_of_a_material_type(world):
    LoanRule.objects.create(node=world.net.net, material_type="dvd", max_items_of_type=1)
    dvd = make_record("Film", material_type="dvd")
    checkout(world, item=make_item(dvd, world.net.a1))
    with pytest.raises(errors.LoanLimitForTypeReached):
        checkout(world, item=make_item(dvd, world.net.a1))
    assert checkout(world).item == world.item  # books are not limited by it


def test_guest_limits_apply_on_top_of_home_limits(world):
    net = world.net
    LoanRule.objects.create(node=net.lib_b, patron_category="basis", max_items=1)
    register_guest(
        patron=world.patron,
        organisation=net.lib_b,
        category=category(net.net, "basis"),
        card_barcode="GUEST-B1",
    )
    checkout(world, item=make_item(world.record, net.b1), branch=net.b1, card="GUEST-B1")
    with pytest.raises(errors.GuestLoanLimitReached) as exc:
        checkout(world, item=make_item(world.record, net.b1), branch=net.b1, card="GUEST-B1")
    assert exc.value.code == "guest_loan_limit_reached"
    # at home the guest limit does not count
    assert checkout(world, branch=net.a1).branch == net.a1


def test_guest_registration_required_where_configured(world):
    NodeSetting.objects.create(
        node=world.net.lib_b, key="circulation.require_guest_registration", value=True
    )
    with pytest.raises(errors.GuestRegistrationRequired):
        checkout(world, branch=world.net.b1)
    assert checkout(world, branch=world.net.c1).branch == world.net.c1


def test_refuses_item_already_on_loan(world):
    checkout(world)
    other = make_patron(world.net.lib_a)
    with pytest.raises(errors.ItemAlreadyOnLoan):
        checkout(world, card=card_of(other))
    assert Loan.objects.count() == 1


def test_database_allows_one_active_loan_per_item(world):
    loan = checkout(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(
            item=world.item, patron=world.patron, branch=world.net.a1, due_date=TODAY
        )
    loan.ended_at, loan.end_reason = NOW, "returned"
    loan.save()
    Loan.objects.create(item=world.item, patron=world.patron, branch=world.net.a1, due_date=TODAY)


@pytest.mark.parametrize("status", ["missing", "lost", "withdrawn", "in_processing"])
def test_refuses_item_not_available(world, status):
    Item.objects.filter(pk=world.item.pk).update(status=status)
    with pytest.raises(errors.ItemNotAvailable):
        checkout(world)


def test_refuses_item_on_hold_for_someone_else(world):
    net = world.net
    waiting = make_patron(net.lib_a)
    checkout(world)
    place_hold(record=world.record, patron=waiting, pickup_branch=net.a1, now=NOW)
    checkin_item(item_barcode=world.item.barcode, branch=net.a1, now=NOW)  # to the hold shelf
    with pytest.raises(errors.ItemOnHoldForOther):
        checkout(world)
    loan = checkout(world, card=card_of(waiting))  # the reserving patron gets it
    assert loan.patron == waiting
    assert waiting.holds.get().status == "fulfilled"


def test_refuses_item_in_transit_for_a_hold(world):
    net = world.net
    waiting = make_patron(net.lib_a)
    checkout(world)
    place_hold(record=world.record, patron=waiting, pickup_branch=net.a2, now=NOW)
    checkin_item(item_barcode=world.item.barcode, branch=net.a1, now=NOW)
    with pytest.raises(errors.ItemOnHoldForOther):
        checkout(world, branch=net.a1)


def test_checkout_of_a_targeted_copy_retargets_the_hold(world):
    net = world.net
    second = make_item(world.record, net.b1)
    waiting = make_patron(net.lib_a)
    hold = place_hold(record=world.record, patron=waiting, pickup_branch=net.a1, now=NOW)
    assert hold.copy == world.item
    checkout(world)  # someone takes the targeted copy off the shelf
    hold.refresh_from_db()
    assert hold.copy == second and hold.status == "waiting"


def test_checkout_fulfils_the_patrons_own_waiting_hold(world):
    hold = place_hold(record=world.record, patron=world.patron, pickup_branch=world.net.a2, now=NOW)
    checkout(world)
    hold.refresh_from_db()
    assert hold.status == "fulfilled"
