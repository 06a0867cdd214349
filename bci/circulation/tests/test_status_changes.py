"""Item status changes made by other apps reach the targeter (same transaction)."""

import pytest

from bci.catalogue.services import change_item_status
from bci.circulation.models import Hold
from bci.circulation.services import checkin_item, place_hold
from bci.patrons.tests.factories import make_patron

from .conftest import NOW, at
from .factories import make_item

pytestmark = pytest.mark.django_db


def test_withdrawn_targeted_copy_is_replaced(world):
    net = world.net
    second = make_item(world.record, net.b1)
    hold = place_hold(
        record=world.record, patron=make_patron(net.lib_a), pickup_branch=net.a1, now=NOW
    )
    assert hold.copy == world.item
    change_item_status(item=world.item, to="withdrawn", reason="weeded")
    hold.refresh_from_db()
    assert hold.copy == second


def test_copy_becoming_available_is_assigned(world):
    net = world.net
    world.item.status = "in_processing"
    world.item.save()
    hold = place_hold(
        record=world.record, patron=make_patron(net.lib_a), pickup_branch=net.a1, now=NOW
    )
    assert hold.copy is None
    change_item_status(item=world.item, to="available")
    hold.refresh_from_db()
    assert hold.copy == world.item and hold.copy_reason


def test_copy_on_hold_shelf_marked_missing_elsewhere_returns_hold_to_queue(world):
    net = world.net
    hold = place_hold(
        record=world.record, patron=make_patron(net.lib_a), pickup_branch=net.a1, now=NOW
    )
    checkin_item(item_barcode=world.item.barcode, branch=net.a1, now=at(0, 1))
    hold.refresh_from_db()
    assert hold.status == Hold.Status.READY
    second = make_item(world.record, net.a2, status="in_processing")
    change_item_status(item=world.item, to="missing", reason="not on the shelf")
    hold.refresh_from_db()
    assert hold.status == Hold.Status.WAITING and hold.copy is None
    change_item_status(item=second, to="available")
    hold.refresh_from_db()
    assert hold.copy == second


def test_circulation_own_changes_do_not_trigger_twice(world, django_assert_max_num_queries):
    # a plain reshelve of a copy nobody waits for stays cheap
    with django_assert_max_num_queries(12):
        checkin_item(item_barcode=world.item.barcode, branch=world.net.a1, now=NOW)
