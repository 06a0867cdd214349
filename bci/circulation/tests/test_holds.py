import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from bci.catalogue.models import Item
from bci.circulation import errors, targeting
from bci.circulation.models import Fee, Hold, LoanRule
from bci.circulation.queries import hold_queue, hold_shelf, pick_list
from bci.circulation.services import (
    HOLD_SHELF,
    TRANSIT,
    cancel_hold,
    checkin_item,
    checkout_item,
    expire_hold_shelf,
    expire_holds,
    mark_item_found,
    mark_item_lost,
    mark_item_missing,
    place_hold,
)
from bci.core.models import Event
from bci.organisations.models import NodeSetting
from bci.patrons.services import block_patron
from bci.patrons.tests.factories import card_of, make_patron

from .conftest import NOW, TODAY, at
from .factories import make_item, make_record

pytestmark = pytest.mark.django_db


def hold_for(world, pickup, patron=None, now=NOW, **kw):
    patron = patron or make_patron(world.net.lib_a)
    return place_hold(record=world.record, patron=patron, pickup_branch=pickup, now=now, **kw)


def test_prefers_copy_at_the_pickup_branch(world):
    net = world.net
    here = make_item(world.record, net.a2)
    hold = hold_for(world, net.a2)
    assert hold.copy == here
    assert hold.copy_reason == "in de kast bij het afhaalpunt A Noord"
    event = Event.objects.get(kind="hold.copy_assigned", subject_id=str(hold.pk))
    assert event.data["item"] == here.pk and event.data["reason"] == hold.copy_reason


def test_prefers_same_organisation_over_other_province(world):
    net = world.net
    world.item.delete()
    far = make_item(world.record, net.c1)
    near = make_item(world.record, net.a1)
    hold = hold_for(world, net.a2)
    assert hold.copy == near
    assert hold.copy_reason.startswith("beschikbaar in A Centrum, aankomst ")
    assert hold.copy_reason.endswith(", 5 km")
    near.refresh_from_db()
    assert far.pk != hold.copy_id


def test_title_only_in_maastricht_is_chosen_with_reason(world):
    net = world.net
    world.item.delete()
    make_item(world.record, net.c1)
    hold = hold_for(world, net.a1)  # pick up in Houten
    assert hold.copy.home_branch == net.c1
    assert hold.copy_reason == "beschikbaar in C Centrum, aankomst ma 7 dec, 136 km"


def test_first_come_first_served_per_record(world):
    net = world.net
    make_item(world.record, net.c1)
    older = hold_for(world, net.a1, now=at(0))
    newer = hold_for(world, net.a1, now=at(0, 1))
    assert older.copy == world.item  # the older hold gets the best copy
    newer.refresh_from_db()
    assert newer.copy.home_branch == net.c1


def test_older_hold_takes_a_better_copy_that_appears(world):
    net = world.net
    world.item.delete()
    make_item(world.record, net.c1)
    hold = hold_for(world, net.a1)
    assert hold.copy.home_branch == net.c1
    better = make_item(world.record, net.a1)
    targeting.retarget_record(world.record.pk, now=NOW)
    hold.refresh_from_db()
    assert hold.copy == better


@pytest.mark.parametrize("bulk", [False, True])
def test_load_is_spread_with_weights(world, bulk):
    net = world.net
    # two equally good sources for a pick-up at A-1: A-2 (busy) and B-1 (idle), weights
    # say distance hardly matters and each pick on the list costs a lot
    NodeSetting.objects.create(
        node=net.net,
        key="circulation.targeter_weights",
        value={"per_pick": 100.0, "same_poi": 0.0, "same_organisation": 0.0, "per_km": 0.0},
    )
    world.item.delete()
    other = make_record("Druk")
    make_item(other, net.a2)
    place_hold(record=other, patron=make_patron(net.lib_a), pickup_branch=net.a1, now=NOW)
    a2 = make_item(world.record, net.a2)
    b1 = make_item(world.record, net.b1)
    hold = hold_for(world, net.a1)
    if bulk:  # the full re-optimisation counts the load the same way
        Hold.objects.filter(pk=hold.pk).update(copy=None)
        targeting.retarget_all(now=NOW)
        hold.refresh_from_db()
    assert hold.copy == b1 and a2.pk != b1.pk


