"""Real browser: a patron logs in, renews, places and cancels a hold, changes the PIN,
downloads their data; every account page passes axe-core (no serious/critical issues)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bci.notices.tests.factories import PIN, portal_world

AXE = Path(__file__).resolve().parents[3] / "tests" / "browser" / "node_modules" / "axe-core"


def _install_axe():
    """A fresh clone has no node_modules: fetch axe-core with npm (as .ci/run does)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("axe-core needs npm: apt-get install npm, then npm ci in tests/browser")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--silent"],
        cwd=AXE.parents[1],
        check=True,
        timeout=300,
    )


def check_axe(page):
    """Run axe-core in the page; fail on serious or critical violations."""
    if not (AXE / "axe.min.js").exists():
        _install_axe()
    page.add_script_tag(path=str(AXE / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document)")
    assert result["passes"], "axe-core did not run its rules"
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page.url}: " + "; ".join(bad)


@pytest.fixture
def world(net):
    return portal_world(net)


def log_in(page, base, card, pin=PIN):
    page.goto(base + "/account/login/")
    page.get_by_label("Pasnummer").fill(card)
    page.get_by_label("Pincode", exact=True).fill(pin)
    page.get_by_role("button", name="Inloggen").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_patron_renews_holds_cancels_changes_pin_downloads(live_server, browser_page, world):
    from playwright.sync_api import expect

    page, base = browser_page, live_server.url
    log_in(page, base, world.anna_card, "9999")
    expect(page.locator("#login-error")).to_have_text("Het kaartnummer of de pincode klopt niet.")
    check_axe(page)

    page.get_by_label("Pincode", exact=True).fill(PIN)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(base + "/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Account van Anna Jansen")
    page.get_by_role("button", name="De avonden verlengen").click()
    expect(page.locator(".acc-success")).to_contain_text("De avonden is verlengd tot")
    check_axe(page)

    # place a hold from the record page: another branch, confirm
    page.goto(base + f"/records/{world.kast.pk}/")
    page.get_by_role("link", name="Reserveren").click()
    page.get_by_label("Ophaalvestiging").select_option(str(world.net.a2.pk))
    page.get_by_role("button", name="Volgende").click()
    expect(page.locator("#hold-fee")).to_have_text("gratis")
    check_axe(page)
    page.get_by_role("button", name="Reservering bevestigen").click()
    expect(page.locator(".acc-success")).to_contain_text("u haalt het op in A Noord")
    row = page.locator("#holds tbody tr", has_text="Het verboden rijk")
    expect(row).to_contain_text("nummer 1 in de rij")
    row.get_by_role("button", name=re.compile("annuleren")).click()
    expect(page.locator(".acc-success")).to_contain_text("is geannuleerd")
    expect(page.locator("#holds")).to_contain_text("U hebt geen reserveringen.")

    # change the PIN, then log in again with it
    page.get_by_role("link", name="Pincode wijzigen").click()
    check_axe(page)
    page.get_by_label("Huidige pincode").fill(PIN)
    page.get_by_label("Nieuwe pincode (4 tot 8 cijfers)").fill("8642")
    page.get_by_label("Nieuwe pincode nogmaals").fill("8642")
    page.get_by_role("button", name="Pincode wijzigen").click()
    expect(page.locator(".acc-success")).to_have_text("Uw pincode is gewijzigd.")

    # download my data
    with page.expect_download() as info:
        page.get_by_role("link", name="Mijn gegevens downloaden").click()
    data = json.loads(Path(info.value.path()).read_text())
    assert data["patron"]["last_name"] == "Jansen"
    assert [h["status"] for h in data["holds"]] == ["cancelled"]

    page.get_by_role("button", name="Uitloggen").click()
    log_in(page, base, world.anna_card, "8642")
    page.wait_for_url(base + "/account/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_account_pages_pass_axe_and_english_persists(live_server, browser_page, world):
    from playwright.sync_api import expect

    page, base = browser_page, live_server.url
    for path in ["/account/login/", "/account/pin/forgot/", "/register/"]:
        page.goto(base + path)
        check_axe(page)
    log_in(page, base, world.anna_card)
    page.goto(base + "/account/history/")
    check_axe(page)
    # switch to English: the choice stays while the patron moves on
    page.get_by_role("button", name="English").click()
    page.wait_for_url(base + "/en/account/history/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Loan history and privacy")
    page.get_by_role("link", name="My account").click()
    page.wait_for_url(base + "/en/account/")
    expect(page.locator("#loans-h")).to_contain_text("Loans")
    check_axe(page)
