"""Real browser: the desk with the keyboard only, as a barcode scanner drives it."""

import pytest
from django.test import Client

from bci.circulation.models import Hold, Loan
from bci.circulation.services import place_hold
from bci.circulation.tests.factories import make_item, make_record
from bci.patrons.tests.factories import card_of, make_patron

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_checkout_with_scanner(live_server, browser_page, net, make_staff):
    from playwright.sync_api import expect

    patron = make_patron(net.lib_a, first_name="Piet", last_name="Jansen")
    record = make_record("De avonden")
    make_item(record, net.b1, barcode="ITEM-1")
    make_item(record, net.b1, barcode="ITEM-2")
    page = browser_page
    login(page, live_server, make_staff("desk_staff", net.lib_b))  # library B's desk
    page.goto(live_server.url + "/desk/B-1/checkout/")

    expect(page.locator("#card")).to_be_focused()  # scanner-ready, no click
    page.keyboard.type(card_of(patron))  # the card field has the focus
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Piet Jansen")).to_be_visible()

    expect(page.locator("#item")).to_be_focused()  # scanner-ready, no click
    page.keyboard.type("ITEM-1")  # the item field has the focus now
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("ITEM-1 De avonden: inleveren op")
    expect(page.locator("table.loans")).to_contain_text("ITEM-1")

    expect(page.locator("#item")).to_be_focused()  # scanner-ready, no click
    page.keyboard.type("ITEM-1")  # scanned twice: a clear Dutch refusal
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Exemplaar ITEM-1 is al uitgeleend.")

    expect(page.locator("#item")).to_be_focused()  # scanner-ready, no click
    page.keyboard.type("ITEM-2")
    page.keyboard.press("Enter")
    expect(page.locator("table.loans")).to_contain_text("ITEM-2")
    assert Loan.objects.filter(patron=patron).count() == 2


def test_checkin_says_what_to_do_in_big_letters(live_server, browser_page, net, make_staff):
    from playwright.sync_api import expect

    from bci.circulation.services import checkout_item

    record = make_record("Het diner")
    make_item(record, net.a1, barcode="ITEM-9")
    borrower = make_patron(net.lib_a)
    checkout_item(item_barcode="ITEM-9", card_barcode=card_of(borrower), branch=net.a1)
    waiting = make_patron(net.lib_c, first_name="Anna", last_name="Bakker")
    place_hold(record=record, patron=waiting, pickup_branch=net.c1)
    page = browser_page
    login(page, live_server, make_staff("desk_staff", net.lib_b))
    page.goto(live_server.url + "/desk/B-1/checkin/")  # returned at a third library

    expect(page.locator("#item")).to_be_focused()  # scanner-ready, no click
    page.keyboard.type("ITEM-9")
    page.keyboard.press("Enter")
    expect(page.locator(".instruction .what")).to_have_text("Vervoer naar C Centrum")

    login(page, live_server, make_staff("desk_staff", net.lib_c))
    page.goto(live_server.url + "/desk/C-1/checkin/")
    expect(page.locator("#item")).to_be_focused()  # scanner-ready, no click
    page.keyboard.type("ITEM-9")
    page.keyboard.press("Enter")
    expect(page.locator(".instruction .what")).to_have_text("Reserveringenplank voor Bakker, A.")
    assert Hold.objects.get().status == Hold.Status.READY