def test_item_level_hold_only_takes_that_copy(world):
    net = world.net
    wanted = make_item(world.record, net.c1, barcode="WANTED")
    hold = hold_for(world, net.a1, item_barcode="WANTED")
    assert hold.item == wanted and hold.copy == wanted
    with pytest.raises(errors.ItemNotOfRecord):
        place_hold(
            record=make_record(),
            patron=make_patron(net.lib_a),
            pickup_branch=net.a1,
            item_barcode="WANTED",
            now=NOW,
        )


def test_hold_refusals(world):
    net = world.net
    patron = make_patron(net.lib_a)
    hold_for(world, net.a1, patron=patron)
    with pytest.raises(errors.AlreadyOnHold):
        hold_for(world, net.a2, patron=patron)
    with pytest.raises(errors.NotALendingLocation):
        hold_for(world, net.depot)
    lost_record = make_record()
    make_item(lost_record, net.a1, status="lost")
    with pytest.raises(errors.NothingToHold):
        place_hold(record=lost_record, patron=patron, pickup_branch=net.a1, now=NOW)
    from bci.catalogue.errors import RecordNotFound

    with pytest.raises(RecordNotFound):
        place_hold(record="x", patron=patron, pickup_branch=net.a1, now=NOW)
    blocked = make_patron(net.lib_a)
    block_patron(patron=blocked, reason="test")
    with pytest.raises(errors.PatronBlocked):
        hold_for(world, net.a1, patron=blocked)
    with pytest.raises(errors.InvalidHoldDate):
        hold_for(world, net.a1, not_needed_after=TODAY - dt.timedelta(days=1))
    assert Hold.objects.count() == 1


def test_hold_refused_when_patron_has_title_on_loan(world):
    checkout_item(
        item_barcode=world.item.barcode, card_barcode=world.card, branch=world.net.a1, now=NOW
    )
    with pytest.raises(errors.AlreadyOnLoanToPatron):
        hold_for(world, world.net.a1, patron=world.patron)


def test_hold_fee_is_charged(world):
    LoanRule.objects.create(node=world.net.lib_a, hold_fee=Decimal("1.00"))
    hold = hold_for(world, world.net.a1)
    fee = Fee.objects.get()
    assert fee.kind == Fee.Kind.HOLD and fee.amount == Decimal("1.00") and fee.hold == hold


