import datetime as dt
from decimal import Decimal

import pytest

from bci.catalogue.models import Item
from bci.circulation import errors
from bci.circulation.models import Fee, Hold, Loan, LoanRule
from bci.circulation.services import (
    HOLD_SHELF,
    RESHELVE,
    TRANSIT,
    checkin_item,
    checkout_item,
    pay_fee,
    place_hold,
    renew_loan,
    waive_fee,
)
from bci.logistics.models import Transit
from bci.patrons.services import set_loan_history_consent
from bci.patrons.tests.factories import card_of, make_patron

from .conftest import NOW, at
from .factories import make_item

pytestmark = pytest.mark.django_db


def lend(world, branch=None, item=None, card=None, now=NOW):
    return checkout_item(
        item_barcode=(item or world.item).barcode,
        card_barcode=card or world.card,
        branch=branch or world.net.a1,
        now=now,
    )


def checkin(item, branch, now):
    return checkin_item(item_barcode=item.barcode, branch=branch, now=now)


def test_return_at_home_branch_reshelves(world):
    loan = lend(world)
    result = checkin(world.item, world.net.a1, at(3))
    assert result.action == RESHELVE and str(result.message) == "Terugzetten"
    loan.refresh_from_db()
    assert loan.ended_at is not None and loan.end_reason == "returned"
    world.item.refresh_from_db()
    assert world.item.status == Item.Status.AVAILABLE
    assert result.fee is None


def test_return_at_another_library_goes_home_in_transit(world):
    net = world.net
    lend(world, branch=net.b1)  # borrowed at library B
    result = checkin(world.item, net.c1, at(3))  # returned at library C
    assert result.action == TRANSIT and result.routing.destination == net.a1
    assert str(result.message) == "Vervoer naar A Centrum"
    transit = Transit.objects.get()
    assert (transit.from_node, transit.to_node, transit.reason) == (net.c1, net.a1, "return_home")
    assert transit.funding == Transit.Funding.IBL
    world.item.refresh_from_db()
    assert world.item.status == Item.Status.IN_TRANSIT
    # scanned somewhere on the way: still in transit, nothing changes
    midway = checkin(world.item, net.b1, at(4))
    assert midway.action == TRANSIT and midway.routing.destination == net.a1
    # arrives home: transit received, reshelved
    home = checkin(world.item, net.a1, at(5))
    assert home.action == RESHELVE
    transit.refresh_from_db()
    assert transit.status == Transit.Status.RECEIVED


def test_floating_item_stays_where_returned(world):
    Item.objects.filter(pk=world.item.pk).update(floating=True)
    lend(world)
    result = checkin(world.item, world.net.b1, at(2))
    assert result.action == RESHELVE
    world.item.refresh_from_db()
    assert world.item.current_location == world.net.b1 and world.item.home_branch == world.net.a1


def test_late_return_charges_fine_per_day(world):
    loan = lend(world)
    result = checkin(world.item, world.net.a1, at(21 + 3))
    assert result.fee.amount == Decimal("0.60") and result.fee.kind == Fee.Kind.OVERDUE
    assert result.fee.loan == loan and result.fee.organisation == world.net.lib_a


def test_fine_is_capped(world):
    lend(world)
    result = checkin(world.item, world.net.a1, at(21 + 200))
    assert result.fee.amount == Decimal("5.00")


def test_fine_free_branch_charges_nothing(world):
    net = world.net
    LoanRule.objects.create(node=net.a2, fine_free=True)
    lend(world, branch=net.a2)
    result = checkin(world.item, net.a1, at(40))
    assert result.fee is None and Fee.objects.count() == 0
    lend(world, branch=net.a1, now=at(41))  # the rest of library A still fines
    assert checkin(world.item, net.a1, at(41 + 25)).fee.amount == Decimal("0.80")


def test_return_unlinks_patron_without_consent(world):
    loan = lend(world)
    checkin(world.item, world.net.a1, at(1))
    loan.refresh_from_db()
    assert loan.patron is None and loan.card_barcode == ""


def test_return_keeps_history_with_consent(world):
    set_loan_history_consent(patron=world.patron, keep=True)
    loan = lend(world)
    checkin(world.item, world.net.a1, at(1))
    loan.refresh_from_db()
    assert loan.patron == world.patron


def test_late_loan_is_unlinked_once_the_fine_is_settled(world):
    loan = lend(world)
    fee = checkin(world.item, world.net.a1, at(25)).fee
    loan.refresh_from_db()
    assert loan.patron == world.patron  # kept while the fine is open
    pay_fee(fee=fee, amount="0.50", now=at(26))
    loan.refresh_from_db()
    assert loan.patron == world.patron
    waive_fee(fee=fee, reason="goodwill", now=at(26))
    loan.refresh_from_db()
    assert loan.patron is None


def test_return_captures_for_waiting_hold_at_this_branch(world):
    net = world.net
    lend(world)
    waiting = make_patron(net.lib_a, last_name="Bakker", first_name="Anna")
    hold = place_hold(record=world.record, patron=waiting, pickup_branch=net.a1, now=at(1))
    assert hold.copy is None  # the only copy is on loan
    result = checkin(world.item, net.a1, at(2))
    assert result.action == HOLD_SHELF and result.routing.hold == hold
    assert str(result.message) == "Reserveringenplank voor Bakker, A."
    hold.refresh_from_db()
    assert hold.status == Hold.Status.READY and hold.copy == world.item
    assert hold.shelf_until == (at(2) + dt.timedelta(days=7)).date()


