"""Route plans kept in the database; drivers' scans record the arrivals; ETAs met."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from bci.circulation.tests.factories import make_item, make_record
from bci.core.models import Event
from bci.logistics import crates
from bci.logistics.models import Crate, PlanStop, RoutePlan
from bci.logistics.planning import PlanningInputError, plan_day
from bci.logistics.plans import (
    LATE,
    NOT_REACHED,
    ON_TIME,
    NotInPlan,
    PlanInProgress,
    plan_progress,
    record_arrival,
    store_plan,
    stored_plan,
)
from bci.logistics.services import create_transit
from bci.organisations.models import NodeSetting, OpeningHours

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.date(2026, 12, 2)
BASE = "/api/v1/logistics"


def setting(node, key, value):
    NodeSetting.objects.update_or_create(node=node, key=key, defaults={"value": value})


def plan(net, day=WEDNESDAY, **kwargs):
    return store_plan(plan_day(net.depot, day, time_limit=0.2), **kwargs)


def stop_at(route_plan, node):
    return PlanStop.objects.get(plan=route_plan, node=node)


def plan_today(net):
    """Today's plan whatever the weekday: every location open and visited every day."""
    for node in (net.depot, net.a1, net.a2, net.b1):
        OpeningHours.objects.filter(node=node).delete()
        OpeningHours.objects.bulk_create(
            [
                OpeningHours(node=node, weekday=d, opens=dt.time(6), closes=dt.time(23))
                for d in range(7)
            ]
        )
    setting(net.bisc, "van_visit_days", list(range(7)))
    return plan(net, timezone.localdate())


# --- storing ------------------------------------------------------------------------------


def test_a_plan_is_kept_with_a_row_per_stop_and_local_etas(net, make_staff):
    planner = make_staff("logistics_planner", net.bisc)
    result = plan_day(net.depot, WEDNESDAY, time_limit=0.2)
    kept = store_plan(result, by=planner)
    assert (kept.depot, kept.day, kept.created_by) == (net.depot, WEDNESDAY, planner)
    assert kept.summary == result.summary and "<polyline" in kept.map_svg
    assert kept.km == result.summary["km"] and float(kept.cost) == result.summary["cost"]
    assert kept.crates == sum(p.deliver + p.collect for r in result.plan.routes for p in r.stops)
    rows = {s.node.code: s for s in kept.stops.select_related("node")}
    assert set(rows) == {"A-1", "A-2", "B-1"}
    for route in result.summary["routes"]:
        for row in route["stops"]:
            stop = rows[row["code"]]
            assert (stop.route, stop.seq) == (route["number"], row["n"])
            local = timezone.localtime(stop.eta)
            assert local.date() == WEDNESDAY and local.strftime("%H:%M") == row["start"]
            opens = timezone.localtime(stop.window_opens).strftime("%H:%M")
            closes = timezone.localtime(stop.window_closes).strftime("%H:%M")
            assert f"{opens}-{closes}" == row["window"] and opens == "10:00"
            assert (stop.deliver, stop.collect, stop.arrived_at) == (row["off"], row["on"], None)
    assert Event.objects.filter(kind="route_plan.stored", subject_id=str(kept.pk)).count() == 1
    assert stored_plan(net.depot, WEDNESDAY) == kept
    assert stored_plan(net.depot, WEDNESDAY + dt.timedelta(days=1)) is None


def test_planning_again_replaces_a_plan_nobody_scanned(net):
    first = plan(net)
    setting(net.b1, "van_visit_days", [0])  # B-1 no longer visited on Wednesday
    second = plan(net)
    assert RoutePlan.objects.count() == 1 and second.pk == first.pk
    assert set(second.stops.values_list("node__code", flat=True)) == {"A-1", "A-2"}
    assert PlanStop.objects.count() == 2


def test_planning_again_is_refused_once_a_driver_scanned_a_stop(net):
    kept = plan(net)
    eta = stop_at(kept, net.a2).eta
    record_arrival(at=net.a2, by="van 1", now=eta)
    setting(net.b1, "van_visit_days", [0])
    with pytest.raises(PlanInProgress) as refused:
        plan(net)
    assert refused.value.code == "plan_in_progress" and "BISC-DEPOT" in str(refused.value)
    assert PlanStop.objects.filter(plan=kept).count() == 3  # nothing lost
    assert stop_at(kept, net.a2).arrived_at == eta


# --- arrivals and ETAs met ----------------------------------------------------------------


