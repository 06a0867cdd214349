"""The network pages in a real browser: map, htmx filter, language switch."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation

from bci.organisations import views
from bci.organisations.models import Node

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _dutch_thread():
    """Requests switch the thread's language and leave it switched (LocaleMiddleware never
    switches back); start each test in the default language and restore what was before."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def wednesday_morning(monkeypatch):
    moment = dt.datetime(2026, 12, 2, 11, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    monkeypatch.setattr(views, "current_time", lambda: moment)


def test_network_page_map_filter_and_language_switch(
    live_server, browser_page, net, wednesday_morning
):
    page = browser_page
    page.goto(live_server.url + "/network/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", level=1).inner_text() == "BCI network"

    # The map: one linked circle per located place, each with an accessible title.
    located = Node.objects.locations().exclude(latitude=None).count()
    circles = page.locator("svg#network-map a circle")
    assert circles.count() == located
    assert (
        page.locator("svg#network-map > title").text_content() == "Kaart van de bibliotheeklocaties"
    )
    assert page.locator("svg#network-map a circle title").first.text_content()
    assert page.locator("tr[data-code='A-1']").inner_text().count("vandaag open 10:00–17:00") == 1

    # htmx: choosing a support organisation swaps the results in place and keeps the URL.
    page.get_by_label("Ondersteuningsorganisatie", exact=True).select_option("CUBISS")
    page.wait_for_url("**/network/?poi=CUBISS*")
    page.locator("tr[data-code='A-1']").wait_for(state="detached")
    assert page.locator("tr[data-code='C-1']").is_visible()
    assert circles.count() == 1

    # Switch to English: same page, English text; the choice survives navigation.
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/en/network/**")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "open today 10:00–17:00" in page.locator("tr[data-code='C-1']").inner_text()
    page.get_by_role("link", name="C Centrum", exact=True).click()
    page.wait_for_url("**/en/network/C-1/")
    assert page.get_by_text("Open now").is_visible()
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["django_language"] == "en"

    # And back to Dutch.
    page.get_by_role("button", name="Nederlands").click()
    page.wait_for_url(live_server.url + "/network/C-1/")
    assert page.get_by_text("Nu open").is_visible()
