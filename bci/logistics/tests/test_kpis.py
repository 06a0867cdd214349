"""Key figures checked against hand-computed expectations on the small network.

The week: Monday 7 December 2026 to Tuesday 15 December 2026 (Amsterdam time).
Holds go through the real services: placed, captured by a check-in where the copy stands
(the copy is found: the transit is created), checked in at the pick-up branch (on the
shelf). Expectations, per hold (found -> on the shelf, working days, hours):

  H1  A-1 -> B-1  Mon 7 10:00 -> Wed 9 11:00   2 (Tue, Wed)  49 h   within 2
  H2  A-1 -> B-1  Fri 11 15:00 -> Tue 15 10:00 2 (Mon, Tue)  91 h   within 2
  H3  A-1 -> B-1  Mon 7 10:00 -> Thu 10 12:00  3             74 h   late
  H4  B-1 -> A-2  Tue 8 09:00 -> Fri 11 09:00  3             72 h   within 3 (lib A's setting)
  L   B-1 -> B-1  Tue 8 12:00, filled locally: counted apart
"""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bci.accounts.permissions import LOGISTICS_VIEW, restrict
from bci.circulation.services import checkin_item, place_hold
from bci.circulation.tests.factories import make_item, make_record
from bci.core.errors import InvalidInput
from bci.logistics import kpis
from bci.logistics.models import NationalShipment, RoutePlan
from bci.logistics.services import create_transit, receive_transit
from bci.organisations.models import Closure, NodeSetting
from bci.organisations.tests.factories import NodeFactory
from bci.patrons.tests.factories import make_patron

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
START, END = dt.date(2026, 12, 7), dt.date(2026, 12, 15)


def at(day, hour, minute=0):
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=AMS)


def hold_via(net, source, pickup, found, ready, *, patron_org=None):
    """A hold for a copy at ``source`` picked up at ``pickup``, found and shelved then."""
    item = make_item(make_record(), source)
    patron = make_patron(patron_org or pickup.organisation)
    hold = place_hold(
        record=item.record, patron=patron, pickup_branch=pickup, now=found - dt.timedelta(hours=1)
    )
    checkin_item(item_barcode=item.barcode, branch=source, now=found)
    if ready is not None and pickup != source:
        checkin_item(item_barcode=item.barcode, branch=pickup, now=ready)
    hold.refresh_from_db()
    return hold


@pytest.fixture
def week(net):
    NodeSetting.objects.create(node=net.lib_a, key="hold_lead_target_days", value=3)
    cubiss_depot = NodeFactory(
        kind="poi_depot", code="CUB-DEPOT", name="Cubiss depot", parent=net.cubiss
    )
    holds = SimpleNamespace(
        h1=hold_via(net, net.a1, net.b1, at(7, 10), at(9, 11)),
        h2=hold_via(net, net.a1, net.b1, at(11, 15), at(15, 10)),
        h3=hold_via(net, net.a1, net.b1, at(7, 10), at(10, 12)),
        h4=hold_via(net, net.b1, net.a2, at(8, 9), at(11, 9)),
        local=hold_via(net, net.b1, net.b1, at(8, 12), None),
        # on the shelf after the period: not counted anywhere in the hold figures
        late=hold_via(net, net.a1, net.b1, at(15, 9), at(16, 10)),
    )
    # paid transport inside library A, 6 hours
    paid = create_transit(
        item=make_item(make_record(), net.a1),
        from_node=net.a1,
        to_node=net.a2,
        reason="return_home",
        now=at(7, 8),
    )
    receive_transit(transit=paid, at=net.a2, now=at(7, 14))
    # to a depot: placed at the sender's organisation
    create_transit(
        item=make_item(make_record(), net.a1),
        from_node=net.a1,
        to_node=net.depot,
        reason="ibl_out",
        now=at(9, 9),
    )
    create_transit(
        item=make_item(make_record(), net.c1),
        from_node=net.c1,
        to_node=cubiss_depot,
        reason="other",
        now=at(9, 9),
    )
    for n, (where, direction, day) in enumerate(
        [(net.a1, "out", 7), (net.a1, "out", 8), (net.b1, "in", 9), (net.a1, "out", 20)]
    ):
        NationalShipment.objects.create(
            direction=direction,
            outbound_barcode=f"NO{n}",
            return_barcode=f"NR{n}",
            partner_isil="NL-0000000000",
            location=where,
            created_at=at(day, 10),
        )
    RoutePlan.objects.create(depot=net.depot, day=dt.date(2026, 12, 7), km=120, crates=30)
    RoutePlan.objects.create(depot=net.depot, day=dt.date(2026, 12, 8), km=80.5, crates=10)
    RoutePlan.objects.create(depot=net.depot, day=dt.date(2026, 12, 20), km=99, crates=9)
    RoutePlan.objects.create(depot=cubiss_depot, day=dt.date(2026, 12, 9), km=50, crates=0)
    return SimpleNamespace(net=net, holds=holds, cubiss_depot=cubiss_depot)