def test_arrivals_count_as_on_time_or_late_against_the_tolerance(net):
    kept = plan(net)
    a1, a2, b1 = (stop_at(kept, n) for n in (net.a1, net.a2, net.b1))
    record_arrival(at=net.a2, by="driver", now=a2.eta + dt.timedelta(minutes=15))  # limit
    record_arrival(at=net.b1, by="driver", now=b1.eta + dt.timedelta(minutes=20, seconds=10))
    progress = plan_progress(kept, now=a1.eta - dt.timedelta(minutes=1))
    by_code = {p.stop.node.code: p for p in progress.stops}
    assert (by_code["A-2"].status, by_code["A-2"].delay_minutes) == (ON_TIME, 15)
    assert (by_code["B-1"].status, by_code["B-1"].delay_minutes) == (LATE, 21)
    assert (by_code["A-1"].status, by_code["A-1"].delay_minutes) == (NOT_REACHED, None)
    assert not by_code["A-1"].overdue
    total = progress.total
    assert (total.reached, total.on_time, total.late, total.not_reached) == (2, 1, 1, 1)
    assert total.on_time_share == 50 and progress.tolerance == 15
    assert plan_progress(kept, now=a1.eta + dt.timedelta(minutes=16)).stop(a1.route, a1.seq).overdue
    setting(net.depot, "eta_tolerance_minutes", 30)
    assert plan_progress(kept).total.on_time == 2


def test_an_early_arrival_is_on_time_with_a_negative_delay(net):
    kept = plan(net)
    a2 = stop_at(kept, net.a2)
    record_arrival(at=net.a2, now=a2.eta - dt.timedelta(minutes=40))
    p = plan_progress(kept).stop(a2.route, a2.seq)
    assert (p.status, p.delay_minutes) == (ON_TIME, -40)


@pytest.mark.parametrize("value", [-5, "soon", True])
def test_a_bad_tolerance_setting_is_refused_by_name(net, value):
    kept = plan(net)
    setting(net.depot, "eta_tolerance_minutes", value)
    with pytest.raises(PlanningInputError, match="eta_tolerance_minutes"):
        plan_progress(kept)


def test_the_first_scan_at_a_stop_wins(net, make_staff):
    kept = plan(net)
    eta = stop_at(kept, net.b1).eta
    driver = make_staff("desk_staff", net.b1, username="chauffeur")
    first = record_arrival(at=net.b1, by=driver, now=eta)
    again = record_arrival(at=net.b1, by="someone else", now=eta + dt.timedelta(hours=1))
    assert again.pk == first.pk and again.arrived_at == eta and again.arrived_by == "chauffeur"
    assert Event.objects.filter(kind="route_plan.arrived").count() == 1


def test_an_arrival_outside_todays_plan_is_refused(net):
    kept = plan(net)
    with pytest.raises(NotInPlan) as refused:
        record_arrival(at=net.c1, now=stop_at(kept, net.a1).eta)
    assert refused.value.status == 404 and "C-1" in str(refused.value)
    with pytest.raises(NotInPlan):  # the right place, the wrong day
        record_arrival(at=net.a1, now=stop_at(kept, net.a1).eta + dt.timedelta(days=1))
    assert not PlanStop.objects.filter(arrived_at__isnull=False).exists()


def test_delivering_and_collecting_crates_record_the_arrival(net):
    kept = plan(net)
    a2, b1 = stop_at(kept, net.a2), stop_at(kept, net.b1)
    item = make_item(make_record(), net.a2, barcode="ARR-1")
    create_transit(item=item, from_node=net.a2, to_node=net.b1, reason="return_home")
    crates.register_crate(barcode="K-ARR", home=net.depot)
    Crate.objects.filter(barcode="K-ARR").update(location=net.a2)
    crates.pack_item(crate_barcode="K-ARR", item_barcode="ARR-1", at=net.a2, now=a2.eta)
    assert stop_at(kept, net.a2).arrived_at is None  # packing is not the van
    crates.collect_crate(crate_barcode="K-ARR", at=net.a2, by="van", now=a2.eta)
    assert stop_at(kept, net.a2).arrived_at == a2.eta
    crates.unload_at_depot(crate_barcode="K-ARR", depot=net.depot, now=a2.eta)  # no stop: fine
    crates.register_crate(barcode="K-ARR2", home=net.depot)
    crates.pack_item(crate_barcode="K-ARR2", item_barcode="ARR-1", at=net.depot, now=a2.eta)
    crates.collect_crate(crate_barcode="K-ARR2", at=net.depot, now=a2.eta)
    late = b1.eta + dt.timedelta(minutes=45)
    crates.deliver_crate(crate_barcode="K-ARR2", at=net.b1, by="van", now=late)
    assert (stop_at(kept, net.b1).arrived_at, stop_at(kept, net.b1).arrived_by) == (late, "van")


