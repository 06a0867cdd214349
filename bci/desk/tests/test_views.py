import pytest

from bci.catalogue.models import Item
from bci.circulation.models import Fee, Hold, Loan
from bci.circulation.services import charge_fee, checkout_item, place_hold
from bci.circulation.tests.factories import make_item, make_record
from bci.patrons.services import block_patron
from bci.patrons.tests.factories import card_of, make_patron

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(net):
    patron = make_patron(net.lib_a, last_name="Jansen", first_name="Piet")
    record = make_record("De avonden")
    item = make_item(record, net.a1, barcode="ITEM-A1")
    return net, patron, card_of(patron), record, item


@pytest.fixture
def desk(client, net, make_staff):
    client.force_login(make_staff("desk_staff", net.lib_a))
    return client


def test_desk_needs_login(client, world):
    assert client.get("/desk/A-1/checkin/").status_code == 302


def test_desk_only_at_branches_in_scope(desk, world):
    assert desk.get("/desk/B-1/checkout/").status_code == 403
    assert desk.get("/desk/NOPE/checkout/").status_code == 404
    assert desk.get("/desk/").status_code == 200  # two branches: choose


def test_checkout_card_then_items(desk, world):
    net, patron, card, record, item = world
    r = desk.get("/desk/A-1/checkout/", {"card": card})
    assert "Piet Jansen" in r.content.decode()
    r = desk.post("/desk/A-1/checkout/", {"card": card, "item": "ITEM-A1"})
    html = r.content.decode()
    assert r.status_code == 200 and "ITEM-A1 De avonden: inleveren op" in html
    assert Loan.objects.get().patron == patron
    # the same item again: the refusal in Dutch, with its code
    r = desk.post("/desk/A-1/checkout/", {"card": card, "item": "ITEM-A1"})
    assert 'data-code="item_already_on_loan"' in r.content.decode()
    assert "Exemplaar ITEM-A1 is al uitgeleend." in r.content.decode()


