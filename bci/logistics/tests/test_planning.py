"""A depot's day from the database: stops, crates, windows, vans; nothing silently dropped."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from bci.circulation.tests.factories import make_item, make_record
from bci.logistics.models import RoutePlan
from bci.logistics.planning import (
    PlanningInputError,
    build_day,
    depot_locations,
    plan_day,
    read_matrix,
)
from bci.logistics.plans import record_arrival
from bci.logistics.services import create_transit, dispatch_transit
from bci.organisations.models import Closure, NodeSetting
from bci.organisations.tests.factories import NodeFactory, add_hours

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2026, 12, 1)
WEDNESDAY = dt.date(2026, 12, 2)


def at(day, hour):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def send(n, from_node, to_node, *, created, dispatched=None):
    record = make_record()
    transits = []
    for _ in range(n):
        t = create_transit(
            item=make_item(record, from_node),
            from_node=from_node,
            to_node=to_node,
            reason="return_home",
            now=created,
        )
        if dispatched:
            t = dispatch_transit(transit=t, now=dispatched)
        transits.append(t)
    return transits


def setting(node, key, value):
    NodeSetting.objects.update_or_create(node=node, key=key, defaults={"value": value})


def test_fixed_visits_and_waiting_crates_make_the_stops(net):
    monday = dt.date(2026, 11, 30)
    send(36, net.a2, net.b1, created=at(monday, 11))  # waits at A-2: 2 crates of 35
    send(3, net.b1, net.a1, created=at(monday, 9), dispatched=at(monday, 15))  # at the depot
    day = build_day(net.depot, TUESDAY)
    stops = {s.code: s for s in day.problem.stops}
    # Tuesday: the two main branches daily; A-2 (Mon/Wed/Fri) only because crates wait.
    assert set(stops) == {"A-1", "A-2", "B-1"}
    assert (stops["A-2"].collect, stops["A-2"].deliver) == (2, 0)
    assert (stops["A-1"].deliver, stops["A-1"].collect) == (1, 0)
    assert (stops["B-1"].deliver, stops["B-1"].collect) == (0, 0)
    assert day.owner == {"A-1": "LIB-A", "A-2": "LIB-A", "B-1": "LIB-B"}
    assert day.funding["LIB-A"] == {"ibl": 39, "paid": 0}
    # Opening hours 10:00-17:00: service must start early enough to end by closing.
    assert stops["A-2"].opens == 600 and stops["A-2"].closes < 17 * 60
    assert not day.warnings


def test_transits_are_counted_as_they_stood_at_the_start_of_the_day(net):
    send(2, net.a2, net.b1, created=at(WEDNESDAY, 11))  # created during the day: not yet
    received = send(1, net.a1, net.b1, created=at(TUESDAY, 9), dispatched=at(TUESDAY, 12))
    received[0].received_at = at(TUESDAY, 16)
    received[0].status = "received"
    received[0].save()
    day = build_day(net.depot, WEDNESDAY)
    assert all(s.deliver == 0 and s.collect == 0 for s in day.problem.stops)


def test_crate_size_is_a_setting(net):
    setting(net.lib_a, "crate_items", 10)
    send(11, net.a2, net.b1, created=at(TUESDAY, 9))
    stops = {s.code: s for s in build_day(net.depot, WEDNESDAY).problem.stops}
    assert stops["A-2"].collect == 2


def test_branch_without_coordinates_or_hours_is_listed_not_dropped(net):
    lost = NodeFactory(kind="main", code="A-3", parent=net.lib_a, latitude=None, longitude=None)
    add_hours(lost)
    bare = NodeFactory(kind="main", code="A-4", parent=net.lib_a)  # no opening hours
    send(2, lost, net.b1, created=at(TUESDAY, 9))
    day = build_day(net.depot, WEDNESDAY)
    reasons = {s.code: s.reason for s in day.skipped}
    assert reasons == {"A-3": "no coordinates", "A-4": "no opening hours (and no delivery_window)"}
    assert any("A-3" in w and "1 crates wait" in w for w in day.warnings)
    assert any("A-4" in w for w in day.warnings)
    assert {s.code for s in day.problem.stops} == {"A-1", "A-2", "B-1"}
    assert bare.code not in day.owner


def test_closed_branch_is_skipped_with_its_reason(net):
    Closure.objects.create(node=net.a2, start_date=WEDNESDAY, end_date=WEDNESDAY, reason="x")
    send(1, net.a2, net.b1, created=at(TUESDAY, 9))
    day = build_day(net.depot, WEDNESDAY)
    assert [(s.code, s.reason, s.crates) for s in day.skipped] == [("A-2", "closed that day", 1)]
    assert "A-2" not in {s.code for s in day.problem.stops}
    assert day.warnings  # crates wait for it


def test_delivery_window_and_visit_days_are_settings(net):
    setting(net.a2, "delivery_window", ["08:00", "09:30"])
    setting(net.b1, "van_visit_days", [4])
    stops = {s.code: s for s in build_day(net.depot, WEDNESDAY).problem.stops}
    assert (stops["A-2"].opens, stops["A-2"].closes) == (480, 570)
    assert "B-1" not in stops


@pytest.mark.parametrize(
    ("node", "key", "value", "needle"),
    [
        ("depot", "vans", [], "non-empty list"),
        ("depot", "vans", [{"capacity": 0}], "at least 1"),
        ("depot", "vans", [{"capacity": "many"}], "must be numbers"),
        ("depot", "vans", [{"shift_start": "18:00", "shift_end": "07:00"}], "end after"),
        ("depot", "vans", [{"shift_start": "25:00"}], "not a time"),
        ("depot", "vans", [{"wheels": 4}], "unknown field"),
        ("depot", "vans", [{"name": "x"}, {"name": "x"}], "twice"),
        ("depot", "route_speed_kmh", 0, "above zero"),
        ("a2", "delivery_window", ["12:00", "08:00"], "end after"),
        ("a2", "delivery_window", "mornings", "HH:MM"),
        ("a2", "van_visit_days", ["monday"], "weekdays 0-6"),
        ("a2", "crate_items", 0, "above zero"),
    ],
)
def test_bad_settings_are_refused_by_name(net, node, key, value, needle):
    setting(getattr(net, node), key, value)
    with pytest.raises(PlanningInputError, match=needle):
        build_day(net.depot, WEDNESDAY)


def test_a_depot_without_coordinates_or_a_branch_code_is_refused(net):
    with pytest.raises(PlanningInputError, match="not a POI depot"):
        build_day(net.a1, WEDNESDAY)
    net.depot.latitude = None
    net.depot.save()
    with pytest.raises(PlanningInputError, match="no coordinates"):
        build_day(net.depot, WEDNESDAY)


def test_branches_are_split_between_a_pois_depots_by_distance_or_setting(net):
    east = NodeFactory(
        kind="poi_depot", code="EAST", parent=net.bisc, latitude=52.09, longitude=5.25
    )
    assert {n.code for n in depot_locations(east)} == {"A-2", "B-1"}
    assert {n.code for n in depot_locations(net.depot)} == {"A-1"}
    setting(net.b1, "depot", net.depot.code)
    assert {n.code for n in depot_locations(net.depot)} == {"A-1", "B-1"}


def test_matrix_csv_is_read_and_used(net, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("from_code,to_code,km,minutes\nBISC-DEPOT,A-1,99,120\n", encoding="utf-8")
    matrix = read_matrix(path)
    assert matrix == {("BISC-DEPOT", "A-1"): (99.0, 120.0)}
    day = build_day(net.depot, WEDNESDAY, matrix=matrix)
    assert day.problem.km("BISC-DEPOT", "A-1") == 99.0
    assert day.problem.km("A-1", "BISC-DEPOT") < 99.0  # not in the file: haversine


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a,b\n", "header"),
        ("from_code,to_code,km,minutes\nX,Y,far,3\n", "line 2"),
        ("from_code,to_code,km,minutes\nX,Y,-1,3\n", "negative"),
        ("from_code,to_code,km,minutes\n,Y,1,3\n", "code is missing"),
    ],
)
def test_bad_matrix_files_are_refused_with_the_line(tmp_path, text, needle):
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanningInputError, match=needle):
        read_matrix(path)
    with pytest.raises(PlanningInputError, match="cannot read"):
        read_matrix(tmp_path / "missing.csv")


def test_an_overloaded_day_is_planned_partly_with_the_rest_listed(net):
    setting(net.depot, "vans", [{"count": 1, "capacity": 2}])
    setting(net.lib_a, "crate_items", 1)
    send(3, net.a2, net.b1, created=at(TUESDAY, 9))  # 3 crates: more than the van holds
    result = plan_day(net.depot, WEDNESDAY, time_limit=0.3)
    assert result.plan.unserved == ["A-2"]
    assert result.check == []
    assert result.summary["unserved"] == ["A-2"]


def test_plan_routes_command_prints_and_writes(net, tmp_path, capsys):
    send(2, net.a2, net.b1, created=at(TUESDAY, 9))
    out = tmp_path / "plan"
    call_command("plan_routes", depot="BISC-DEPOT", date="2026-12-02", time_limit=0.3, out=str(out))
    text = capsys.readouterr().out
    assert "Van 1" in text and "A-2" in text
    assert "Fixed routes (sweep)" in text and "Saving:" in text
    assert "Check: every route holds" in text
    assert {p.name for p in out.iterdir()} >= {"plan.json", "map.svg", "van-1.html"}
    assert "<polyline" in (out / "map.svg").read_text()
    sheet = (out / "van-1.html").read_text()
    assert "A-2" in sheet and "BISC-DEPOT" in sheet
    kept = RoutePlan.objects.get(depot=net.depot, day=WEDNESDAY)  # and kept in the database
    assert kept.stops.filter(node=net.a2).exists() and kept.summary["depot"] == "BISC-DEPOT"


def test_plan_routes_command_will_not_replace_a_plan_drivers_are_driving(net, tmp_path):
    call_command(
        "plan_routes",
        depot="BISC-DEPOT",
        date="2026-12-02",
        time_limit=0.3,
        out=str(tmp_path / "a"),
    )
    stop = RoutePlan.objects.get().stops.get(node=net.a1)
    record_arrival(at=net.a1, now=stop.eta)
    out = tmp_path / "b"
    with pytest.raises(CommandError, match="BISC-DEPOT"):
        call_command(
            "plan_routes", depot="BISC-DEPOT", date="2026-12-02", time_limit=0.3, out=str(out)
        )
    assert not out.exists()  # refused before writing anything
    assert RoutePlan.objects.get().stops.get(node=net.a1).arrived_at == stop.eta


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"depot": "NOPE", "date": "2026-12-02"}, "no location"),
        ({"depot": "A-1", "date": "2026-12-02"}, "not a POI depot"),
        ({"depot": "BISC-DEPOT", "date": "2-12-2026"}, "YYYY-MM-DD"),
        ({"depot": "BISC-DEPOT", "date": "2026-12-02", "time_limit": -1}, "time-limit"),
        (
            {"depot": "BISC-DEPOT", "date": "2026-12-02", "matrix": "/nonexistent.csv"},
            "cannot read",
        ),
    ],
)
def test_plan_routes_command_refuses_bad_input(net, tmp_path, options, needle):
    with pytest.raises(CommandError, match=needle):
        call_command("plan_routes", out=str(tmp_path), **options)
    assert not any(tmp_path.iterdir())
    assert not RoutePlan.objects.exists()
