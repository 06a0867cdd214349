"""Real browser: the planner plans a day, a driver scans late, the page shows it in red."""

import datetime as dt

import pytest
from django.test import Client

from bci.logistics.models import PlanStop
from bci.logistics.plans import record_arrival

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_planner_plans_and_sees_a_late_arrival_in_red(
    live_server, browser_page, net, make_staff, monkeypatch
):
    from playwright.sync_api import expect

    monkeypatch.setattr("bci.logistics.views.PAGE_TIME_LIMIT", 0.2)
    client = Client()
    client.force_login(make_staff("logistics_planner", net.bisc))
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/logistics/BISC-DEPOT/2026-12-02/")
    page.get_by_role("button", name="Routes plannen").click()
    expect(page.locator("#plan table.route")).to_have_count(1)
    expect(page.locator("#plan")).to_contain_text("B-1 B Centrum")

    stop = PlanStop.objects.select_related("node").get(node=net.b1)
    record_arrival(at=net.b1, by="van 1", now=stop.eta + dt.timedelta(minutes=40))
    page.reload()
    late = page.locator("#plan tr.late")
    expect(late).to_have_count(1)
    expect(late).to_contain_text("B-1")
    expect(late).to_contain_text("40")
    expect(late.locator("td").first).to_have_css("color", "rgb(164, 14, 38)")  # var(--bad)
    expect(page.locator(".on-time-share")).to_contain_text("0 %")
