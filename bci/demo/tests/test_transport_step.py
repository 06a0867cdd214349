"""The demo's transport step: new stock, a rotating collection, and the acceptance walk of
a hold from Maastricht to Houten, scanned step by step at realistic times."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from rich.console import Console

from bci.catalogue.models import Item
from bci.circulation.models import Hold
from bci.core.models import Event
from bci.demo import seed
from bci.demo.steps import transport
from bci.logistics.models import Crate, Transit

MONDAY = timezone.make_aware(dt.datetime(2026, 11, 30, 10, 0))
THURSDAY, FRIDAY = dt.date(2026, 11, 26), dt.date(2026, 11, 27)
BEFORE = ["network", "staff", "catalogue", "circulation"]

# (event, where, crate) of the walk, in order
WALK = [
    ("transit.created", "CENTRE-CERAMIQUE-MAASTRICHT", None),
    ("transit.packed", "CENTRE-CERAMIQUE-MAASTRICHT", "KR-LIM-0001"),
    ("transit.dispatched", "CENTRE-CERAMIQUE-MAASTRICHT", "KR-LIM-0001"),
    ("transit.at_depot", "CUBISS-LIMBURG-CROSS-DOCK", "KR-LIM-0001"),
    ("transit.packed", "CUBISS-LIMBURG-CROSS-DOCK", "KR-LIM-0003"),
    ("transit.dispatched", "CUBISS-LIMBURG-CROSS-DOCK", "KR-LIM-0003"),
    ("transit.at_depot", "BISC-DEPOT", "KR-LIM-0003"),
    ("transit.packed", "BISC-DEPOT", "KR-UTR-0003"),
    ("transit.dispatched", "BISC-DEPOT", "KR-UTR-0003"),
    ("transit.delivered", "LEK-IJSSEL-HOUTEN", "KR-UTR-0003"),
    ("transit.received", "LEK-IJSSEL-HOUTEN", None),
]


@pytest.fixture(autouse=True)
def _small(settings):
    settings.BCI_DEMO_TITLES = 1  # only the real sample records


def _quiet():
    return Console(file=io.StringIO())


def test_working_days_are_the_last_two_that_are_over():
    assert transport.working_days(MONDAY) == (THURSDAY, FRIDAY)
    evening = timezone.make_aware(dt.datetime(2026, 12, 2, 19, 30))  # Wednesday
    assert transport.working_days(evening) == (dt.date(2026, 12, 1), dt.date(2026, 12, 2))
    morning = timezone.make_aware(dt.datetime(2026, 12, 1, 8, 0))  # Tuesday
    assert transport.working_days(morning) == (dt.date(2026, 11, 27), dt.date(2026, 11, 30))


def test_transport_step_walks_a_hold_from_maastricht_to_houten_once(db):
    seed.run_seed(now=MONDAY, show_progress=False, console=_quiet(), only=BEFORE)
    before = seed.count_rows()
    [result] = seed.run_seed(now=MONDAY, show_progress=False, console=_quiet(), only=["transport"])
    after = seed.count_rows()

    # the streams: 11 new copies from the supplier, a rotating collection of 6
    new_stock = Transit.objects.filter(reason=Transit.Reason.NEW_STOCK)
    assert new_stock.count() == 11 and after["catalogue.Item"] == before["catalogue.Item"] + 11
    assert set(new_stock.values_list("funding", flat=True)) == {Transit.Funding.SUPPLIER}
    assert set(new_stock.values_list("from_node__kind", flat=True)) == {"poi_depot"}
    received = new_stock.filter(status=Transit.Status.RECEIVED)
    assert received.count() == 5  # Maastricht 2, Neude 3; the rest waits at the depots
    assert all(t.item.status == Item.Status.AVAILABLE for t in received)
    waiting = new_stock.filter(status=Transit.Status.PACKED)
    assert {t.from_node.code for t in waiting} == {"BISC-DEPOT", "CUBISS-DEPOT-TILBURG"}
    rotation = Transit.objects.filter(reason=Transit.Reason.ROTATION)
    assert rotation.count() == 6
    assert set(rotation.values_list("funding", "status", "crate__barcode")) == {
        (Transit.Funding.ROTATION, Transit.Status.PACKED, "KR-UTR-0001")
    }
    assert Crate.objects.filter(barcode__in=list(transport.CRATES)).count() == 9
    # emptied crates stay where they were opened: the trunk's at the BiSC depot
    trunk = Crate.objects.get(barcode="KR-LIM-0003")
    assert (trunk.status, trunk.location.code) == (Crate.Status.EMPTY, "BISC-DEPOT")
    assert Crate.objects.get(barcode="KR-UTR-0003").location.code == "LEK-IJSSEL-HOUTEN"

    # the walk: every scan, in order, at increasing times over Thursday and Friday
    walk = Transit.objects.get(
        reason=Transit.Reason.HOLD,
        to_node__code="LEK-IJSSEL-HOUTEN",
        status=Transit.Status.RECEIVED,
    )
    assert walk.from_node.code == "CENTRE-CERAMIQUE-MAASTRICHT"
    assert walk.funding == Transit.Funding.IBL
    events = list(
        Event.objects.filter(subject_type="logistics.transit", subject_id=str(walk.pk)).order_by(
            "occurred_at", "id"
        )
    )
    assert [(e.kind, e.location_code, e.data.get("crate")) for e in events] == WALK
    times = [e.occurred_at for e in events]
    assert times == sorted(times) and len(set(times)) == len(times)
    local = [timezone.localtime(t) for t in times]
    assert local[1].date() == THURSDAY and (local[1].hour, local[1].minute) == (16, 30)
    assert local[-1].date() == FRIDAY and local[-1] < MONDAY
    # ... and the hold is on the shelf in Houten, ready since the crate was received
    hold = Hold.objects.get(copy=walk.item)
    assert hold.status == Hold.Status.READY and hold.pickup_branch.code == "LEK-IJSSEL-HOUTEN"
    assert hold.ready_at == walk.received_at == times[-1]
    assert hold.placed_at < times[0]
    assert walk.item.status == Item.Status.ON_HOLD_SHELF
    assert walk.item.current_location.code == "LEK-IJSSEL-HOUTEN"

    # the second Houten hold's copy is part way: sorted at the cross-dock, in a crate for
    # the BiSC depot, waiting for the night trunk
    going = Transit.objects.get(
        reason=Transit.Reason.HOLD,
        to_node__code="LEK-IJSSEL-HOUTEN",
        status=Transit.Status.PACKED,
        from_node__code="CENTRE-CERAMIQUE-MAASTRICHT",
    )
    assert going.crate.barcode == "KR-LIM-0004"
    assert going.crate.location.code == "CUBISS-LIMBURG-CROSS-DOCK"
    assert going.crate.destination.code == "BISC-DEPOT"
    assert Hold.objects.get(copy=going.item).status == Hold.Status.IN_TRANSIT

    assert f"transit {walk.pk}" in result.summary
    assert f"/logistics/transits/{walk.pk}/" in result.summary
    assert "KR-LIM-0001, KR-LIM-0003, KR-UTR-0003" in result.summary

    # idempotent: again (even a day later) changes no table and says the same
    [again] = seed.run_seed(
        now=MONDAY + dt.timedelta(days=1),
        show_progress=False,
        console=_quiet(),
        only=["transport"],
    )
    assert seed.count_rows() == after
    assert again.summary == result.summary


def test_transport_step_needs_the_earlier_steps(db):
    summary = transport.run(console=_quiet(), now=MONDAY)
    assert "network" in summary
    assert Transit.objects.count() == 0