# --- API ----------------------------------------------------------------------------------


@pytest.fixture
def scanner(client, net, make_staff):
    client.force_login(make_staff("logistics_planner", net.bisc, username="rijder"))
    return client


def scan(client, data):
    return client.post(f"{BASE}/scans", data, content_type="application/json")


def test_arrive_scan_records_the_arrival_at_todays_stop(scanner, net):
    kept = plan_today(net)
    r = scan(scanner, {"action": "arrive", "at": "A-2"})
    assert r.status_code == 200, r.content
    body = r.json()
    stop = stop_at(kept, net.a2)
    assert stop.arrived_at is not None and stop.arrived_by == "rijder"
    assert (body["at"], body["depot"], body["route"], body["seq"]) == (
        "A-2",
        "BISC-DEPOT",
        stop.route,
        stop.seq,
    )
    late = stop.arrived_at > stop.eta + dt.timedelta(minutes=15)
    assert body["status"] == ("late" if late else "on_time")
    again = scan(scanner, {"action": "arrive", "at": "A-2"}).json()
    assert again["arrived_at"] == body["arrived_at"]  # the first scan wins


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"action": "arrive", "at": "BISC-DEPOT"}, 404, "not_in_plan"),
        ({"action": "arrive", "at": "NOWHERE"}, 404, "not_found"),
        ({"action": "collect", "at": "A-2"}, 400, "invalid_input"),  # no crate
    ],
)
def test_bad_arrive_scans_are_refused(scanner, net, data, status, code):
    plan_today(net)
    r = scan(scanner, data)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert not PlanStop.objects.filter(arrived_at__isnull=False).exists()


def test_arrive_with_a_bad_tolerance_setting_is_refused_whole(scanner, net):
    plan_today(net)
    setting(net.depot, "eta_tolerance_minutes", "soon")
    r = scan(scanner, {"action": "arrive", "at": "A-2"})
    assert r.status_code == 400 and "eta_tolerance_minutes" in r.json()["message"]
    assert not PlanStop.objects.filter(arrived_at__isnull=False).exists()


def test_arrive_needs_a_plan_for_today_and_the_right_to_scan_there(client, net, make_staff):
    client.force_login(make_staff("logistics_planner", net.bisc))
    assert scan(client, {"action": "arrive", "at": "A-2"}).status_code == 404  # no plan
    plan_today(net)
    client.force_login(make_staff("logistics_planner", net.cubiss))
    assert scan(client, {"action": "arrive", "at": "A-2"}).status_code == 403
    assert not PlanStop.objects.filter(arrived_at__isnull=False).exists()


def test_deliver_scan_through_the_api_records_the_arrival(scanner, net):
    kept = plan_today(net)
    item = make_item(make_record(), net.a2, barcode="ARR-API")
    transit = create_transit(item=item, from_node=net.a2, to_node=net.b1, reason="return_home")
    transit.status = "at_depot"
    transit.save()
    crates.register_crate(barcode="K-API2", home=net.depot)
    crates.pack_item(crate_barcode="K-API2", item_barcode="ARR-API", at=net.depot)
    crates.collect_crate(crate_barcode="K-API2", at=net.depot)
    r = scan(scanner, {"action": "deliver", "crate": "K-API2", "at": "B-1"})
    assert r.status_code == 200 and r.json()["status"] == "delivered"
    assert stop_at(kept, net.b1).arrived_by == "rijder"


def test_plan_api_returns_routes_stops_etas_and_arrivals(
    scanner, net, django_assert_max_num_queries
):
    kept = plan(net)
    b1 = stop_at(kept, net.b1)
    record_arrival(at=net.b1, by="van 1", now=b1.eta + dt.timedelta(minutes=25))
    with django_assert_max_num_queries(12):
        r = scanner.get(f"{BASE}/plans/BISC-DEPOT/2026-12-02")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["depot"], body["day"], body["km"]) == ("BISC-DEPOT", "2026-12-02", kept.km)
    assert body["tally"] == {
        "reached": 1,
        "on_time": 0,
        "late": 1,
        "not_reached": 2,
        "on_time_percent": 0,
    }
    stops = {s["code"]: s for route in body["routes"] for s in route["stops"]}
    assert set(stops) == {"A-1", "A-2", "B-1"}
    assert stops["B-1"]["status"] == "late" and stops["B-1"]["delay_minutes"] == 25
    assert stops["B-1"]["arrived_by"] == "van 1"
    assert dt.datetime.fromisoformat(stops["B-1"]["eta"]) == b1.eta
    assert stops["A-1"]["arrived_at"] is None and stops["A-1"]["status"] == "not_reached"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/plans/BISC-DEPOT/2026-12-03", 404),  # nothing planned
        ("/plans/NOPE/2026-12-02", 404),
        ("/plans/A-1/2026-12-02", 404),  # not a depot
        ("/plans/BISC-DEPOT/2026-13-45", 422),
    ],
)
def test_plan_api_bad_requests(scanner, net, path, status):
    plan(net)
    assert scanner.get(BASE + path).status_code == status