def test_return_elsewhere_sends_hold_copy_to_pickup_and_receiving_shelves_it(world):
    net = world.net
    lend(world, branch=net.a1)
    waiting = make_patron(net.lib_c)
    hold = place_hold(record=world.record, patron=waiting, pickup_branch=net.c1, now=at(1))
    result = checkin(world.item, net.b1, at(2))
    assert result.action == TRANSIT and result.routing.destination == net.c1
    hold.refresh_from_db()
    assert hold.status == Hold.Status.IN_TRANSIT and hold.copy == world.item
    transit = Transit.objects.get()
    assert transit.reason == "hold" and transit.reference == f"hold:{hold.pk}"
    arrived = checkin(world.item, net.c1, at(4))
    assert arrived.action == HOLD_SHELF
    hold.refresh_from_db()
    transit.refresh_from_db()
    assert hold.status == Hold.Status.READY and transit.status == "received"
    world.item.refresh_from_db()
    assert world.item.status == Item.Status.ON_HOLD_SHELF
    assert world.item.current_location == net.c1
    loan = lend(world, branch=net.c1, card=card_of(waiting), now=at(5))
    hold.refresh_from_db()
    assert hold.status == Hold.Status.FULFILLED and loan.patron == waiting


def test_hold_cancelled_while_in_transit_routes_copy_on_arrival(world):
    from bci.circulation.services import cancel_hold

    net = world.net
    lend(world)
    hold = place_hold(
        record=world.record, patron=make_patron(net.lib_b), pickup_branch=net.b1, now=at(1)
    )
    checkin(world.item, net.a1, at(2))
    cancel_hold(hold=hold, now=at(3))
    arrived = checkin(world.item, net.b1, at(4))
    assert arrived.action == TRANSIT and arrived.routing.destination == net.a1  # home


def test_checkin_of_withdrawn_item_is_refused(world):
    Item.objects.filter(pk=world.item.pk).update(status="withdrawn")
    with pytest.raises(errors.ItemNotCirculating):
        checkin(world.item, world.net.a1, NOW)


def test_renewal_extends_from_today(world):
    loan = lend(world)
    renewed = renew_loan(loan=loan, now=at(20))
    assert renewed.due_date == (at(20) + dt.timedelta(days=21)).date()
    assert renewed.renewals == 1


def test_renewal_limit(world):
    LoanRule.objects.create(node=world.net.net, renewals_allowed=1)
    loan = lend(world)
    renew_loan(loan=loan, now=at(10))
    with pytest.raises(errors.RenewalLimitReached):
        renew_loan(loan=loan, now=at(20))


def test_renewal_refused_when_someone_waits(world):
    loan = lend(world)
    place_hold(
        record=world.record,
        patron=make_patron(world.net.lib_a),
        pickup_branch=world.net.a1,
        now=at(1),
    )
    with pytest.raises(errors.RenewalBlockedByHolds):
        renew_loan(loan=loan, now=at(10))
    loan.refresh_from_db()
    assert loan.renewals == 0


def test_renewal_allowed_when_the_waiting_hold_has_another_copy(world):
    loan = lend(world)
    make_item(world.record, world.net.a2)
    hold = place_hold(
        record=world.record,
        patron=make_patron(world.net.lib_a),
        pickup_branch=world.net.a1,
        now=at(1),
    )
    assert hold.copy is not None
    assert renew_loan(loan=loan, now=at(10)).renewals == 1


def test_overdue_renewal_charges_fine_so_far_and_cap_holds(world):
    loan = lend(world)
    renew_loan(loan=loan, now=at(21 + 20))  # 20 days late: EUR 4.00
    fee = Fee.objects.get()
    assert fee.amount == Decimal("4.00")
    result = checkin(world.item, world.net.a1, at(21 + 20 + 21 + 30))
    assert result.fee.amount == Decimal("1.00")  # the cap is per loan


def test_renewal_refused_for_blocked_or_ended_loan(world):
    from bci.patrons.services import block_patron

    loan = lend(world)
    block_patron(patron=world.patron, reason="test")
    with pytest.raises(errors.PatronBlocked):
        renew_loan(loan=loan, now=at(3))
    with pytest.raises(errors.LoanNotFound):
        renew_loan(loan="abc", now=at(3))
    Loan.objects.filter(pk=loan.pk).update(ended_at=at(4), end_reason="returned")
    with pytest.raises(errors.LoanNotActive):
        renew_loan(loan=loan, now=at(5))


def test_return_keeps_the_patron_while_a_fee_from_renewal_is_open(world):
    loan = lend(world)
    loan = renew_loan(loan=loan.pk, now=at(23))  # two days late: fined at renewal
    assert Fee.objects.filter(loan=loan, settled_at__isnull=True).exists()
    result = checkin(world.item, world.net.a1, at(24))
    assert result.fee is None  # the new due date is weeks away
    loan.refresh_from_db()
    assert loan.patron == world.patron


def test_return_captures_for_a_hold_that_still_holds_this_copy(world):
    """A waiting hold the targeter gave this copy (a stale assignment, e.g. from a race
    while the copy was lent out) comes first, and no other hold keeps the copy."""
    net = world.net
    lend(world)
    older = place_hold(record=world.record, patron=make_patron(net.lib_a), pickup_branch=net.a1)
    newer = place_hold(record=world.record, patron=make_patron(net.lib_a), pickup_branch=net.a1)
    Hold.objects.filter(pk=newer.pk).update(copy=world.item)
    result = checkin(world.item, net.a1, at(2))
    assert result.action == HOLD_SHELF and result.routing.hold == newer
    older.refresh_from_db()
    assert older.status == Hold.Status.WAITING and older.copy is None
