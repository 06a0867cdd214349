"""Patron account views: login, renewals, holds, privacy, and isolation between patrons."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from bci.circulation.models import Hold, Loan
from bci.circulation.services import place_hold
from bci.notices.models import SelfRegistration
from bci.notices.tests.factories import OTHER_PIN, PIN, portal_world
from bci.opac.account import auth
from bci.patrons.services import block_patron, issue_card


@pytest.fixture
def world(net):
    return portal_world(net)


def login(client, card, pin=PIN):
    return client.post(reverse("opac:account_login"), {"card": card, "pin": pin})


@pytest.fixture
def anna(client, world):
    assert login(client, world.anna_card).status_code == 302
    return client


def test_account_needs_login(client, world):
    response = client.get(reverse("opac:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("opac:account_login"))


def test_login_shows_loans_and_rotates_session(client, world):
    client.get(reverse("opac:account_login"))
    before = client.session.session_key
    response = login(client, world.anna_card)
    assert response["Location"] == reverse("opac:account")
    assert client.session.session_key != before
    page = client.get(reverse("opac:account")).content.decode()
    assert "De avonden" in page and "Het verboden rijk" not in page  # Bert's loan


def test_wrong_pin_and_unknown_card_give_one_message(client, world):
    for card, pin in [(world.anna_card, "0000"), ("NO-SUCH-CARD", "1234"), (world.anna_card, "")]:
        response = login(client, card, pin)
        assert response.status_code in (400, 403)
        assert "_auth_user_id" not in client.session and auth.SESSION_PATRON not in client.session
    wrong_pin = login(client, world.anna_card, "0000").content.decode()
    no_card = login(client, "NOPE", "1234").content.decode()
    message = "Het kaartnummer of de pincode klopt niet."
    assert message in wrong_pin and message in no_card


def test_lockout_after_repeated_failures_even_with_right_pin(client, world):
    for _ in range(auth.CARD_LIMIT):
        assert login(client, world.anna_card, "0000").status_code == 403
    response = login(client, world.anna_card, PIN)
    assert response.status_code == 429
    assert "Te veel" in response.content.decode() or "Too many" in response.content.decode()
    # another card from another address is not locked
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert login(other, world.bert_card, OTHER_PIN).status_code == 302


def test_lockout_per_client_address(world, monkeypatch):
    monkeypatch.setattr(auth, "IP_LIMIT", 3)
    attacker = Client(REMOTE_ADDR="10.0.0.66")
    for n in range(3):
        login(attacker, f"GUESS{n:04d}", "1111")
    assert login(attacker, world.anna_card, PIN).status_code == 429


def test_replaced_card_cannot_log_in_and_ends_session(client, world):
    assert login(client, world.anna_card).status_code == 302
    issue_card(patron=world.anna, barcode="ANNA-NEW")
    assert client.get(reverse("opac:account")).status_code == 302  # session ended
    response = login(client, world.anna_card)
    assert response.status_code == 403
    assert world.anna_card in response.content.decode()


def test_pin_reset_elsewhere_ends_the_session(anna, world):
    from bci.patrons.services import set_pin

    set_pin(patron=world.anna, pin="7777")
    assert anna.get(reverse("opac:account")).status_code == 302


def test_renew_own_loan(anna, world):
    old_due = world.loan_a.due_date
    response = anna.post(reverse("opac:account_renew", args=[world.loan_a.pk]), follow=True)
    assert "verlengd" in response.content.decode()
    loan = Loan.objects.get(pk=world.loan_a.pk)
    assert loan.renewals == 1 and loan.due_date >= old_due


def test_renew_someone_elses_loan_by_editing_the_url(anna, world):
    response = anna.post(reverse("opac:account_renew", args=[world.loan_b.pk]))
    assert response.status_code == 404
    assert Loan.objects.get(pk=world.loan_b.pk).renewals == 0


def test_renewal_refused_shows_the_reason(anna, world):
    place_hold(record=world.avonden, pickup_branch=world.net.a1, patron=world.bert)
    response = anna.post(reverse("opac:account_renew", args=[world.loan_a.pk]), follow=True)
    page = response.content.decode()
    assert "niet verlengd" in page and "wacht" in page
    assert Loan.objects.get(pk=world.loan_a.pk).renewals == 0


def test_blocked_patron_sees_block_and_cannot_renew(anna, world):
    block_patron(patron=world.anna, reason="Pas kwijt gemeld")
    page = anna.get(reverse("opac:account")).content.decode()
    assert "Pas kwijt gemeld" in page
    response = anna.post(reverse("opac:account_renew_all"), follow=True)
    assert "Pas kwijt gemeld" in response.content.decode()
    assert Loan.objects.get(pk=world.loan_a.pk).renewals == 0


def test_posts_without_csrf_token_are_refused(world):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("opac:account_login"), {"card": world.anna_card, "pin": PIN})
    assert response.status_code == 403
    assert auth.SESSION_PATRON not in strict.session
    login_page = strict.get(reverse("opac:account_login"))
    token = login_page.cookies["csrftoken"].value
    strict.post(
        reverse("opac:account_login"),
        {"card": world.anna_card, "pin": PIN, "csrfmiddlewaretoken": token},
    )
    assert strict.post(reverse("opac:account_renew", args=[world.loan_a.pk])).status_code == 403
    assert Loan.objects.get(pk=world.loan_a.pk).renewals == 0


def test_state_changes_need_post(anna, world):
    assert anna.get(reverse("opac:account_renew", args=[world.loan_a.pk])).status_code == 405
    assert anna.get(reverse("opac:account_logout")).status_code == 405


def test_place_hold_with_fee_and_confirmation(anna, world):
    from bci.circulation.models import LoanRule

    LoanRule.objects.create(node=world.net.net, hold_fee="1.00")
    url = reverse("opac:account_hold_place", args=[world.kast.pk])
    page = anna.get(url).content.decode()
    assert f'value="{world.net.a1.pk}" selected' in page  # the library's main branch
    confirm = anna.post(url, {"branch": world.net.a2.pk})
    assert confirm.status_code == 200 and "1,00" in confirm.content.decode()
    assert not Hold.objects.filter(patron=world.anna).exists()  # not before confirming
    anna.post(url, {"branch": world.net.a2.pk, "confirm": "1"})
    hold = Hold.objects.get(patron=world.anna)
    assert hold.pickup_branch == world.net.a2
    page = anna.get(reverse("opac:account")).content.decode()
    assert "Het verboden rijk" in page and "nummer 1 in de rij" in page


def test_hold_on_a_title_already_on_loan_is_refused_clearly(anna, world):
    url = reverse("opac:account_hold_place", args=[world.avonden.pk])
    response = anna.post(url, {"branch": world.net.a1.pk, "confirm": "1"})
    assert response.status_code == 400
    assert "al te leen" in response.content.decode()
    assert not Hold.objects.filter(patron=world.anna).exists()


def test_hold_place_bad_input(anna, world):
    assert anna.get(reverse("opac:account_hold_place", args=[999999])).status_code == 404
    url = reverse("opac:account_hold_place", args=[world.kast.pk])
    for branch in ["", "abc", world.net.lib_a.pk, 999999]:
        assert anna.post(url, {"branch": branch, "confirm": "1"}).status_code == 400
    assert not Hold.objects.exists()


def test_cancel_and_move_only_own_holds(anna, world):
    theirs = place_hold(record=world.havelaar, pickup_branch=world.net.a1, patron=world.bert)
    mine = place_hold(record=world.kast, pickup_branch=world.net.a1, patron=world.anna)
    url = reverse("opac:account_hold_cancel", args=[theirs.pk])
    assert anna.post(url).status_code == 404
    url = reverse("opac:account_hold_pickup", args=[theirs.pk])
    assert anna.post(url, {"branch": world.net.b1.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.pickup_branch == world.net.a1
    anna.post(reverse("opac:account_hold_pickup", args=[mine.pk]), {"branch": world.net.a2.pk})
    mine.refresh_from_db()
    assert mine.pickup_branch == world.net.a2
    anna.post(reverse("opac:account_hold_cancel", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.status == Hold.Status.CANCELLED


def test_change_pin(anna, world):
    url = reverse("opac:account_pin")
    bad = anna.post(url, {"current_pin": "0000", "new_pin": "4444", "new_pin_again": "4444"})
    assert bad.status_code == 400
    bad = anna.post(url, {"current_pin": PIN, "new_pin": "44", "new_pin_again": "44"})
    assert bad.status_code == 400 and "4 tot 8 cijfers" in bad.content.decode()
    bad = anna.post(url, {"current_pin": PIN, "new_pin": "4444", "new_pin_again": "5555"})
    assert bad.status_code == 400
    ok = anna.post(url, {"current_pin": PIN, "new_pin": "4444", "new_pin_again": "4444"})
    assert ok.status_code == 302
    assert anna.get(reverse("opac:account")).status_code == 200  # this session stays
    world.anna.refresh_from_db()
    assert world.anna.check_pin("4444")


def test_forgot_pin_flow(client, world):
    from django.core import mail

    url = reverse("opac:account_pin_forgot")
    response = client.post(url, {"card": world.anna_card, "email": "anna@example.org"})
    same = client.post(url, {"card": world.anna_card, "email": "wrong@example.org"})
    # the same answer either way: it says nothing about who is a member
    assert response.status_code == same.status_code == 200
    text = "Als het pasnummer en het e-mailadres bij elkaar horen"
    assert text in response.content.decode() and text in same.content.decode()
    assert len(mail.outbox) == 1
    link = [line for line in mail.outbox[-1].body.splitlines() if "/pin/reset/" in line][0]
    path = link[link.index("/account/") :]
    assert client.post(path, {"new_pin": "2468", "new_pin_again": "2468"}).status_code == 302
    assert login(client, world.anna_card, "2468").status_code == 302
    assert client.get(path).status_code == 400  # used once
    assert client.get(reverse("opac:account_pin_reset", args=["forged"])).status_code == 400


def test_loan_history_opt_in_export_and_opt_out(anna, world):
    from bci.circulation.services import checkin_item

    url = reverse("opac:account_history")
    assert "niet bewaard" in anna.get(url).content.decode()
    anna.post(url, {"keep": "1"})
    checkin_item(item_barcode="AV-1", branch=world.net.a1)
    assert "De avonden" in anna.get(url).content.decode()
    csv_text = anna.get(url + "?format=csv").content.decode()
    assert "De avonden" in csv_text and "Het verboden rijk" not in csv_text
    anna.post(url, {"keep": "0"})
    assert "De avonden" not in anna.get(url).content.decode()
    assert not Loan.objects.filter(patron=world.anna, ended_at__isnull=False).exists()


def test_download_my_data_is_own_data_only(anna, world):
    response = anna.get(reverse("opac:account_data"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["patron"]["last_name"] == "Jansen"
    assert "Smit" not in response.content.decode()


def test_reminder_opt_out(anna, world):
    from bci.notices.models import Preference

    anna.post(reverse("opac:account_preferences"), {"due_reminders": "0"})
    assert Preference.objects.get(patron=world.anna).due_reminders is False


def test_self_registration_form(client, world):
    url = reverse("opac:register")
    data = {
        "organisation": world.net.lib_a.pk,
        "first_name": "Carla",
        "last_name": "Visser",
        "birthdate": "1990-05-01",
        "email": "carla@example.org",
        "street": "Oudegracht 1",
        "postcode": "3511AA",
        "town": "Utrecht",
    }
    bad = client.post(url, {**data, "birthdate": "morgen"})
    assert bad.status_code == 400 and not SelfRegistration.objects.exists()
    assert client.post(url, data).status_code == 200
    assert SelfRegistration.objects.get().status == "pending"


def test_english_stays_english(client, world):
    response = client.post(
        reverse("opac:account_login").replace("/account", "/en/account"),
        {"card": world.anna_card, "pin": PIN},
    )
    assert response["Location"] == "/en/account/"
    page = client.get("/en/account/").content.decode()
    assert "Loans" in page and 'lang="en"' in page
    assert "/en/account/history/" in page


def test_account_page_query_budget(anna, world, django_assert_max_num_queries):
    for record in (world.kast, world.havelaar, world.titaantjes):
        place_hold(record=record, pickup_branch=world.net.a1, patron=world.anna)
    with django_assert_max_num_queries(24):
        response = anna.get(reverse("opac:account"))
    assert response.status_code == 200


def test_expired_membership_can_log_in_but_not_renew_or_hold(client, world):
    import datetime as dt

    world.anna.expires_on = dt.date(2020, 1, 1)
    world.anna.save()
    assert login(client, world.anna_card).status_code == 302
    page = client.get(reverse("opac:account")).content.decode()
    assert "Lidmaatschap verlopen op 2020-01-01" in page
    response = client.post(reverse("opac:account_renew", args=[world.loan_a.pk]), follow=True)
    assert "niet verlengd" in response.content.decode()
    url = reverse("opac:account_hold_place", args=[world.kast.pk])
    response = client.post(url, {"branch": world.net.a1.pk, "confirm": "1"})
    assert response.status_code == 400
    assert not Hold.objects.filter(patron=world.anna).exists()


def test_forgot_pin_and_registration_are_throttled_per_address(world, monkeypatch):
    from bci.notices import selfservice

    calls = []
    monkeypatch.setattr(selfservice, "request_pin_reset", lambda **kw: calls.append(kw))
    spammer = Client(REMOTE_ADDR="10.0.0.77")
    url = reverse("opac:account_pin_forgot")
    for _ in range(auth.FORM_LIMIT + 3):
        response = spammer.post(url, {"card": world.anna_card, "email": "anna@example.org"})
        assert response.status_code == 200
    assert len(calls) == auth.FORM_LIMIT  # no mail bombing
    data = {
        "organisation": world.net.lib_a.pk,
        "last_name": "Spam",
        "birthdate": "1990-05-01",
        "street": "s 1",
        "postcode": "1234AB",
        "town": "t",
    }
    codes = [
        spammer.post(
            reverse("opac:register"), {**data, "first_name": f"S{n}", "email": f"s{n}@x.nl"}
        ).status_code
        for n in range(auth.FORM_LIMIT + 1)
    ]
    assert codes == [200] * auth.FORM_LIMIT + [429]
    assert SelfRegistration.objects.count() == auth.FORM_LIMIT


def test_guessing_the_current_pin_on_the_change_form_is_throttled_like_a_login(anna, world):
    url = reverse("opac:account_pin")
    for _ in range(auth.CARD_LIMIT):
        wrong = anna.post(url, {"current_pin": "0000", "new_pin": "2468", "new_pin_again": "2468"})
        assert wrong.status_code == 400
    right = anna.post(url, {"current_pin": PIN, "new_pin": "2468", "new_pin_again": "2468"})
    assert right.status_code == 400 and (
        "Te veel" in right.content.decode() or "Too many" in right.content.decode()
    )
    world.anna.refresh_from_db()
    assert world.anna.check_pin(PIN)  # unchanged


def test_wrong_pins_at_any_door_count_together(client, world):
    from bci.core import throttle

    for _ in range(throttle.PIN_LIMIT):  # e.g. guessed at a SIP2 kiosk
        throttle.pin_failed(world.anna_card)
    assert login(client, world.anna_card, PIN).status_code == 429


def test_pause_and_resume_only_own_waiting_holds(anna, world):
    import datetime as dt

    from django.utils import timezone

    theirs = place_hold(record=world.havelaar, pickup_branch=world.net.a1, patron=world.bert)
    mine = place_hold(record=world.kast, pickup_branch=world.net.a1, patron=world.anna)
    until = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    url = reverse("opac:account_hold_pause", args=[theirs.pk])
    assert anna.post(url, {"until": until}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.suspended_until is None
    url = reverse("opac:account_hold_pause", args=[mine.pk])
    page = anna.post(url, {"until": until}, follow=True).content.decode()
    mine.refresh_from_db()
    assert mine.suspended_until.isoformat() == until and "gepauzeerd" in page.lower()
    bad = anna.post(url, {"until": "morgen"}, follow=True).content.decode()
    assert "Pauzeer" in bad or "pauzeer" in bad  # the refusal says what a valid date is
    anna.post(url, {"resume": "1"})
    mine.refresh_from_db()
    assert mine.suspended_until is None
