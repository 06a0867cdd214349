"""Report pages and the KPI API: who sees what, every step of a transit, overdue transits."""

import datetime as dt

import pytest
from django.utils import timezone

from bci.circulation.tests.factories import make_item, make_record
from bci.logistics import crates, kpis
from bci.logistics.models import RoutePlan, Transit
from bci.logistics.services import create_transit

from .test_kpis import END, START, at, hold_via

pytestmark = pytest.mark.django_db
PERIOD = f"from={START.isoformat()}&to={END.isoformat()}"


@pytest.fixture
def figures(net):
    """Two holds into library B and one into library A, a route plan at the BiSC depot."""
    hold_via(net, net.a1, net.b1, at(7, 10), at(9, 11))  # 2 working days
    hold_via(net, net.a1, net.b1, at(7, 10), at(10, 12))  # 3 working days
    hold_via(net, net.b1, net.a2, at(8, 9), at(9, 9))  # 1 working day
    RoutePlan.objects.create(depot=net.depot, day=START, km=90, crates=12)
    return net


def login(client, make_staff, role, node):
    client.force_login(make_staff(role, node))
    return client


# --- KPI page ----------------------------------------------------------------------------


def test_kpi_page_shows_the_figures_of_the_users_scope(client, figures, make_staff):
    login(client, make_staff, "poi_staff", figures.bisc)
    page = client.get(f"/logistics/kpis/?{PERIOD}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bibliotheek A" in html and "Bibliotheek B" in html
    assert 'id="hold-lead"' in html and 'id="km-per-crate"' in html
    assert "BISC-DEPOT" in html and "7,50" in html  # 90 km / 12 crates, Dutch decimals
    assert f'value="{START.isoformat()}"' in html


def test_library_staff_see_only_their_own_organisation(client, figures, make_staff):
    login(client, make_staff, "library_admin", figures.lib_b)
    html = client.get(f"/logistics/kpis/?{PERIOD}").content.decode()
    assert "Bibliotheek B" in html and "Bibliotheek A" not in html
    assert "BISC-DEPOT" not in html


def test_staff_of_another_poi_see_none_of_it(client, figures, make_staff):
    login(client, make_staff, "poi_staff", figures.cubiss)
    html = client.get(f"/logistics/kpis/?{PERIOD}").content.decode()
    assert "Bibliotheek A" not in html and "Bibliotheek B" not in html
    assert "BISC-DEPOT" not in html


def test_kpi_page_needs_logistics_view(client, figures, make_staff):
    assert client.get("/logistics/kpis/").status_code == 302  # to the login page
    login(client, make_staff, "desk_staff", figures.a1)
    assert client.get("/logistics/kpis/").status_code == 403


def test_kpi_page_defaults_to_the_last_30_days(client, figures, make_staff):
    login(client, make_staff, "poi_staff", figures.bisc)
    page = client.get("/logistics/kpis/")
    today = timezone.localdate()
    assert page.status_code == 200
    assert f'value="{today.isoformat()}"' in page.content.decode()
    assert f'value="{(today - dt.timedelta(days=29)).isoformat()}"' in page.content.decode()


@pytest.mark.parametrize("query", ["from=2026-02-30", "from=2026-12-10&to=2026-12-01", "to=x"])
def test_kpi_page_refuses_a_bad_period_with_a_message(client, figures, make_staff, query):
    login(client, make_staff, "poi_staff", figures.bisc)
    page = client.get(f"/logistics/kpis/?{query}")
    assert page.status_code == 400
    assert 'role="alert"' in page.content.decode()


def test_kpi_page_query_budget(client, figures, make_staff, django_assert_max_num_queries):
    login(client, make_staff, "poi_staff", figures.bisc)
    client.get(f"/logistics/kpis/?{PERIOD}")  # warm: session, user
    with django_assert_max_num_queries(18):
        assert client.get(f"/logistics/kpis/?{PERIOD}").status_code == 200


# --- transit page ------------------------------------------------------------------------


@pytest.fixture
def travelled(net):
    """A transit A-2 -> B-1 through the depot, scanned at every step."""
    item = make_item(make_record("Max Havelaar"), net.a2, barcode="STEP-1", status="in_transit")
    transit = create_transit(
        item=item, from_node=net.a2, to_node=net.b1, reason="return_home", now=at(7, 9)
    )
    crates.register_crate(barcode="K-1", home=net.depot)
    crates.register_crate(barcode="K-2", home=net.depot)
    Crate = crates.Crate
    Crate.objects.filter(barcode="K-1").update(location=net.a2)
    crates.pack_item(crate_barcode="K-1", item_barcode="STEP-1", at=net.a2, now=at(7, 10))
    crates.collect_crate(crate_barcode="K-1", at=net.a2, now=at(7, 11))
    crates.unload_at_depot(crate_barcode="K-1", depot=net.depot, now=at(7, 16))
    crates.pack_item(crate_barcode="K-2", item_barcode="STEP-1", at=net.depot, now=at(8, 7))
    crates.collect_crate(crate_barcode="K-2", at=net.depot, now=at(8, 8))
    crates.deliver_crate(crate_barcode="K-2", at=net.b1, now=at(8, 10))
    crates.receive_crate(crate_barcode="K-2", at=net.b1, now=at(8, 10, 30))
    return Transit.objects.get(pk=transit.pk)


def test_transit_page_lists_every_step_with_time_place_and_crate(client, travelled, make_staff):
    net_bisc = travelled.to_node.parent.parent
    login(client, make_staff, "poi_staff", net_bisc)
    page = client.get(f"/logistics/transits/{travelled.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    steps = html.split('id="steps"')[1]
    order = [
        "created",
        "packed",
        "dispatched",
        "at_depot",
        "packed",
        "dispatched",
        "delivered",
        "received",
    ]
    labels = [str(Transit.Status(s).label) for s in order]
    positions = []
    start = 0
    for label in labels:
        start = steps.index(f">{label}<", start)
        positions.append(start)
    assert positions == sorted(positions)
    assert "BiSC depot (BISC-DEPOT)" in steps and "B Centrum (B-1)" in steps
    assert "K-1" in steps and "K-2" in steps
    assert 'datetime="2026-12-07T10:00:00+01:00"' in steps
    assert "Max Havelaar" in html
    assert "hold shelf" not in steps  # a return home: no hold to follow


def test_transit_page_is_kept_from_other_pois_and_desk_staff(client, travelled, make_staff):
    cubiss = travelled.to_node.parent.parent.parent.children.get(code="CUBISS")
    login(client, make_staff, "poi_staff", cubiss)
    assert client.get(f"/logistics/transits/{travelled.pk}/").status_code == 403
    login(client, make_staff, "desk_staff", travelled.to_node)
    assert client.get(f"/logistics/transits/{travelled.pk}/").status_code == 403
    login(client, make_staff, "library_admin", travelled.to_node.parent)  # library B
    assert client.get(f"/logistics/transits/{travelled.pk}/").status_code == 200
    assert client.get("/logistics/transits/999999/").status_code == 404


# --- overdue page ------------------------------------------------------------------------


@pytest.fixture
def overdue(net):
    now = timezone.now()
    old = create_transit(
        item=make_item(make_record(), net.a1, barcode="OLD-1"),
        from_node=net.a1,
        to_node=net.b1,
        reason="hold",
        now=now - dt.timedelta(days=10),
    )
    create_transit(
        item=make_item(make_record(), net.a1, barcode="NEW-1"),
        from_node=net.a1,
        to_node=net.b1,
        reason="hold",
        now=now - dt.timedelta(hours=2),
    )
    create_transit(
        item=make_item(make_record(), net.c1, barcode="FAR-1"),
        from_node=net.c1,
        to_node=net.a1,
        reason="hold",
        now=now - dt.timedelta(days=5),
    )
    return old


def test_overdue_page_lists_old_open_transits_in_scope(client, net, overdue, make_staff):
    login(client, make_staff, "library_admin", net.lib_b)
    html = client.get("/logistics/overdue/").content.decode()
    assert "OLD-1" in html and "NEW-1" not in html and "FAR-1" not in html  # FAR-1 goes to A
    assert f"/logistics/transits/{overdue.pk}/" in html
    login(client, make_staff, "poi_staff", net.bisc)
    html = client.get("/logistics/overdue/").content.decode()
    assert "OLD-1" in html and "FAR-1" in html and "NEW-1" not in html


def test_overdue_page_is_kept_from_other_pois_and_desk_staff(client, net, overdue, make_staff):
    login(client, make_staff, "poi_staff", net.cubiss)
    page = client.get("/logistics/overdue/")
    assert page.status_code == 200 and "OLD-1" not in page.content.decode()
    login(client, make_staff, "desk_staff", net.b1)
    assert client.get("/logistics/overdue/").status_code == 403


def test_depot_list_links_the_reports(client, net, make_staff):
    login(client, make_staff, "poi_staff", net.bisc)
    html = client.get("/logistics/").content.decode()
    assert "/logistics/kpis/" in html and "/logistics/overdue/" in html


# --- API ---------------------------------------------------------------------------------


def test_api_answers_the_same_figures_as_the_page(client, figures, make_staff):
    login(client, make_staff, "poi_staff", figures.bisc)
    answer = client.get(f"/api/v1/logistics/kpis?{PERIOD}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["period"] == {"from": "2026-12-07", "to": "2026-12-15"}
    expected = kpis.logistics_kpis(START, END)
    assert body["hold_lead_time"]["total"] == expected["hold_lead_time"]["total"]
    assert body["hold_lead_time"]["total"]["holds"] == 3
    assert body["volumes"]["total"]["funding"]["ibl"] == 3
    assert body["km_per_crate"]["total"]["km_per_crate"] == 7.5
    assert set(body["national_ibl"]["total"]) == {"organisation", "name", "out", "in", "cost"}


def test_api_scopes_and_refuses(client, figures, make_staff):
    login(client, make_staff, "library_admin", figures.lib_b)
    body = client.get(f"/api/v1/logistics/kpis?{PERIOD}").json()
    assert [r["organisation"] for r in body["hold_lead_time"]["rows"]] == ["LIB-B"]
    answer = client.get("/api/v1/logistics/kpis?from=2026-12-10&to=2026-12-01")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_input"
    login(client, make_staff, "desk_staff", figures.a1)
    answer = client.get("/api/v1/logistics/kpis")
    assert answer.status_code == 403 and answer.json()["code"] == "permission_denied"


# --- real browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_planner_picks_a_period_and_follows_an_overdue_transit(
    live_server, browser_page, figures, make_staff
):
    from django.test import Client
    from playwright.sync_api import expect

    net = figures
    old = create_transit(
        item=make_item(make_record("Het diner"), net.a2, barcode="OLD-9"),
        from_node=net.a2,
        to_node=net.b1,
        reason="return_home",
        now=timezone.now() - dt.timedelta(days=9),
    )
    client = Client()
    client.force_login(make_staff("logistics_planner", net.bisc))
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(live_server.url + "/logistics/")
    page.locator("a[href='/logistics/kpis/']").click()
    page.locator("#kpi-from").fill(START.isoformat())
    page.locator("#kpi-to").fill(END.isoformat())
    page.locator("#kpi-to").press("Enter")  # the keyboard submits the form
    expect(page).to_have_url(f"{live_server.url}/logistics/kpis/?{PERIOD}")
    expect(page.locator("#km-per-crate tbody")).to_contain_text("BISC-DEPOT")
    expect(page.locator("#km-per-crate tbody")).to_contain_text("7,50")
    expect(page.locator("#hold-lead tbody tr")).to_have_count(2)  # libraries A and B
    page.locator("a[href='/logistics/overdue/']").first.click()
    page.locator(f"a[href='/logistics/transits/{old.pk}/']").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("OLD-9")
    expect(page.locator("#steps tbody tr")).to_have_count(1)  # created, nothing since
    expect(page.locator("#steps tbody")).to_contain_text("A Noord (A-2)")
