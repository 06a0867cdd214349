"""Planner pages: who may see and plan, the day view, planning from the page."""

import datetime as dt

import pytest

from bci.logistics.models import RoutePlan

pytestmark = pytest.mark.django_db

DAY = "2026-12-02"


@pytest.fixture(autouse=True)
def _plans_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def planner(net, make_staff, client):
    client.force_login(make_staff("logistics_planner", net.bisc))
    return client


def test_day_view_shows_stops_map_and_a_plan_button(planner, net):
    page = planner.get(f"/logistics/{net.depot.code}/{DAY}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "A-2" in html and "B-1" in html
    assert f"/logistics/{net.depot.code}/{DAY}/plan/" in html
    assert "Stops en wachtende kratten" in html and "Routes plannen" in html  # Dutch UI


def test_planning_from_the_page_keeps_the_plan_and_its_sheets(planner, net, monkeypatch, tmp_path):
    monkeypatch.setattr("bci.logistics.views.PAGE_TIME_LIMIT", 0.2)
    answer = planner.post(f"/logistics/{net.depot.code}/{DAY}/plan/")
    assert answer.status_code == 302
    page = planner.get(answer.url).content.decode()
    assert 'id="plan"' in page and "<polyline" in page
    sheet = planner.get(f"/logistics/{net.depot.code}/{DAY}/van-1/")
    assert sheet.status_code == 200 and b"A-1" in sheet.content
    assert planner.get(f"/logistics/{net.depot.code}/{DAY}/van-9/").status_code == 404
    kept = RoutePlan.objects.get(depot=net.depot, day=dt.date(2026, 12, 2))
    assert kept.stops.count() == 3 and kept.created_by is not None
    assert not any(tmp_path.iterdir())  # the page keeps the plan in the database, no files


def test_planning_needs_the_plan_permission(client, net, make_staff):
    client.force_login(make_staff("poi_staff", net.bisc))  # may view, not plan
    assert client.get(f"/logistics/{net.depot.code}/{DAY}/").status_code == 200
    assert client.post(f"/logistics/{net.depot.code}/{DAY}/plan/").status_code == 403
    assert not RoutePlan.objects.exists()


def test_staff_of_another_poi_and_anonymous_users_are_kept_out(client, net, make_staff):
    assert client.get(f"/logistics/{net.depot.code}/{DAY}/").status_code == 302  # login
    client.force_login(make_staff("logistics_planner", net.cubiss))
    assert client.get(f"/logistics/{net.depot.code}/{DAY}/").status_code == 403
    assert client.get("/logistics/").status_code == 403


@pytest.mark.parametrize(
    "path",
    [f"/logistics/NOPE/{DAY}/", "/logistics/A-1/2026-12-02/", "/logistics/BISC-DEPOT/2026-13-45/"],
)
def test_unknown_depot_or_bad_date_is_not_found(planner, path):
    assert planner.get(path).status_code == 404


def test_a_bad_setting_is_shown_not_crashed(planner, net):
    from bci.organisations.models import NodeSetting

    NodeSetting.objects.create(node=net.depot, key="vans", value="lots")
    page = planner.get(f"/logistics/{net.depot.code}/{DAY}/")
    assert page.status_code == 200 and b"vans" in page.content
    assert planner.post(f"/logistics/{net.depot.code}/{DAY}/plan/").status_code == 400


def test_planning_again_after_a_drivers_scan_is_refused_on_the_page(planner, net, monkeypatch):
    from bci.logistics.plans import record_arrival

    monkeypatch.setattr("bci.logistics.views.PAGE_TIME_LIMIT", 0.2)
    planner.post(f"/logistics/{net.depot.code}/{DAY}/plan/")
    kept = RoutePlan.objects.get()
    stop = kept.stops.get(node=net.a1)
    record_arrival(at=net.a1, now=stop.eta)
    answer = planner.post(f"/logistics/{net.depot.code}/{DAY}/plan/")
    assert answer.status_code == 409
    html = answer.content.decode()
    alert = html[html.index('role="alert"') :]
    assert "BISC-DEPOT" in alert[: alert.index("</p>")]
    assert 'id="plan"' in html  # the kept plan is still shown
    assert RoutePlan.objects.get().pk == kept.pk and kept.stops.count() == 3


def test_depot_list_links_the_next_working_day(planner, net):
    page = planner.get("/logistics/")
    assert page.status_code == 200 and net.depot.code.encode() in page.content


def test_packing_slip_lists_the_crate_manifest(planner, net):
    from bci.circulation.tests.factories import make_item, make_record
    from bci.logistics import crates
    from bci.logistics.models import Crate
    from bci.logistics.services import create_transit

    item = make_item(make_record("Max Havelaar"), net.a2, barcode="SLIP-1")
    create_transit(item=item, from_node=net.a2, to_node=net.b1, reason="return_home")
    crates.register_crate(barcode="K-SLIP", home=net.depot)
    Crate.objects.filter(barcode="K-SLIP").update(location=net.a2)
    crates.pack_item(crate_barcode="K-SLIP", item_barcode="SLIP-1", at=net.a2)
    page = planner.get("/logistics/crates/K-SLIP/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "SLIP-1" in html and "Max Havelaar" in html
    # The crate barcode is a scannable Code 128 picture with the text under it.
    from bci.logistics.national.barcodes import modules

    assert 'data-barcode="K-SLIP"' in html and "<figcaption>K-SLIP</figcaption>" in html
    assert html.count('fill="#000"') == modules("K-SLIP").count("01") + 1
    assert "BISC-DEPOT" in html
    assert planner.get("/logistics/crates/NOPE/").status_code == 404