def by_org(table):
    return {row["organisation"]: row for row in table["rows"]}


def test_hold_lead_time_per_organisation_of_the_pickup_branch(week):
    figures = kpis.hold_lead_times(START, END)
    rows = by_org(figures)
    assert set(rows) == {"LIB-A", "LIB-B"}
    b = rows["LIB-B"]
    assert (b["holds"], b["local"], b["within_target"]) == (3, 1, 2)
    assert (b["median_days"], b["p90_days"]) == (2, 3)
    assert (b["median_hours"], b["p90_hours"]) == (74.0, 91.0)
    assert b["within_target_pct"] == 66.7 and b["targets"] == [2]
    a = rows["LIB-A"]
    assert (a["holds"], a["local"], a["within_target"], a["targets"]) == (1, 0, 1, [3])
    assert (a["median_days"], a["p90_days"], a["median_hours"]) == (3, 3, 72.0)
    total = figures["total"]
    assert (total["holds"], total["local"], total["within_target"]) == (4, 1, 3)
    assert total["median_days"] == 2.5 and total["p90_days"] == 3  # [2, 2, 3, 3]
    assert total["within_target_pct"] == 75.0


def test_a_closed_day_is_no_working_day(week):
    # Wednesday 9 December closed at library B's branches: H3 takes 2 working days
    Closure.objects.create(
        node=week.net.lib_b,
        start_date=dt.date(2026, 12, 9),
        end_date=dt.date(2026, 12, 9),
        reason="studiedag",
    )
    b = by_org(kpis.hold_lead_times(START, END))["LIB-B"]
    assert (b["within_target"], b["median_days"], b["p90_days"]) == (3, 2, 2)  # [1, 2, 2]
    # the hours are elapsed time and do not change
    assert (b["median_hours"], b["p90_hours"]) == (74.0, 91.0)


def test_national_ibl_holds_get_the_extra_days(week):
    from bci.logistics.models import Transit

    Transit.objects.filter(reference=f"hold:{week.holds.h3.pk}").update(reason="ibl_in")
    NodeSetting.objects.create(node=week.net.net, key="hold_lead_national_extra_days", value=1)
    # a value that is no whole number of days counts as the default (2)
    NodeSetting.objects.create(node=week.net.lib_b, key="hold_lead_target_days", value="two")
    b = by_org(kpis.hold_lead_times(START, END))["LIB-B"]
    assert b["targets"] == [2, 3] and b["within_target"] == 3


def test_volumes_per_stream_and_organisation(week):
    figures = kpis.transit_volumes(START, END)
    rows = by_org(figures)
    assert set(rows) == {"LIB-A", "LIB-B", "LIB-C"}
    b = rows["LIB-B"]  # H1, H2, H3 (H-late is created in the period too)
    assert b["transits"] == 4 and b["funding"]["ibl"] == 4 and b["reason"]["hold"] == 4
    a = rows["LIB-A"]  # H4 to A-2, paid return home, IBL out to the depot
    assert a["transits"] == 3
    assert (a["funding"]["ibl"], a["funding"]["paid"], a["funding"]["supplier"]) == (2, 1, 0)
    assert (a["reason"]["hold"], a["reason"]["return_home"], a["reason"]["ibl_out"]) == (1, 1, 1)
    assert rows["LIB-C"]["reason"]["other"] == 1
    assert figures["total"]["transits"] == 8


def test_national_shipments_by_direction(week):
    figures = kpis.national_shipments(START, END)
    rows = by_org(figures)
    assert (rows["LIB-A"]["out"], rows["LIB-A"]["in"], rows["LIB-A"]["cost"]) == (2, 0, 5.4)
    assert (rows["LIB-B"]["out"], rows["LIB-B"]["in"]) == (0, 1)
    assert (figures["total"]["out"], figures["total"]["in"], figures["total"]["cost"]) == (
        2,
        1,
        8.1,
    )


def test_km_per_crate_from_the_stored_route_plans(week):
    figures = kpis.km_per_crate(START, END)
    rows = {r["depot"]: r for r in figures["rows"]}
    assert rows["BISC-DEPOT"] == {
        "depot": "BISC-DEPOT",
        "name": "BiSC depot",
        "days": 2,
        "km": 200.5,
        "crates": 40,
        "km_per_crate": 5.01,
    }
    assert rows["CUB-DEPOT"]["km_per_crate"] is None  # no crates: no ratio, no crash
    assert figures["total"]["km"] == 250.5 and figures["total"]["km_per_crate"] == 6.26


def test_transit_lead_time_per_stream(week):
    figures = kpis.transit_lead_times(START, END)
    rows = {r["stream"]: r for r in figures["rows"]}
    # IBL received in the period: H1 49 h, H4 72 h, H3 74 h, H2 91 h
    assert rows["ibl"] == {"stream": "ibl", "transits": 4, "median_hours": 73.0, "p90_hours": 91.0}
    assert rows["paid"]["median_hours"] == 6.0 and rows["paid"]["transits"] == 1
    assert figures["total"]["transits"] == 5 and figures["total"]["median_hours"] == 72.0


