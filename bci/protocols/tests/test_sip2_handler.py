"""SIP2 handlers against a real database: the same services as the desk."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from bci.catalogue.models import Item
from bci.circulation.errors import ItemAlreadyOnLoan
from bci.circulation.models import Fee, Hold, Loan
from bci.circulation.services import charge_fee, checkout_item
from bci.patrons.errors import WrongPin
from bci.patrons.models import Block
from bci.protocols.models import Sip2Terminal
from bci.protocols.sip2.handler import Session, handle
from bci.protocols.sip2.messages.codec import encode, make, parse
from bci.protocols.sip2.messages.dates import format_date, parse_date
from bci.protocols.sip2.terminals import set_terminal_enabled
from bci.protocols.tests.sip2_world import NOW, PASSWORD, PIN, kiosk_world, req


def dutch(error):
    """The Dutch text of a domain error, as the kiosk must show it."""
    with translation.override("nl"):
        return str(error)


@pytest.fixture
def w(net):
    return kiosk_world(net)


def run(msg, session, now=NOW):
    """Handle, then make sure the answer survives the wire."""
    reply = handle(msg, session, now=now)
    return parse(encode(reply))


@pytest.fixture
def session(w):
    s = Session(peer="test")
    reply = run(req("93", [("CN", "kiosk-a1"), ("CO", PASSWORD), ("CP", "A-1")]), s)
    assert reply.fixed["ok"] == "1"
    return s


# --- login, status, permissions ------------------------------------------------------------


def test_login_wrong_password_refused_and_counted(w):
    s = Session()
    reply = run(req("93", [("CN", "kiosk-a1"), ("CO", "wrong")]), s)
    assert reply.code == "94" and reply.fixed["ok"] == "0"
    assert s.terminal_id is None and s.failed_logins == 1
    reply = run(req("93", [("CN", "nobody"), ("CO", PASSWORD)]), s)
    assert reply.fixed["ok"] == "0" and s.failed_logins == 2


def test_login_refuses_encrypted_algorithms_and_disabled_terminals(w):
    s = Session()
    assert run(req("93", [("CN", "kiosk-a1"), ("CO", PASSWORD)], uid_algorithm="1"), s)["ok"] == "0"
    set_terminal_enabled(login="kiosk-a1", enabled=False)
    assert run(req("93", [("CN", "kiosk-a1"), ("CO", PASSWORD)]), s)["ok"] == "0"


def test_sc_status_before_and_after_login(w, session):
    before = run(req("99"), Session())
    assert before.code == "98" and before["online_status"] == "Y"
    assert before["checkout_ok"] == "N"
    after = run(req("99"), session)
    assert after["checkout_ok"] == "Y" and after["checkin_ok"] == "Y"
    assert after.get("BX") == "Y" * 16
    assert after.get("AO") == "LIB-A" and after.get("AN") == "A-1"
    assert after.get("AM") == "Bibliotheek A"
    assert after["protocol_version"] == "2.00"
    assert parse_date(after["date_time_sync"]) == NOW.replace(tzinfo=None)


def test_messages_before_login_are_refused(w):
    reply = run(req("11", [("AA", w.card), ("AB", "ITEM-1")]), Session())
    assert reply.code == "12" and reply["ok"] == "0"
    assert reply.get("AF") == "Deze terminal is niet aangemeld."
    assert not Loan.objects.exists()


def test_permission_flags_apply_without_restart(w, session):
    Sip2Terminal.objects.filter(pk=w.terminal.pk).update(may_checkout=False)
    reply = run(req("11", [("AA", w.card), ("AB", "ITEM-1")]), session)
    assert reply["ok"] == "0" and "mag dit niet" in reply.get("AF")
    assert not Loan.objects.exists()


def test_disabled_terminal_is_logged_out_at_next_message(w, session):
    set_terminal_enabled(login="kiosk-a1", enabled=False)
    reply = run(req("23", [("AA", w.card)]), session)
    assert reply.code == "24" and reply.get("BL") == "N"
    assert reply.get("AF") == "Deze terminal is uitgeschakeld."
    assert session.terminal_id is None


def test_unknown_message_type_returns_none(w, session):
    assert handle(make("96"), session) is None


def test_english_when_the_kiosk_asks_for_it(w, session):
    reply = run(req("23", [("AA", "NOPE")], language="001"), session)
    assert reply.get("AF") == "No patron card with number NOPE."


# --- patrons ------------------------------------------------------------------------------


def test_patron_status_valid_patron_with_pin(w, session):
    reply = run(req("23", [("AO", "LIB-A"), ("AA", w.card), ("AD", PIN)]), session)
    assert reply["patron_status"] == " " * 14
    assert reply.get("BL") == "Y" and reply.get("CQ") == "Y"
    assert reply.get("AE") == "Anna Jansen"
    assert reply.get("BH") == "EUR" and reply.get("BV") == "0.00"
    assert reply["language"] == "005"


def test_patron_status_wrong_pin_hides_the_name(w, session):
    reply = run(req("23", [("AA", w.card), ("AD", "0000")]), session)
    assert reply.get("CQ") == "N" and reply.get("AE") == ""
    assert reply.get("BV") is None and reply.get("BH") is None  # nor what the patron owes
    assert reply["patron_status"].startswith("YYYY")
    assert reply.get("AF") == dutch(WrongPin())


def test_patron_status_unknown_card(w, session):
    reply = run(req("23", [("AA", "NOPE")]), session)
    assert reply.get("BL") == "N" and reply["patron_status"].startswith("YYYY")
    assert "NOPE" in reply.get("AF")


def test_patron_status_blocked_patron(w, session):
    Block.objects.create(patron=w.patron, reason="Boek kwijt")
    reply = run(req("23", [("AA", w.card)]), session)
    assert reply["patron_status"][:4] == "YYYY"
    assert "Boek kwijt" in reply.get("AF")


def test_patron_status_excessive_fees(w, session):
    charge_fee(patron=w.patron, amount="12.50", note="schade")
    reply = run(req("23", [("AA", w.card)]), session)
    assert reply["patron_status"][10] == "Y" and reply["patron_status"][0] == "Y"
    assert reply.get("BV") == "12.50"


def test_patron_information_summary_lists(w, session):
    checkout_item(item_barcode="ITEM-1", card_barcode=w.card, branch=w.net.a1, now=NOW)
    checkout_item(
        item_barcode="ITEM-2", card_barcode=w.card, branch=w.net.a1,
        now=NOW - dt.timedelta(days=40),
    )  # fmt: skip
    charge_fee(patron=w.patron, amount="1.00")
    reply = run(req("63", [("AA", w.card), ("AD", PIN)], summary="  Y       "), session)
    assert reply.code == "64"
    assert reply["charged_items_count"] == "0002"
    assert reply["overdue_items_count"] == "0001"
    assert reply["fine_items_count"] == "0001"
    assert sorted(reply.get_all("AU")) == ["ITEM-1", "ITEM-2"]
    assert reply.get("CB") == "0010"
    # a window over the list
    reply = run(
        req("63", [("AA", w.card), ("BP", "2"), ("BQ", "2")], summary="  Y       "), session
    )
    assert len(reply.get_all("AU")) == 1
    reply = run(req("63", [("AA", w.card)], summary=" Y        "), session)
    assert reply.get_all("AT") == ["ITEM-2"]
    reply = run(req("63", [("AA", w.card)], summary="   Y      "), session)
    (fine,) = reply.get_all("AV")
    assert fine.split()[1:3] == ["EUR", "1.00"]


def test_patron_information_with_wrong_pin_gives_no_lists(w, session):
    checkout_item(item_barcode="ITEM-1", card_barcode=w.card, branch=w.net.a1, now=NOW)
    reply = run(req("63", [("AA", w.card), ("AD", "0000")], summary="  Y       "), session)
    assert reply["charged_items_count"] == "0000" and not reply.get_all("AU")
    assert reply.get("CQ") == "N"


def test_block_and_enable_patron(w, session):
    reply = run(req("01", [("AA", w.card), ("AL", "Pas ingenomen")], card_retained="Y"), session)
    assert reply.code == "24" and reply["patron_status"][0] == "Y"
    block = Block.objects.get(patron=w.patron)
    assert "Pas ingenomen" in block.reason and block.placed_by == "sip2:kiosk-a1"
    staff_block = Block.objects.create(patron=w.patron, reason="Door balie", placed_by="marie")
    reply = run(req("25", [("AA", w.card), ("AD", PIN)]), session)
    assert reply.code == "26"
    block.refresh_from_db()
    staff_block.refresh_from_db()
    assert block.lifted_at is not None and staff_block.lifted_at is None


# --- checkout, checkin, renew ---------------------------------------------------------------


def test_checkout_creates_a_loan(w, session):
    reply = run(req("11", [("AO", "LIB-A"), ("AA", w.card), ("AB", "ITEM-1"), ("AD", PIN)]),
                session)  # fmt: skip
    assert reply.code == "12" and reply["ok"] == "1" and reply["desensitize"] == "Y"
    loan = Loan.objects.get(item__barcode="ITEM-1")
    assert loan.patron == w.patron and loan.branch == w.net.a1
    assert reply.get("AH") == format_date(loan.due_date)
    assert reply.get("AJ") == "De avonden" and reply.get("CK") == "001"
    assert "Terug" in reply.get("AF") or loan.due_date.strftime("%d-%m-%Y") in reply.get("AF")


def test_checkout_refusal_carries_the_dutch_domain_message(w, session):
    checkout_item(item_barcode="ITEM-1", card_barcode=w.other_card, branch=w.net.a1, now=NOW)
    reply = run(req("11", [("AA", w.card), ("AB", "ITEM-1")]), session)
    assert reply["ok"] == "0" and reply["desensitize"] == "N"
    assert reply.get("AF") == dutch(ItemAlreadyOnLoan(barcode="ITEM-1"))
    assert Loan.objects.get(item__barcode="ITEM-1").patron == w.other


def test_checkout_wrong_pin_refused_and_nothing_changes(w, session):
    reply = run(req("11", [("AA", w.card), ("AB", "ITEM-1"), ("AD", "0000")]), session)
    assert reply["ok"] == "0" and reply.get("AF") == dutch(WrongPin())
    assert not Loan.objects.exists()
    assert Item.objects.get(barcode="ITEM-1").status == Item.Status.AVAILABLE


def test_checkout_unknown_item(w, session):
    reply = run(req("11", [("AA", w.card), ("AB", "NOPE")]), session)
    assert reply["ok"] == "0" and "NOPE" in reply.get("AF")


def test_checkout_again_by_same_patron_renews_when_policy_allows(w, session):
    run(req("11", [("AA", w.card), ("AB", "ITEM-1")]), session)
    later = NOW + dt.timedelta(days=7)
    reply = run(req("11", [("AA", w.card), ("AB", "ITEM-1")]), session, now=later)
    assert reply["ok"] == "1" and reply["renewal_ok"] == "Y"
    assert Loan.objects.get(item__barcode="ITEM-1").renewals == 1
    reply = run(req("11", [("AA", w.card), ("AB", "ITEM-1")], sc_renewal_policy="N"), session)
    assert reply["ok"] == "0"


def test_checkin_reshelve(w, session):
    run(req("11", [("AA", w.card), ("AB", "ITEM-1")]), session)
    reply = run(req("09", [("AP", "A-1"), ("AB", "ITEM-1")]), session)
    assert reply.code == "10" and reply["ok"] == "1" and reply["alert"] == "N"
    assert reply.get("CL") == "R" and reply.get("AQ") == "A-1"
    assert Loan.objects.get(item__barcode="ITEM-1").ended_at is not None


def test_checkin_hold_shelf_alert(w, session):
    run(req("11", [("AA", w.card), ("AB", "ITEM-1")]), session)
    from bci.circulation.services import place_hold

    place_hold(record=w.record, pickup_branch=w.net.a1, patron=w.other, now=NOW)
    reply = run(req("09", [("AB", "ITEM-1")]), session)
    assert reply["alert"] == "Y" and reply.get("CV") == "01"
    assert reply.get("CT") == "A-1" and reply.get("CL") == "H"
    assert reply.get("DA") == "de Vries, B."
    assert Hold.objects.get(patron=w.other).status == Hold.Status.READY


def test_checkin_transit_alert_names_the_destination(w, session):
    # ITEM-A2 belongs to A-2; returned at A-1 it travels home
    checkout_item(item_barcode="ITEM-A2", card_barcode=w.card, branch=w.net.a2, now=NOW)
    reply = run(req("09", [("AB", "ITEM-A2")]), session)
    assert reply["alert"] == "Y" and reply.get("CV") == "04"
    assert reply.get("CT") == "A-2" and "A Noord" in reply.get("AF")


def test_checkin_unknown_item_refused(w, session):
    reply = run(req("09", [("AB", "NOPE")]), session)
    assert reply["ok"] == "0" and "NOPE" in reply.get("AF")


def test_renew_and_renew_all(w, session):
    run(req("11", [("AA", w.card), ("AB", "ITEM-1")]), session)
    run(req("11", [("AA", w.card), ("AB", "ITEM-2")]), session)
    later = NOW + dt.timedelta(days=10)
    reply = run(req("29", [("AA", w.card), ("AB", "ITEM-1"), ("AD", PIN)]), session, now=later)
    assert reply.code == "30" and reply["ok"] == "1" and reply["renewal_ok"] == "Y"
    loan = Loan.objects.get(item__barcode="ITEM-1")
    assert loan.renewals == 1 and reply.get("AH") == format_date(loan.due_date)
    # someone waits for ITEM-2's title (no other free copy: ITEM-A2 lent out)
    checkout_item(item_barcode="ITEM-A2", card_barcode=w.other_card, branch=w.net.a2, now=NOW)
    from bci.patrons.tests.factories import make_patron

    third = make_patron(w.net.lib_a)
    from bci.circulation.services import place_hold

    place_hold(record=w.record2, pickup_branch=w.net.a1, patron=third, now=NOW)
    reply = run(req("65", [("AA", w.card)]), session, now=later)
    assert reply.code == "66"
    assert reply.get_all("BM") == ["ITEM-1"] and reply.get_all("BN") == ["ITEM-2"]
    assert reply["renewed_count"] == "0001" and reply["unrenewed_count"] == "0001"


def test_renew_an_item_not_on_loan_to_the_patron(w, session):
    checkout_item(item_barcode="ITEM-1", card_barcode=w.other_card, branch=w.net.a1, now=NOW)
    reply = run(req("29", [("AA", w.card), ("AB", "ITEM-1")]), session)
    assert reply["ok"] == "0" and reply.get("AF")
    assert Loan.objects.get(item__barcode="ITEM-1").renewals == 0


# --- items ----------------------------------------------------------------------------------


def test_item_information(w, session):
    reply = run(req("17", [("AB", "ITEM-1")]), session)
    assert reply.code == "18" and reply["circulation_status"] == "03"
    assert reply.get("AJ") == "De avonden" and reply.get("AQ") == "A-1"
    assert reply.get("BG") == "LIB-A" and reply.get("CF") == "0"
    run(req("11", [("AA", w.card), ("AB", "ITEM-1")]), session)
    reply = run(req("17", [("AB", "ITEM-1")]), session)
    assert reply["circulation_status"] == "04" and reply.get("AH")
    reply = run(req("17", [("AB", "NOPE")]), session)
    assert reply["circulation_status"] == "01" and "NOPE" in reply.get("AF")


def test_item_status_update_is_refused_politely(w, session):
    reply = run(req("19", [("AB", "ITEM-1"), ("CH", "x")]), session)
    assert reply.code == "20" and reply["item_properties_ok"] == "0" and reply.get("AF")


# --- fees, holds, end session ---------------------------------------------------------------


def test_fee_paid_pays_oldest_fees_first(w, session):
    first = charge_fee(patron=w.patron, amount="2.00", now=NOW - dt.timedelta(days=2))
    second = charge_fee(patron=w.patron, amount="3.00", now=NOW - dt.timedelta(days=1))
    reply = run(req("37", [("BV", "3.50"), ("AA", w.card), ("BK", "T1")]), session)
    assert reply.code == "38" and reply["payment_accepted"] == "Y" and reply.get("BK") == "T1"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.settled_at is not None and second.paid == Decimal("1.50")


def test_fee_paid_refusals_change_nothing(w, session):
    fee = charge_fee(patron=w.patron, amount="2.00")
    for fields, fixed in [
        ([("BV", "5.00"), ("AA", w.card)], {}),  # more than owed
        ([("BV", "abc"), ("AA", w.card)], {}),
        ([("BV", "1.00"), ("AA", w.card)], {"currency_type": "USD"}),
        ([("BV", "1.00"), ("AA", w.card), ("CG", "999999")], {}),
        ([("BV", "1.00"), ("AA", w.card), ("AD", "0000")], {}),
    ]:
        reply = run(req("37", fields, **fixed), session)
        assert reply["payment_accepted"] == "N" and reply.get("AF")
    fee.refresh_from_db()
    assert fee.paid == 0
    reply = run(req("37", [("BV", "2.00"), ("AA", w.card), ("CG", str(fee.pk))]), session)
    assert reply["payment_accepted"] == "Y"
    assert Fee.objects.get(pk=fee.pk).settled_at is not None


def test_hold_place_and_cancel(w, session):
    checkout_item(item_barcode="ITEM-1", card_barcode=w.other_card, branch=w.net.a1, now=NOW)
    reply = run(req("15", [("AA", w.card), ("AB", "ITEM-1"), ("BS", "A-2")]), session)
    assert reply.code == "16" and reply["ok"] == "1" and reply.get("BR") == "1"
    assert reply.get("BS") == "A-2"
    hold = Hold.objects.get(patron=w.patron)
    assert hold.pickup_branch == w.net.a2 and hold.record == w.record
    reply = run(req("15", [("AA", w.card), ("AB", "ITEM-1")], hold_mode="-"), session)
    assert reply["ok"] == "1"
    hold.refresh_from_db()
    assert hold.status == Hold.Status.CANCELLED
    reply = run(req("15", [("AA", w.card), ("AB", "ITEM-1")], hold_mode="*"), session)
    assert reply["ok"] == "0"
    reply = run(req("15", [("AA", w.card), ("AB", "ITEM-1"), ("BS", "NOWHERE")]), session)
    assert reply["ok"] == "0" and "NOWHERE" in reply.get("AF")


def test_end_patron_session(w, session):
    reply = run(req("35", [("AA", w.card)]), session)
    assert reply.code == "36" and reply["end_session"] == "Y"


def test_terminal_without_fee_permission(net):
    w = kiosk_world(net, permissions=("checkout", "checkin"))
    s = Session()
    run(req("93", [("CN", "kiosk-a1"), ("CO", PASSWORD)]), s)
    fee = charge_fee(patron=w.patron, amount="2.00")
    reply = run(req("37", [("BV", "2.00"), ("AA", w.card)]), s)
    assert reply["payment_accepted"] == "N"
    fee.refresh_from_db()
    assert fee.paid == 0


def test_a_kiosk_cannot_guess_pins_past_the_shared_limit(w, session):
    from django.core.cache import cache

    from bci.core import throttle

    cache.clear()
    for _ in range(throttle.PIN_LIMIT):
        reply = run(req("23", [("AA", w.card), ("AD", "0000")]), session)
        assert reply.get("CQ") == "N"
    reply = run(req("23", [("AA", w.card), ("AD", PIN)]), session)
    assert reply.get("CQ") == "N"  # locked for now, even with the right PIN
    cache.clear()
    assert run(req("23", [("AA", w.card), ("AD", PIN)]), session).get("CQ") == "Y"
