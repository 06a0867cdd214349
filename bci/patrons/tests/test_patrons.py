import datetime as dt

import pytest
from django.db import IntegrityError

from bci.accounts.permissions import PATRONS_VIEW, can
from bci.core.models import Event
from bci.patrons import errors, services
from bci.patrons.models import Block, Card, Patron
from bci.patrons.queries import (
    BLOCK_EXPIRED,
    BLOCK_MANUAL,
    card_by_barcode,
    patron_blocks,
    search_patrons,
    visible_patrons,
)
from bci.patrons.tests.factories import category, make_patron

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 28)


def test_register_patron_stores_hashed_pin_and_first_card(net):
    patron = make_patron(net.lib_a, card="A0001", pin="1234")
    assert patron.pin_hash.startswith("argon2")
    assert "1234" not in patron.pin_hash
    assert patron.check_pin("1234") and not patron.check_pin("4321")
    assert card_by_barcode("A0001").patron == patron
    assert patron.keep_loan_history is False  # consent is opt-in
    assert Event.objects.filter(kind="patron.registered", subject_id=str(patron.pk)).exists()


@pytest.mark.parametrize("pin", ["12", "abcd", "123456789", "", None])
def test_bad_pin_is_refused_and_nothing_changes(net, pin):
    patron = make_patron(net.lib_a, pin="1234")
    with pytest.raises(errors.InvalidPin):
        services.set_pin(patron=patron, pin=pin)
    patron.refresh_from_db()
    assert patron.check_pin("1234")


def test_verify_pin(net):
    patron = make_patron(net.lib_a, card="A0002", pin="2468")
    assert services.verify_pin(card_barcode="A0002", pin="2468") == patron
    with pytest.raises(errors.WrongPin):
        services.verify_pin(card_barcode="A0002", pin="0000")


def test_card_barcodes_are_unique_network_wide(net):
    make_patron(net.lib_a, card="DUP1")
    with pytest.raises(errors.DuplicateCard):
        make_patron(net.lib_b, card="DUP1")
    assert Patron.objects.count() == 1
    with pytest.raises(IntegrityError):
        Card.objects.create(patron=Patron.objects.get(), barcode="DUP1", organisation=net.lib_b)


@pytest.mark.parametrize("barcode", ["", "x", "has space", "a" * 40, "ü-123"])
def test_malformed_card_number_is_refused(net, barcode):
    with pytest.raises(errors.InvalidPatronData):
        services.register_patron(
            home_organisation=net.lib_a,
            category=category(net.net),
            first_name="A",
            last_name="B",
            card_barcode=barcode,
            expires_on=dt.date(2030, 1, 1),
        )
    assert Patron.objects.count() == 0


def test_replaced_card_is_kept_inactive_and_refused(net):
    patron = make_patron(net.lib_a, card="OLD1")
    services.issue_card(patron=patron, barcode="NEW1", reason="lost")
    old = Card.objects.get(barcode="OLD1")
    assert not old.is_active and old.deactivation_reason == "lost"
    assert card_by_barcode("NEW1").patron == patron
    with pytest.raises(errors.CardInactive):
        card_by_barcode("OLD1")
    assert card_by_barcode("OLD1", active_only=False).patron == patron
    with pytest.raises(errors.CardNotFound):
        card_by_barcode("NOPE")


def test_category_must_be_offered_by_the_organisation(net):
    own = category(net.lib_b, "plus")
    with pytest.raises(errors.InvalidCategory):
        services.register_patron(
            home_organisation=net.lib_a,
            category=own,
            first_name="A",
            last_name="B",
            card_barcode="C0001",
            expires_on=dt.date(2030, 1, 1),
        )


def test_home_organisation_must_be_an_organisation(net):
    with pytest.raises(errors.NotAnOrganisation):
        services.register_patron(
            home_organisation=net.a1,
            category=category(net.net),
            first_name="A",
            last_name="B",
            card_barcode="C0002",
            expires_on=dt.date(2030, 1, 1),
        )


def test_blocks_manual_and_expired(net):
    patron = make_patron(net.lib_a, expires_on=dt.date(2026, 1, 1))
    block = services.block_patron(patron=patron, reason="Boek beschadigd")
    codes = [code for code, _ in patron_blocks(patron, TODAY)]
    assert codes == [BLOCK_MANUAL, BLOCK_EXPIRED]
    services.lift_block(block=block)
    assert [c for c, _ in patron_blocks(patron, TODAY)] == [BLOCK_EXPIRED]
    with pytest.raises(errors.BlockNotActive):
        services.lift_block(block=block)
    with pytest.raises(errors.MissingReason):
        services.block_patron(patron=patron, reason="  ")
    assert Block.objects.count() == 1


def test_guest_registration_issues_guest_card(net):
    patron = make_patron(net.lib_a, card="HOME1")
    reg = services.register_guest(
        patron=patron,
        organisation=net.lib_b,
        category=category(net.net, "basis"),
        card_barcode="GUEST1",
    )
    assert reg.is_valid(TODAY)
    assert card_by_barcode("GUEST1").patron == patron
    assert card_by_barcode("HOME1").patron == patron  # the home card stays valid
    with pytest.raises(errors.AlreadyGuest):
        services.register_guest(
            patron=patron, organisation=net.lib_b, category=category(net.net), card_barcode="G2"
        )
    with pytest.raises(errors.GuestAtHomeLibrary):
        services.register_guest(
            patron=patron, organisation=net.lib_a, category=category(net.net), card_barcode="G3"
        )
    services.end_guest_registration(registration=reg)
    with pytest.raises(errors.CardInactive):
        card_by_barcode("GUEST1")


def test_staff_of_a_cannot_see_patrons_of_b(net, make_staff):
    pa = make_patron(net.lib_a)
    pb = make_patron(net.lib_b)
    staff_a = make_staff("desk_staff", net.a1.parent)
    assert list(visible_patrons(staff_a)) == [pa]
    assert can(staff_a, PATRONS_VIEW, pa)
    assert not can(staff_a, PATRONS_VIEW, pb)
    assert list(search_patrons(staff_a, pb.last_name)) == []
    assert list(search_patrons(staff_a, pa.last_name)) == [pa]
    # POI staff see no patrons at all: each library is its own data controller
    poi = make_staff("poi_staff", net.bisc)
    assert list(visible_patrons(poi)) == []


def test_guest_library_staff_see_their_guests(net, make_staff):
    patron = make_patron(net.lib_a)
    staff_b = make_staff("desk_staff", net.lib_b)
    assert list(visible_patrons(staff_b)) == []
    services.register_guest(
        patron=patron, organisation=net.lib_b, category=category(net.net), card_barcode="GB01"
    )
    assert list(visible_patrons(staff_b)) == [patron]