def test_scope_library_staff_see_their_organisation_only(week, make_staff):
    user = make_staff("library_admin", week.net.lib_b)
    nodes = restrict(week.net.net.__class__.objects.all(), user, LOGISTICS_VIEW, via="")
    figures = kpis.logistics_kpis(START, END, nodes=nodes)
    assert [r["organisation"] for r in figures["hold_lead_time"]["rows"]] == ["LIB-B"]
    assert [r["organisation"] for r in figures["volumes"]["rows"]] == ["LIB-B"]
    assert figures["volumes"]["total"]["transits"] == 4
    assert [r["organisation"] for r in figures["national_ibl"]["rows"]] == ["LIB-B"]
    assert figures["km_per_crate"]["rows"] == []  # depots hang under the POI
    assert figures["transit_lead_time"]["total"]["transits"] == 3  # H1-H3 into B


def test_scope_poi_staff_see_their_poi_only(week, make_staff):
    user = make_staff("poi_staff", week.net.cubiss)
    nodes = restrict(week.net.net.__class__.objects.all(), user, LOGISTICS_VIEW, via="")
    figures = kpis.logistics_kpis(START, END, nodes=nodes)
    assert figures["hold_lead_time"]["rows"] == []
    assert [r["organisation"] for r in figures["volumes"]["rows"]] == ["LIB-C"]
    assert [r["depot"] for r in figures["km_per_crate"]["rows"]] == ["CUB-DEPOT"]
    bisc = restrict(
        week.net.net.__class__.objects.all(),
        make_staff("poi_staff", week.net.bisc),
        LOGISTICS_VIEW,
        via="",
    )
    volumes = kpis.transit_volumes(START, END, nodes=bisc)
    assert {r["organisation"] for r in volumes["rows"]} == {"LIB-A", "LIB-B"}


def test_an_empty_period_has_no_rows_and_no_errors(week):
    day = dt.date(2027, 3, 1)
    figures = kpis.logistics_kpis(day, day)
    assert figures["hold_lead_time"]["rows"] == []
    assert figures["hold_lead_time"]["total"]["median_days"] is None
    assert figures["hold_lead_time"]["total"]["within_target_pct"] is None
    assert figures["volumes"]["rows"] == [] and figures["volumes"]["total"]["transits"] == 0
    assert figures["km_per_crate"]["total"]["km_per_crate"] is None
    assert figures["transit_lead_time"]["total"]["median_hours"] is None


def test_the_number_of_queries_does_not_grow_with_the_data(week, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        kpis.logistics_kpis(START, END)
    for day in (7, 8, 9):
        hold_via(week.net, week.net.a1, week.net.a2, at(day, 10), at(day + 2, 10))
    with django_assert_max_num_queries(12):
        figures = kpis.logistics_kpis(START, END)
    assert by_org(figures["hold_lead_time"])["LIB-A"]["holds"] == 4


@pytest.mark.parametrize(
    ("found", "ready", "closed", "expected"),
    [
        (dt.date(2026, 12, 7), dt.date(2026, 12, 7), set(), 0),  # same day
        (dt.date(2026, 12, 7), dt.date(2026, 12, 9), set(), 2),  # Mon -> Wed
        (dt.date(2026, 12, 11), dt.date(2026, 12, 15), set(), 2),  # Fri -> Tue
        (dt.date(2026, 12, 12), dt.date(2026, 12, 15), set(), 2),  # Sat -> Tue
        (dt.date(2026, 12, 7), dt.date(2026, 12, 9), {dt.date(2026, 12, 8)}, 1),
    ],
)
def test_working_days(found, ready, closed, expected):
    assert kpis.working_days_after(found, ready, closed) == expected


def test_percentiles_by_nearest_rank():
    assert kpis.p90([5]) == 5 and kpis.median([5]) == 5
    assert kpis.p90(list(range(1, 11))) == 9 and kpis.p90(list(range(1, 12))) == 10
    assert kpis.median([1, 2, 3, 10]) == 2.5
    assert kpis.p90([]) is None and kpis.median([]) is None


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-13-01", "", "not a date"),
        ("yesterday", "2026-12-01", "not a date"),
        ("2026-12-10", "2026-12-01", "starts after it ends"),
        ("2025-01-01", "2026-12-01", "at most"),
    ],
)
def test_a_bad_period_is_refused_clearly(start, end, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(InvalidInput, match=message):
        kpis.parse_period(start, end)


def test_the_default_period_is_the_last_30_days():
    assert kpis.parse_period(None, None, today=dt.date(2026, 12, 31)) == (
        dt.date(2026, 12, 2),
        dt.date(2026, 12, 31),
    )
    assert kpis.parse_period("", "2026-12-10") == (dt.date(2026, 11, 11), dt.date(2026, 12, 10))


def test_national_shipment_cost_is_summed_in_euros(week):
    NationalShipment.objects.filter(outbound_barcode="NO0").update(cost=Decimal("3.10"))
    assert kpis.national_shipments(START, END)["total"]["cost"] == 8.5