def test_checkout_htmx_returns_the_panel_only(desk, world):
    net, patron, card, record, item = world
    r = desk.post("/desk/A-1/checkout/", {"card": card, "item": "ITEM-A1"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<html" not in html and "De avonden" in html


@pytest.mark.parametrize("card", ["NOPE", "x" * 200, " "])
def test_checkout_with_bad_card(desk, world, card):
    r = desk.get("/desk/A-1/checkout/", {"card": card})
    assert r.status_code == 200
    if card.strip():
        assert 'data-code="card_not_found"' in r.content.decode()
    assert Loan.objects.count() == 0


def test_checkout_refusal_for_blocked_patron(desk, world):
    net, patron, card, record, item = world
    block_patron(patron=patron, reason="Adres onbekend")
    r = desk.post("/desk/A-1/checkout/", {"card": card, "item": "ITEM-A1"})
    html = r.content.decode()
    assert 'data-code="patron_blocked"' in html and "Adres onbekend" in html
    assert Loan.objects.count() == 0


def test_checkin_says_what_to_do(desk, world):
    net, patron, card, record, item = world
    checkout_item(item_barcode="ITEM-A1", card_barcode=card, branch=net.b1)
    waiting = make_patron(net.lib_a, last_name="Bakker", first_name="Anna")
    place_hold(record=record, patron=waiting, pickup_branch=net.a1)
    r = desk.post("/desk/A-2/checkin/", {"item": "ITEM-A1"})
    html = r.content.decode()
    assert 'data-action="transit"' in html and "Vervoer naar A Centrum" in html
    r = desk.post("/desk/A-1/checkin/", {"item": "ITEM-A1"})
    assert "Reserveringenplank voor Bakker, A." in r.content.decode()
    r = desk.post("/desk/A-1/checkin/", {"item": ""})
    assert 'data-code="item_not_found"' in r.content.decode()


def test_patron_page_actions(desk, world):
    net, patron, card, record, item = world
    loan = checkout_item(item_barcode="ITEM-A1", card_barcode=card, branch=net.a1)
    fee = charge_fee(patron=patron, amount="2.50")
    other = make_record("Het diner")
    make_item(other, net.a2)
    hold = place_hold(record=other, patron=patron, pickup_branch=net.a1)
    url = f"/desk/patrons/{patron.pk}/"
    html = desk.get(url).content.decode()
    assert "De avonden" in html and "Het diner" in html and "EUR 2,50" in html
    r = desk.post(url, {"action": "renew", "id": loan.pk})
    assert "Verlengd tot" in r.content.decode()
    r = desk.post(url, {"action": "pay", "id": fee.pk, "amount": "9.00"})
    assert 'data-code="overpayment"' in r.content.decode()
    r = desk.post(url, {"action": "pay", "id": fee.pk, "amount": "abc"})
    assert 'data-code="invalid_amount"' in r.content.decode()
    desk.post(url, {"action": "pay", "id": fee.pk, "amount": "1,50"})
    r = desk.post(url, {"action": "waive", "id": fee.pk, "reason": ""})
    assert 'data-code="missing_reason"' in r.content.decode()
    desk.post(url, {"action": "waive", "id": fee.pk, "reason": "coulance"})
    fee.refresh_from_db()
    assert fee.paid == 1.5 and fee.waived == 1 and fee.settled_at
    desk.post(url, {"action": "cancel", "id": hold.pk})
    assert Hold.objects.get().status == "cancelled"
    r = desk.post(url, {"action": "renew", "id": "x"})
    assert "Kies waarop" in r.content.decode()


def test_patron_page_is_scoped(client, world, make_staff):
    net, patron, card, record, item = world
    client.force_login(make_staff("desk_staff", net.lib_b))
    assert client.get(f"/desk/patrons/{patron.pk}/").status_code == 404
    r = client.get("/desk/patrons/", {"q": "Jansen"})
    assert "Geen lener gevonden." in r.content.decode()
    assert f"/desk/patrons/{patron.pk}/" not in r.content.decode()


def test_pick_list_hold_shelf_and_transits(desk, world):
    net, patron, card, record, item = world
    hold = place_hold(record=record, patron=patron, pickup_branch=net.a2)
    html = desk.get("/desk/A-1/pick-list/").content.decode()
    assert "ITEM-A1" in html and hold.copy_reason in html
    desk.post("/desk/A-1/checkin/", {"item": "ITEM-A1"})
    assert "ITEM-A1" in desk.get("/desk/A-1/transits/").content.decode()
    assert "ITEM-A1" in desk.get("/desk/A-2/transits/").content.decode()
    desk.post("/desk/A-2/checkin/", {"item": "ITEM-A1"})
    html = desk.get("/desk/A-2/hold-shelf/").content.decode()
    assert "Jansen, P." in html
    assert Item.objects.get().status == "on_hold_shelf"
    assert Fee.objects.count() == 0


def test_place_hold_from_the_patron_page_shows_the_chosen_copy(desk, world):
    net, patron, card, record, item = world
    other = make_record("Alleen in C")
    far = make_item(other, net.c1, barcode="FAR-1")
    url = f"/desk/patrons/{patron.pk}/"
    r = desk.post(url, {"action": "hold", "title": "FAR-1", "pickup": "A-1"})
    html = r.content.decode()
    assert "Reservering geplaatst: beschikbaar in C Centrum, aankomst" in html
    hold = Hold.objects.get(record=other)
    assert hold.copy == far and hold.pickup_branch == net.a1
    r = desk.post(url, {"action": "hold", "title": str(other.pk), "pickup": "A-1"})
    assert 'data-code="already_on_hold"' in r.content.decode()
    r = desk.post(url, {"action": "hold", "title": "NOPE", "pickup": "A-1"})
    assert "Geef een titelnummer" in r.content.decode()
    r = desk.post(url, {"action": "hold", "title": str(record.pk), "pickup": "NOPE"})
    assert 'data-code="not_a_lending_location"' in r.content.decode()
    assert Hold.objects.count() == 1


def test_lending_to_another_librarys_member_shows_only_what_lending_needs(
    client, world, make_staff
):
    net, patron, card, record, item = world
    checkout_item(item_barcode="ITEM-A1", card_barcode=card, branch=net.a1)  # at home, A
    charge_fee(patron=patron, amount="2.50", kind=Fee.Kind.OTHER, note="kapotte hoes")
    here = make_item(make_record("Het diner"), net.b1, barcode="ITEM-B1")
    client.force_login(make_staff("desk_staff", net.lib_b))
    r = client.post("/desk/B-1/checkout/", {"card": card, "item": here.barcode})
    html = r.content.decode()
    assert "Piet Jansen" in html and "Het diner" in html  # B lends to A's member
    assert "De avonden" not in html  # A's loans stay with A
    assert "2.50" not in html and "2,50" not in html  # and so do A's fees
    assert f"/desk/patrons/{patron.pk}/" not in html