def test_staff_of_another_poi_cannot_read_a_depots_plan(client, net, make_staff):
    plan(net)
    assert client.get(f"{BASE}/plans/BISC-DEPOT/2026-12-02").status_code == 401
    client.force_login(make_staff("logistics_planner", net.cubiss))
    assert client.get(f"{BASE}/plans/BISC-DEPOT/2026-12-02").status_code == 403
    assert client.get(f"/logistics/BISC-DEPOT/{WEDNESDAY}/van-1/").status_code == 403
    client.force_login(make_staff("poi_staff", net.bisc))  # may view, not plan
    assert client.get(f"{BASE}/plans/BISC-DEPOT/2026-12-02").status_code == 200


# --- pages --------------------------------------------------------------------------------


def test_day_page_shows_planned_eta_against_the_actual_arrival(client, net, make_staff):
    kept = plan(net)
    a2, b1 = stop_at(kept, net.a2), stop_at(kept, net.b1)
    record_arrival(at=net.a2, now=a2.eta + dt.timedelta(minutes=3))
    record_arrival(at=net.b1, now=b1.eta + dt.timedelta(minutes=32))
    a2.refresh_from_db()
    b1.refresh_from_db()
    client.force_login(make_staff("poi_staff", net.bisc))
    html = client.get(f"/logistics/BISC-DEPOT/{WEDNESDAY}/").content.decode()
    rows = {
        code: row
        for row in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)
        for code in ("A-1", "A-2", "B-1")
        if re.search(rf"<td>\d+</td><td>{code} ", row)  # the route table
    }
    hhmm = lambda t: timezone.localtime(t).strftime("%H:%M")  # noqa: E731
    assert hhmm(b1.eta) in rows["B-1"] and hhmm(b1.arrived_at) in rows["B-1"]
    assert rows["B-1"].startswith('<tr class="late">') and "32" in rows["B-1"]
    assert hhmm(a2.arrived_at) in rows["A-2"] and 'class="on-time"' in rows["A-2"]
    assert 'class="late"' not in rows["A-1"]
    shares = dict(re.findall(r'/van-(\d+)/">.*?<span class="on-time-share">(\d+) %', html, re.S))
    if a2.route == b1.route:
        assert shares == {str(a2.route): "50"}
    else:
        assert shares == {str(a2.route): "100", str(b1.route): "0"}
    sheet = client.get(f"/logistics/BISC-DEPOT/{WEDNESDAY}/van-{b1.route}/").content.decode()
    assert hhmm(b1.arrived_at) in sheet


# --- admin --------------------------------------------------------------------------------


def test_admin_shows_plans_read_only_with_their_stops(admin_client, net):
    kept = plan(net)
    record_arrival(at=net.b1, by="van 1", now=stop_at(kept, net.b1).eta)
    page = admin_client.get(f"/admin/logistics/routeplan/{kept.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "B Centrum" in html and "van 1" in html and 'name="_save"' not in html
    assert admin_client.get("/admin/logistics/routeplan/add/").status_code == 403
    assert admin_client.post(f"/admin/logistics/routeplan/{kept.pk}/delete/").status_code == 403
    assert PlanStop.objects.filter(plan=kept).count() == 3


def test_admin_lists_only_the_plans_of_depots_the_user_may_see(client, net, make_staff):
    plan(net)
    client.force_login(make_staff("logistics_planner", net.cubiss, is_staff=True))
    page = client.get("/admin/logistics/routeplan/")
    assert page.status_code == 200 and "BiSC depot" not in page.content.decode()
    client.force_login(make_staff("logistics_planner", net.bisc, is_staff=True))
    assert "BiSC depot" in client.get("/admin/logistics/routeplan/").content.decode()
