"""Real browser: desk staff send an item to another library and print the envelope slip;
the item comes back and its return barcode is scanned at the desk."""

import pytest
from django.test import Client

from bci.circulation.tests.factories import make_item, make_record
from bci.logistics.models import NationalShipment
from bci.organisations.tests.factories import NodeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_desk_sends_prints_the_slip_and_scans_the_return(
    live_server, browser_page, net, make_staff
):
    from playwright.sync_api import expect

    NodeFactory(kind="hub", code="IBL-HUB", name="IBL night hub", parent=net.net)
    make_item(make_record("De avond is ongemak"), net.a1, barcode="NAT-B1")
    client = Client()
    client.force_login(make_staff("desk_staff", net.a1))
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/logistics/national-ibl/")
    send = page.locator("form[action$='/send/']")
    send.locator("input[name=item]").fill("NAT-B1")
    send.locator("input[name=partner_isil]").fill("NL-0800130000")
    send.locator("select[name=at]").select_option("A-1")
    send.locator("button[type=submit]").click()

    shipment = NationalShipment.objects.get()
    expect(page).to_have_url(
        f"{live_server.url}/logistics/national-ibl/{shipment.outbound_barcode}/"
    )
    barcodes = page.locator("svg.code128")
    expect(barcodes).to_have_count(2)
    expect(barcodes.nth(0)).to_have_attribute("data-barcode", shipment.outbound_barcode)
    expect(barcodes.nth(1)).to_have_attribute("data-barcode", shipment.return_barcode)
    box = barcodes.nth(0).bounding_box()
    assert box["width"] > 150 and box["height"] > 40  # printed size, not a speck

    page.goto(f"{live_server.url}/logistics/national-ibl/")
    scan = page.locator("form[action$='/scan/']")
    scan.locator("input[name=barcode]").fill(shipment.return_barcode)
    scan.locator("select[name=at]").select_option("A-1")
    scan.locator("button[type=submit]").click()
    expect(page.locator("ul.messages")).to_contain_text(shipment.return_barcode)
    shipment.refresh_from_db()
    assert shipment.status == NationalShipment.Status.RETURNED