def test_database_allows_a_copy_for_one_active_hold(world):
    hold = hold_for(world, world.net.a1)
    assert hold.copy == world.item
    other = make_patron(world.net.lib_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Hold.objects.create(
            record=world.record, patron=other, pickup_branch=world.net.a1, copy=world.item
        )


def test_hold_status_transition_table():
    S = Hold.Status
    assert set(Hold.TRANSITIONS) == set(S)
    assert Hold.can_transition(S.WAITING, S.IN_TRANSIT)
    assert Hold.can_transition(S.IN_TRANSIT, S.READY)
    assert Hold.can_transition(S.READY, S.FULFILLED)
    for closed in (S.FULFILLED, S.CANCELLED, S.EXPIRED):
        assert not any(Hold.can_transition(closed, s) for s in S)


def test_pick_list_and_pulling_a_copy(world):
    net = world.net
    hold = hold_for(world, net.b1)
    rows = list(pick_list(net.a1))
    assert rows == [hold] and rows[0].copy == world.item
    assert list(pick_list(net.b1)) == []
    result = checkin_item(item_barcode=world.item.barcode, branch=net.a1, now=at(0, 1))
    assert result.action == TRANSIT and result.routing.destination == net.b1
    assert list(pick_list(net.a1)) == []
    result = checkin_item(item_barcode=world.item.barcode, branch=net.b1, now=at(1))
    assert result.action == HOLD_SHELF
    assert list(hold_shelf(net.b1)) == [Hold.objects.get(pk=hold.pk)]


def test_cancel_ready_hold_passes_copy_to_next_hold(world):
    net = world.net
    first = hold_for(world, net.a1, now=at(0))
    checkin_item(item_barcode=world.item.barcode, branch=net.a1, now=at(0, 1))
    second = hold_for(world, net.a1, now=at(0, 2))
    routing = cancel_hold(hold=first, now=at(1))
    assert routing.action == HOLD_SHELF and routing.hold == second
    second.refresh_from_db()
    assert second.status == Hold.Status.READY
    with pytest.raises(errors.HoldNotActive):
        cancel_hold(hold=first, now=at(1))


def test_cancel_waiting_hold_frees_copy_for_the_next(world):
    net = world.net
    first = hold_for(world, net.a1, now=at(0))
    second = hold_for(world, net.a1, now=at(0, 1))
    assert first.copy == world.item and Hold.objects.get(pk=second.pk).copy is None
    assert cancel_hold(hold=first, now=at(1)) is None
    second.refresh_from_db()
    assert second.copy == world.item
    assert [h.pk for h in hold_queue(world.record)] == [second.pk]


def test_expire_holds_not_needed_any_more(world):
    net = world.net
    first = hold_for(world, net.a1, not_needed_after=TODAY + dt.timedelta(days=2))
    second = hold_for(world, net.a1, now=at(0, 1))
    assert expire_holds(now=at(2)) == 0
    assert expire_holds(now=at(3)) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Hold.Status.EXPIRED and second.copy == world.item


def test_expire_hold_shelf_routes_the_copy(world):
    net = world.net
    hold = hold_for(world, net.a2)
    checkin_item(item_barcode=world.item.barcode, branch=net.a1, now=at(0, 1))
    checkin_item(item_barcode=world.item.barcode, branch=net.a2, now=at(1))
    hold.refresh_from_db()
    assert expire_hold_shelf(now=at(1 + 7)) == []
    results = expire_hold_shelf(now=at(1 + 8))
    assert len(results) == 1
    expired, routing = results[0]
    assert expired.status == Hold.Status.EXPIRED
    assert routing.action == TRANSIT and routing.destination == net.a1  # home


def test_mark_lost_charges_replacement_and_releases_holds(world):
    net = world.net
    Item.objects.filter(pk=world.item.pk).update(price=Decimal("19.95"))
    LoanRule.objects.create(node=net.net, fine_free=True)  # fine-free still charges loss
    checkout_item(item_barcode=world.item.barcode, card_barcode=world.card, branch=net.a1, now=NOW)
    second = make_item(world.record, net.b1)
    fee = mark_item_lost(item_barcode=world.item.barcode, now=at(30))
    assert fee.amount == Decimal("19.95") and fee.kind == Fee.Kind.LOST
    world.item.refresh_from_db()
    assert world.item.status == Item.Status.LOST
    assert world.item.loans.get().end_reason == "lost"
    hold = hold_for(world, net.a1, now=at(31))
    assert hold.copy == second
    # found again at A-1: the unpaid replacement cost is waived and the copy, standing
    # at the hold's pick-up branch, serves the waiting hold at once
    result = mark_item_found(item_barcode=world.item.barcode, branch=net.a1, now=at(40))
    assert result.action == HOLD_SHELF and result.routing.hold == hold
    fee.refresh_from_db()
    assert fee.settled_at is not None and fee.waived == Decimal("19.95")


def test_mark_missing_retargets_hold(world):
    net = world.net
    second = make_item(world.record, net.b1)
    hold = hold_for(world, net.a1)
    assert hold.copy == world.item
    mark_item_missing(item_barcode=world.item.barcode, now=at(1))
    hold.refresh_from_db()
    assert hold.copy == second
    with pytest.raises(errors.ItemNotMissing):
        mark_item_found(item_barcode=second.barcode, branch=net.a1, now=at(2))


def test_missing_copy_in_transit_returns_hold_to_queue(world):
    net = world.net
    hold = hold_for(world, net.b1)
    checkin_item(item_barcode=world.item.barcode, branch=net.a1, now=at(0, 1))
    hold.refresh_from_db()
    assert hold.status == Hold.Status.IN_TRANSIT
    mark_item_missing(item_barcode=world.item.barcode, now=at(3))
    hold.refresh_from_db()
    assert hold.status == Hold.Status.WAITING and hold.copy is None
    assert world.item.transits.get().status == "cancelled"


def test_mark_missing_refuses_item_on_loan(world):
    checkout_item(
        item_barcode=world.item.barcode, card_barcode=world.card, branch=world.net.a1, now=NOW
    )
    with pytest.raises(errors.ItemOnLoan):
        mark_item_missing(item_barcode=world.item.barcode, now=at(1))


def test_retarget_command_repairs_assignments(world):
    net = world.net
    hold = hold_for(world, net.a1)
    Hold.objects.filter(pk=hold.pk).update(copy=None, copy_reason="")
    call_command("retarget_holds", verbosity=0)
    hold.refresh_from_db()
    assert hold.copy == world.item and hold.copy_reason


def test_guest_card_places_holds_for_the_patron(world):
    from bci.patrons.services import register_guest
    from bci.patrons.tests.factories import category

    register_guest(
        patron=world.patron,
        organisation=world.net.lib_b,
        category=category(world.net.net),
        card_barcode="GUEST-9",
    )
    hold = place_hold(
        record=world.record, card_barcode="GUEST-9", pickup_branch=world.net.b1, now=NOW
    )
    assert hold.patron == world.patron
    assert card_of(world.patron, world.net.lib_b) == "GUEST-9"


def test_retarget_all_in_chunks_serves_every_title_first_come_first_served(world):
    net = world.net
    other = make_record("Tweede titel")
    copy = make_item(other, net.b1)
    holds = [hold_for(world, net.a1, now=at(0, k)) for k in range(2)]
    holds.append(
        place_hold(record=other, patron=make_patron(net.lib_b), pickup_branch=net.b1, now=NOW)
    )
    Hold.objects.update(copy=None, copy_reason="")
    assert targeting.retarget_all(now=at(1), chunk=1) == (2, 2)
    got = {h.pk: h.copy_id for h in Hold.objects.all()}
    assert got == {holds[0].pk: world.item.pk, holds[1].pk: None, holds[2].pk: copy.pk}
    assert targeting.retarget_all(now=at(1)) == (2, 0)  # stable: nothing changes


@pytest.mark.parametrize("bulk", [False, True])
def test_targeter_calendar_matches_the_organisations_calendar(world, bulk):
    from bci.organisations.models import Closure
    from bci.organisations.queries import next_open_day

    net = world.net
    Closure.objects.create(
        node=net.lib_a,
        start_date=TODAY + dt.timedelta(days=2),
        end_date=TODAY + dt.timedelta(days=5),
        reason="Verbouwing",
    )
    Closure.objects.create(
        node=net.net,
        start_date=TODAY + dt.timedelta(days=9),
        end_date=TODAY + dt.timedelta(days=9),
        reason="Feestdag",
    )
    ctx = targeting.Context(TODAY, bulk=bulk)
    for node in (net.a1, net.a2, net.b1, net.c1):
        for offset in range(14):
            day = TODAY + dt.timedelta(days=offset)
            assert ctx.open_day(node.pk, day) == next_open_day(node, day, include_start=True)
    assert ctx.open_day(net.depot.pk, TODAY) == TODAY  # no hours: the day itself


def test_expire_holds_command_reports_counts(world):
    import io

    from django.utils import timezone

    later = max(TODAY, timezone.localdate()) + dt.timedelta(days=30)
    hold_for(world, world.net.a1, not_needed_after=later)
    out = io.StringIO()
    call_command("expire_holds", stdout=out)  # runs on today's clock: nothing is due yet
    assert out.getvalue().strip() == "0 waiting holds expired, 0 taken off the shelf"
    assert Hold.objects.get().status == Hold.Status.WAITING
