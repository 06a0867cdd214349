"""Query budgets of the hot services: check-out, renewal, check-in, capture.

Counted without savepoints (the test's own transaction turns every atomic block into
one). Raise a budget only with a reason: each statement costs 0.1-0.5 ms of CPU in
Django, and the desk, SIP2 kiosks and the API call these services all day. See
docs/performance.md, "Circulation"."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bci.circulation.models import Hold
from bci.circulation.services import checkin_item, checkout_item, place_hold, renew_loan
from bci.patrons.tests.factories import card_of, make_patron

from .conftest import NOW, at
from .factories import make_item

pytestmark = pytest.mark.django_db

SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextmanager
def budget(limit):
    with CaptureQueriesContext(connection) as ctx:
        yield
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(SAVEPOINTS)]
    assert len(statements) <= limit, "\n".join([f"{len(statements)} > {limit}:", *statements])


@pytest.fixture
def warm(world):
    """One check-out and check-in first: the rule book is cached, as in a running server."""
    checkout_item(item_barcode="ITEM-A1", card_barcode=world.card, branch=world.net.a1, now=NOW)
    checkin_item(item_barcode="ITEM-A1", branch=world.net.a1, now=NOW)
    return world


def test_checkout_budget(warm):
    # item, card + patron, counts, calendar, loan, item status + event + index queue,
    # release the copy from waiting holds, event
    with budget(10):
        checkout_item(item_barcode="ITEM-A1", card_barcode=warm.card, branch=warm.net.a1, now=NOW)


def test_renewal_budget(warm):
    loan = checkout_item(
        item_barcode="ITEM-A1", card_barcode=warm.card, branch=warm.net.a1, now=NOW
    )
    # item, patron, loan, counts (with holds that need the copy), calendar, loan, event
    with budget(7):
        renew_loan(loan=loan.pk, now=at(7))


def test_checkin_budget(warm):
    checkout_item(item_barcode="ITEM-A1", card_barcode=warm.card, branch=warm.net.a1, now=NOW)
    # item, patron, loan (with open fees and waiting holds), loan, item status + event +
    # index queue, event
    with budget(8):
        checkin_item(item_barcode="ITEM-A1", branch=warm.net.a1, now=at(3))


def test_capture_budget(warm):
    checkout_item(item_barcode="ITEM-A1", card_barcode=warm.card, branch=warm.net.a1, now=NOW)
    for hours in range(1, 4):  # a queue: the capture locks one hold, not the queue
        place_hold(
            record=warm.record,
            patron=make_patron(warm.net.lib_a),
            pickup_branch=warm.net.a1,
            now=at(hours=hours),
        )
    # item, patron, loan (+ waiting holds, a hold holding this copy, the rules' stamp),
    # loan, the oldest hold, item status + event + index queue, calendar, hold, two events
    with budget(12):
        result = checkin_item(item_barcode="ITEM-A1", branch=warm.net.a1, now=at(1))
    assert result.action == "hold_shelf"
    assert Hold.objects.filter(status=Hold.Status.READY).count() == 1


def test_guest_checkout_budget(warm):
    from bci.patrons.services import register_guest
    from bci.patrons.tests.factories import category

    register_guest(
        patron=warm.patron,
        organisation=warm.net.lib_b,
        category=category(warm.net.net, "basis"),
        card_barcode="GUEST-B1",
    )
    item = make_item(warm.record, warm.net.b1)
    # + the guest registration with its organisation
    with budget(11):
        checkout_item(item_barcode=item.barcode, card_barcode="GUEST-B1", branch=warm.net.b1)
    assert card_of(warm.patron)
