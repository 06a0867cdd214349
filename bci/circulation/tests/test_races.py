"""Race tests: only meaningful on PostgreSQL (select_for_update is a no-op on SQLite)."""

import threading

import pytest
from django.db import connection

from bci.catalogue.models import Item
from bci.circulation.models import Hold, Loan
from bci.circulation.services import checkin_item, checkout_item, place_hold
from bci.core.errors import DomainError
from bci.organisations.tests.factories import small_network
from bci.patrons.tests.factories import card_of, make_patron

from .conftest import NOW, at
from .factories import make_item, make_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(functions):
    """Start every function at the same moment, each on its own connection."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def worker(index, fn):
        try:
            barrier.wait()
            results[index] = ("ok", fn())
        except DomainError as exc:
            results[index] = ("refused", exc.code)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_twenty_concurrent_checkouts_give_exactly_one_loan():
    net = small_network()
    item = make_item(make_record(), net.a1)
    cards = [card_of(make_patron(net.lib_a)) for _ in range(20)]
    results = run_together(
        [
            (
                lambda c=c: checkout_item(
                    item_barcode=item.barcode, card_barcode=c, branch=net.a1, now=NOW
                )
            )
            for c in cards
        ]
    )
    assert [r for r in results if r[0] == "error"] == []
    assert sum(r[0] == "ok" for r in results) == 1
    assert {r[1] for r in results if r[0] == "refused"} == {"item_already_on_loan"}
    assert Loan.objects.filter(item=item, ended_at__isnull=True).count() == 1


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_checkin_and_hold_never_lose_the_hold(round_):
    net = small_network()
    record = make_record()
    item = make_item(record, net.a1)
    borrower = make_patron(net.lib_a)
    waiting = make_patron(net.lib_b)
    checkout_item(item_barcode=item.barcode, card_barcode=card_of(borrower), branch=net.a1, now=NOW)
    results = run_together(
        [
            lambda: checkin_item(item_barcode=item.barcode, branch=net.a1, now=at(1)),
            lambda: place_hold(record=record.pk, patron=waiting, pickup_branch=net.b1, now=at(1)),
        ]
    )
    assert [r[0] for r in results] == ["ok", "ok"], results
    hold = Hold.objects.get(patron=waiting)
    item.refresh_from_db()
    # whichever came first, the hold got the copy: captured (in transit to B-1) when the
    # hold was there at check-in, else assigned by the targeter on the shelf of A-1
    assert hold.copy_id == item.pk
    if hold.status == Hold.Status.IN_TRANSIT:
        assert item.status == Item.Status.IN_TRANSIT
    else:
        assert hold.status == Hold.Status.WAITING and item.status == Item.Status.AVAILABLE


def test_concurrent_returns_of_two_copies_capture_for_one_hold_once():
    net = small_network()
    record = make_record()
    copies = [make_item(record, net.a1), make_item(record, net.a2)]
    for copy in copies:
        checkout_item(
            item_barcode=copy.barcode,
            card_barcode=card_of(make_patron(net.lib_a)),
            branch=net.a1,
            now=NOW,
        )
    hold = place_hold(record=record, patron=make_patron(net.lib_a), pickup_branch=net.a1, now=at(1))
    results = run_together(
        [
            (lambda c=c: checkin_item(item_barcode=c.barcode, branch=c.home_branch, now=at(2)))
            for c in copies
        ]
    )
    assert [r[0] for r in results] == ["ok", "ok"], results
    actions = sorted(r[1].action for r in results)
    hold.refresh_from_db()
    assert hold.copy_id in {c.pk for c in copies}
    assert hold.status in (Hold.Status.READY, Hold.Status.IN_TRANSIT)
    assert actions in (["hold_shelf", "reshelve"], ["reshelve", "transit"])
    assert Hold.objects.filter(copy__isnull=False, status__in=Hold.ACTIVE_STATUSES).count() == 1


def test_concurrent_holds_on_one_copy_assign_it_once():
    net = small_network()
    record = make_record()
    item = make_item(record, net.a1)
    patrons = [make_patron(net.lib_a) for _ in range(8)]
    results = run_together(
        [
            (lambda p=p: place_hold(record=record, patron=p, pickup_branch=net.a2, now=at(1)))
            for p in patrons
        ]
    )
    assert all(r[0] == "ok" for r in results), results
    holds = list(Hold.objects.filter(record=record).order_by("placed_at", "id"))
    assert len(holds) == 8
    assert [h.copy_id for h in holds].count(item.pk) == 1
    assert holds[0].copy_id == item.pk  # first come, first served
