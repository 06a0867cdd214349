"""Pausing a hold (holiday): it keeps its place in the queue but gets no copy meanwhile."""

import datetime as dt

import pytest

from bci.circulation.errors import HoldNotPausable, InvalidPauseDate
from bci.circulation.models import Hold
from bci.circulation.services import (
    cancel_hold,
    checkin_item,
    checkout_item,
    place_hold,
    resume_hold,
    suspend_hold,
)
from bci.patrons.tests.factories import card_of, make_patron

from .conftest import NOW, TODAY, at


def _queue(world):
    """The copy is out on loan; Anna (first) and Bert (second) wait for it."""
    other = make_patron(world.net.lib_a, last_name="Klaassen")
    checkout_item(item_barcode="ITEM-A1", card_barcode=card_of(other), branch=world.net.a1, now=NOW)
    anna = place_hold(
        record=world.record, pickup_branch=world.net.a1, patron=world.patron, now=at(hours=1)
    )
    bert = place_hold(
        record=world.record,
        pickup_branch=world.net.a1,
        patron=make_patron(world.net.lib_a, last_name="Bakker"),
        now=at(hours=2),
    )
    return anna, bert


def test_a_paused_hold_lets_the_next_in_line_have_the_returned_copy(world):
    anna, bert = _queue(world)
    suspend_hold(hold=anna, until=TODAY + dt.timedelta(days=14), now=at(hours=3))
    checkin_item(item_barcode="ITEM-A1", branch=world.net.a1, now=at(hours=4))
    anna.refresh_from_db()
    bert.refresh_from_db()
    assert bert.status == Hold.Status.READY and bert.copy == world.item
    assert anna.status == Hold.Status.WAITING and anna.copy is None


def test_a_pause_ends_by_itself_and_the_hold_keeps_its_place(world):
    anna, bert = _queue(world)
    suspend_hold(hold=anna, until=TODAY + dt.timedelta(days=3), now=at(hours=3))
    # the copy comes back after the pause: Anna is first again
    checkin_item(item_barcode="ITEM-A1", branch=world.net.a1, now=at(days=3, hours=1))
    anna.refresh_from_db()
    assert anna.status == Hold.Status.READY


def test_resuming_early_puts_the_hold_back_at_its_place(world):
    anna, bert = _queue(world)
    suspend_hold(hold=anna, until=TODAY + dt.timedelta(days=30), now=at(hours=3))
    resume_hold(hold=anna, now=at(hours=4))
    checkin_item(item_barcode="ITEM-A1", branch=world.net.a1, now=at(hours=5))
    anna.refresh_from_db()
    assert anna.status == Hold.Status.READY and anna.suspended_until is None


@pytest.mark.parametrize(
    "until", [TODAY, TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=400), None]
)
def test_pause_dates_must_lie_ahead_within_a_year(world, until):
    anna, _bert = _queue(world)
    with pytest.raises(InvalidPauseDate):
        suspend_hold(hold=anna, until=until, now=at(hours=3))
    anna.refresh_from_db()
    assert anna.suspended_until is None


def test_only_a_waiting_hold_can_be_paused(world):
    anna, _bert = _queue(world)
    cancel_hold(hold=anna, now=at(hours=3))
    with pytest.raises(HoldNotPausable):
        suspend_hold(hold=anna, until=TODAY + dt.timedelta(days=5), now=at(hours=4))
