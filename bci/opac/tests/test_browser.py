"""Real browser: search, refine by a facet (htmx swap, URL pushed), open a record, see the
copies per branch."""

import re

import pytest

from .builders import small_catalogue


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_refine_open_record_and_see_copies(live_server, browser_page, net):
    from playwright.sync_api import expect

    cat = small_catalogue(net)
    page = browser_page
    page.goto(live_server.url + "/")

    # search from the home page with the keyboard only
    page.get_by_label("Zoeken in de catalogus").fill("schmidt")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=schmidt$"))
    expect(page.locator(".opac-count")).to_contain_text("2 titels gevonden")

    # refine by a facet: htmx swaps the results in place and pushes the URL
    page.evaluate("window.__not_reloaded = true")
    facet = page.locator('a[data-facet="material_type"][data-value="picture_book"]')
    facet.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"material_type=picture_book"))
    expect(page.locator(".opac-count")).to_contain_text("1 titel gevonden")
    assert page.evaluate("window.__not_reloaded") is True
    # keyboard focus stays on the (now selected) facet value after the swap
    assert page.evaluate("document.activeElement.dataset.value") == "picture_book"
    expect(page.locator(".opac-selected")).to_be_visible()
    expect(page.locator(".opac-hit")).to_have_count(1)
    expect(page.locator(".opac-hit .opac-avail")).to_have_text(
        "3 van 5 aanwezig, in A Centrum, A Noord"
    )

    # back restores the unrefined results
    page.go_back()
    page.wait_for_url(re.compile(r"/search/\?q=schmidt$"))
    expect(page.locator(".opac-count")).to_contain_text("2 titels gevonden")
    page.go_forward()
    page.wait_for_url(re.compile(r"material_type=picture_book"))

    # open the record: every copy grouped per library and branch with its live status
    page.get_by_role("link", name="Jip en Janneke").click()
    page.wait_for_url(re.compile(rf"/records/{cat.jip.pk}/jip-en-janneke/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Jip en Janneke")
    expect(page.get_by_role("heading", name=re.compile("^Bibliotheek A"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Bibliotheek B"))).to_be_visible()
    a1 = page.locator('tbody[data-branch="A-1"]')
    expect(a1.locator("th")).to_contain_text("A Centrum")
    expect(a1.locator("tr")).to_have_count(2)
    a2 = page.locator('tbody[data-branch="A-2"]')
    expect(a2).to_contain_text("Aanwezig")
    expect(a2).to_contain_text("Uitgeleend")
    expect(page.locator('tbody[data-branch="B-1"]')).to_contain_text("Onderweg")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_api_docs_render_the_catalogue_endpoints(live_server, browser_page, settings):
    """Swagger UI from django-ninja's own static files (no CDN): needs "ninja" installed."""
    from playwright.sync_api import expect

    if "ninja" not in settings.INSTALLED_APPS:
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "ninja"]
    page = browser_page
    page.goto(live_server.url + "/api/v1/docs")
    expect(page.get_by_text("/api/v1/catalogue/records/{record_id}")).to_be_visible()
    expect(page.get_by_text("/api/v1/catalogue/items/{barcode}")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_everything_works_without_javascript(live_server, nojs_page, net):
    from playwright.sync_api import expect

    small_catalogue(net)
    page = nojs_page
    page.goto(live_server.url + "/en/")
    page.get_by_label("Search the catalogue").fill("schmidt")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".opac-count")).to_contain_text("2 titles found")
    page.locator('a[data-facet="audience"][data-value="youth"]').click()
    page.wait_for_url(re.compile(r"audience=youth"))
    page.get_by_label("Sort by").select_option("title")
    page.get_by_role("button", name="Sort", exact=True).click()
    page.wait_for_url(re.compile(r"sort=title"))
    expect(page.locator(".opac-hit-title")).to_have_text(
        ["Jip en Janneke", "Pluk van de Petteflet"]
    )
    page.get_by_role("link", name="Pluk van de Petteflet").click()
    expect(page.locator('tbody[data-branch="A-1"]')).to_contain_text("Missing")
