"""A month's route cost shared among organisations, IBL and paid apart; the command."""

import csv
import datetime as dt
import math

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from bci.circulation.tests.factories import make_item, make_record
from bci.logistics.costs import period_costs, rows
from bci.logistics.planning import PlanningInputError, build_day
from bci.logistics.services import create_transit

pytestmark = pytest.mark.django_db


def at(day, hour):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def traffic(net):
    """Library A sends 3 items to library B (IBL) and 2 inside itself (paid) on Monday."""
    record = make_record()
    monday = dt.date(2026, 11, 30)
    for to in (net.b1, net.b1, net.b1, net.a1, net.a1):
        create_transit(
            item=make_item(record, net.a2),
            from_node=net.a2,
            to_node=to,
            reason="hold",
            now=at(monday, 10),
        )
    return net


def test_the_depot_runs_no_vans_at_the_weekend(net):
    day = build_day(net.depot, dt.date(2026, 12, 5))  # Saturday; the depot has no hours
    assert day.problem.stops == []
    assert "closed" in day.warnings[0]


def test_a_week_is_shared_by_every_method_and_split_by_stream(traffic):
    costs = period_costs(traffic.bisc, dt.date(2026, 12, 1), dt.date(2026, 12, 7), time_limit=0.1)
    a = costs.allocation
    assert len(costs.days) == 5  # Tuesday to Monday, working days only
    assert a.organisations == ["LIB-A", "LIB-B"]
    assert a.shapley_exact
    for method, shares in a.shares.items():
        assert math.isclose(sum(shares.values()), a.total, rel_tol=1e-9), method
    # The waiting items are counted on each day they wait (until collected): 5 items a day
    # at A-2 while nothing is dispatched.
    assert costs.funding["LIB-A"] == {"ibl": 15, "paid": 10}
    table = {r["organisation"]: r for r in rows(costs)}
    lib_a = table["LIB-A"]
    assert math.isclose(lib_a["shapley_ibl"] / lib_a["shapley"], 0.6, rel_tol=0.01)
    assert table["LIB-B"]["shapley_unattributed"] == table["LIB-B"]["shapley"]  # no items
    assert not any(r["shapley_over_standalone"] for r in table.values())


def test_allocate_transport_command_prints_methods_and_writes_csv(traffic, tmp_path, capsys):
    out = tmp_path / "alloc.csv"
    call_command("allocate_transport", poi="BISC", month="2026-12", time_limit=0.05, csv=str(out))
    text = capsys.readouterr().out
    for label in ("volume", "distance", "vol x dist", "Shapley", "fair share", "alone"):
        assert label in text
    assert "subsidised IBL" in text and "LIB-A" in text
    with open(out, newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [r["organisation"] for r in table] == ["LIB-A", "LIB-B"]
    assert {"shapley", "shapley_ibl", "shapley_paid", "standalone"} <= set(table[0])


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"poi": "NOPE", "month": "2026-12"}, "no POI"),
        ({"poi": "LIB-A", "month": "2026-12"}, "not a POI"),
        ({"poi": "BISC", "month": "12-2026"}, "YYYY-MM"),
        ({"poi": "BISC", "month": "2026-13"}, "YYYY-MM"),
        ({"poi": "BISC", "month": "2026-12", "samples": 0}, "samples"),
        ({"poi": "BISC", "month": "2026-12", "workers": 0}, "workers"),
        ({"poi": "CUBISS", "month": "2026-12"}, "no depot"),
    ],
)
def test_allocate_transport_refuses_bad_input(net, tmp_path, options, needle):
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match=needle):
        call_command("allocate_transport", csv=str(out), **options)
    assert not out.exists()


def test_a_period_without_routes_is_refused(net):
    with pytest.raises(PlanningInputError, match="no planned routes"):
        period_costs(net.bisc, dt.date(2026, 12, 5), dt.date(2026, 12, 6), time_limit=0.1)


def test_sampled_shapley_reports_its_error_and_is_reproducible(traffic, capsys, monkeypatch):
    from bci.logistics.routing import allocation

    monkeypatch.setattr(allocation, "EXACT_LIMIT", 1)
    options = {"poi": "BISC", "month": "2026-12", "time_limit": 0.05, "samples": 8, "seed": 4}
    call_command("allocate_transport", workers=2, **options)
    text = capsys.readouterr().out
    assert "sampled, 8 orders, seed 4" in text and "standard error EUR" in text
    assert "(Shapley +/- " in text
    costs = period_costs(
        traffic.bisc, dt.date(2026, 12, 1), dt.date(2026, 12, 4), time_limit=0.05, samples=8
    )
    again = allocation.allocate(costs.days, samples=8, seed=0, workers=2)
    assert again.shares == costs.allocation.shares
    assert again.shapley_error == costs.allocation.shapley_error


def test_rotating_collections_and_new_stock_are_streams_of_their_own(traffic):
    record = make_record()
    monday = dt.date(2026, 11, 30)
    for reason in ("rotation", "rotation", "new_stock"):
        create_transit(
            item=make_item(record, traffic.a2),
            from_node=traffic.a2,
            to_node=traffic.b1,
            reason=reason,
            now=at(monday, 11),
        )
    costs = period_costs(traffic.bisc, dt.date(2026, 12, 1), dt.date(2026, 12, 1), time_limit=0.1)
    assert costs.funding["LIB-A"] == {"ibl": 3, "paid": 2, "rotation": 2, "supplier": 1}
    row = {r["organisation"]: r for r in rows(costs)}["LIB-A"]
    assert (row["items_rotation"], row["items_supplier"]) == (2, 1)
    parts = ("ibl", "paid", "supplier", "rotation", "unattributed")
    assert math.isclose(sum(row[f"shapley_{p}"] for p in parts), row["shapley"], abs_tol=0.03)
    assert math.isclose(row["shapley_rotation"], 2 * row["shapley_supplier"], abs_tol=0.02)
