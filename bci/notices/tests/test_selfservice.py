import datetime as dt

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core import mail, signing
from django.utils import timezone

from bci.circulation.models import Hold
from bci.circulation.services import place_hold
from bci.core.errors import PermissionDenied
from bci.notices import selfservice
from bci.notices.errors import HoldNotYours, InvalidResetLink, PickupChangeNotPossible
from bci.notices.models import Notice, SelfRegistration
from bci.patrons.models import Patron
from bci.patrons.tests.factories import category


def test_staff_reset_needs_patrons_change(world, make_staff):
    desk = make_staff("desk_staff", world.net.lib_a)
    outsider = make_staff("desk_staff", world.net.lib_c)
    with pytest.raises(PermissionDenied):
        selfservice.reset_pin(patron=world.anna, by=outsider)
    pin = selfservice.reset_pin(patron=world.anna, by=desk)
    assert len(pin) == 4 and pin.isdigit()
    world.anna.refresh_from_db()
    assert world.anna.check_pin(pin)


def test_pins_are_argon2(net, settings):
    from bci.patrons.services import set_pin
    from bci.patrons.tests.factories import make_patron

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    patron = set_pin(patron=make_patron(net.lib_a), pin="9876")
    assert identify_hasher(patron.pin_hash).algorithm == "argon2"


def test_reset_link_mail_works_once(world):
    sent = selfservice.request_pin_reset(
        card_barcode=world.anna_card, email="ANNA@example.org", link_for=lambda t: f"/r/{t}/"
    )
    assert sent and "/r/" in mail.outbox[-1].body
    token = mail.outbox[-1].body.split("/r/")[1].split("/")[0]
    logged = Notice.objects.get(patron=world.anna, kind="pin_reset")
    assert token not in logged.body and "/r/" not in logged.body  # the log keeps no link
    selfservice.set_pin_with_token(token=token, pin="4321")
    world.anna.refresh_from_db()
    assert world.anna.check_pin("4321")
    with pytest.raises(InvalidResetLink):  # used: the PIN changed since
        selfservice.set_pin_with_token(token=token, pin="1111")


def test_reset_link_refused_when_expired_or_forged(world):
    token = selfservice.make_reset_token(world.anna)
    with pytest.raises(InvalidResetLink):
        selfservice.patron_for_reset_token(token, max_age=-1)
    with pytest.raises(InvalidResetLink):
        selfservice.patron_for_reset_token(token[:-2] + "xx")
    forged = signing.TimestampSigner(salt="other").sign(f"{world.bert.pk}.x")
    with pytest.raises(InvalidResetLink):
        selfservice.patron_for_reset_token(forged)


def test_reset_request_with_wrong_email_sends_nothing(world):
    mail.outbox.clear()
    assert not selfservice.request_pin_reset(
        card_barcode=world.anna_card, email="bert@example.org", link_for=str
    )
    assert not selfservice.request_pin_reset(card_barcode="NOPE", email="x@y.nl", link_for=str)
    assert mail.outbox == []


def test_change_pickup_branch_of_own_waiting_hold_only(world):
    place_hold(record=world.titaantjes, pickup_branch=world.net.a2, patron=world.bert)
    hold = place_hold(record=world.kast, pickup_branch=world.net.a1, patron=world.anna)
    assert hold.status == Hold.Status.WAITING
    with pytest.raises(HoldNotYours):
        selfservice.change_pickup_branch(hold=hold, patron=world.bert, branch=world.net.b1)
    selfservice.change_pickup_branch(hold=hold, patron=world.anna, branch=world.net.b1)
    hold.refresh_from_db()
    assert hold.pickup_branch == world.net.b1
    assert selfservice.usual_pickup_branch(world.anna) == world.net.b1
    from bci.circulation.services import checkin_item

    checkin_item(item_barcode="TI-1", branch=world.net.a2)  # pulled from the shelf
    ready = Hold.objects.get(patron=world.bert)
    assert ready.status == Hold.Status.READY
    with pytest.raises(PickupChangeNotPossible):
        selfservice.change_pickup_branch(hold=ready, patron=world.bert, branch=world.net.a1)


def test_self_registration_flags_duplicates_and_desk_verifies(world, make_staff):
    base = dict(
        organisation=world.net.lib_a,
        street="Oudegracht 1",
        postcode="3511 aa",
        town="Utrecht",
    )
    fresh = selfservice.register_self(
        first_name="Carla",
        last_name="Visser",
        birthdate=dt.date(1990, 5, 1),
        email="carla@example.org",
        **base,
    )
    assert fresh.status == "pending" and fresh.possible_duplicate == ""
    again = selfservice.register_self(
        first_name="Carla",
        last_name="Visser",
        birthdate=dt.date(1990, 5, 1),
        email="CARLA@example.org",
        **base,
    )
    assert again.pk == fresh.pk  # one pending request per e-mail
    world.anna.birthdate = dt.date(1980, 1, 2)
    world.anna.save()
    dup = selfservice.register_self(
        first_name="anna",
        last_name="JANSEN",
        birthdate=dt.date(1980, 1, 2),
        email="bert@example.org",
        **base,
    )
    assert "same name and date of birth" in dup.possible_duplicate
    assert "same e-mail" in dup.possible_duplicate
    desk = make_staff("desk_staff", world.net.lib_a)
    patron = selfservice.verify_self_registration(
        registration=fresh,
        category=category(world.net.net, "standaard"),
        card_barcode="NEW-0001",
        expires_on=timezone.localdate() + dt.timedelta(days=365),
        by=desk,
    )
    assert Patron.objects.get(pk=patron.pk).email == "carla@example.org"
    assert SelfRegistration.objects.get(pk=fresh.pk).status == "verified"


@pytest.mark.parametrize(
    "change",
    [
        {"birthdate": dt.date(2999, 1, 1)},
        {"first_name": " "},
        {"email": ""},
        {"birthdate": "1990-01-01"},
    ],
)
def test_self_registration_rejects_bad_input(world, change):
    from bci.notices.errors import InvalidRegistration

    data = dict(
        organisation=world.net.lib_a,
        first_name="D",
        last_name="E",
        birthdate=dt.date(1990, 1, 1),
        email="d@example.org",
        street="s",
        postcode="p",
        town="t",
    )
    data.update(change)
    with pytest.raises(InvalidRegistration):
        selfservice.register_self(**data)
    assert not SelfRegistration.objects.exists()


def test_admin_action_resets_pin_for_visible_patrons_only(world, make_staff, client):
    desk = make_staff("desk_staff", world.net.lib_a, is_staff=True)
    client.force_login(desk)
    url = "/admin/notices/patronpin/"
    listing = client.get(url)
    assert listing.status_code == 200 and "Jansen" in listing.content.decode()
    old = world.anna.pin_hash
    response = client.post(
        url, {"action": "reset_pin", "_selected_action": [world.anna.pk]}, follow=True
    )
    assert response.status_code == 200
    world.anna.refresh_from_db()
    assert world.anna.pin_hash != old
    outsider = make_staff("desk_staff", world.net.lib_c, is_staff=True)
    client.force_login(outsider)
    assert "Jansen" not in client.get(url).content.decode()
    client.post(url, {"action": "reset_pin", "_selected_action": [world.bert.pk]})
    before = world.bert.pin_hash
    world.bert.refresh_from_db()
    assert world.bert.pin_hash == before


def test_desk_verifies_a_registration_in_the_admin(world, make_staff, client):
    reg = selfservice.register_self(
        organisation=world.net.lib_a,
        first_name="Carla",
        last_name="Visser",
        birthdate=dt.date(1990, 5, 1),
        email="carla@example.org",
        street="Oudegracht 1",
        postcode="3511AA",
        town="Utrecht",
    )
    desk = make_staff("desk_staff", world.net.lib_a, is_staff=True)
    client.force_login(desk)
    url = f"/admin/notices/selfregistration/{reg.pk}/verify/"
    assert client.get(url).status_code == 200
    cat = category(world.net.net, "standaard")
    bad = client.post(
        url, {"category": cat.pk, "card_barcode": world.anna_card, "expires_on": "2030-01-01"}
    )
    assert bad.status_code == 400  # card number already in use
    ok = client.post(
        url, {"category": cat.pk, "card_barcode": "NEW-0002", "expires_on": "2030-01-01"}
    )
    assert ok.status_code == 302
    reg.refresh_from_db()
    assert reg.status == "verified" and reg.patron.cards.get().barcode == "NEW-0002"
    outsider = make_staff("desk_staff", world.net.lib_c, is_staff=True)
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_notice_log_in_the_admin_shows_only_patrons_the_staff_may_see(world, make_staff, client):
    from bci.accounts.models import Role

    selfservice.request_pin_reset(
        card_barcode=world.anna_card, email="ANNA@example.org", link_for=lambda t: f"/r/{t}/"
    )
    notice = Notice.objects.get(patron=world.anna)
    other_library = (
        world.net.lib_b if world.anna.home_organisation != world.net.lib_b else (world.net.lib_c)
    )
    outsider = make_staff(Role.LIBRARY_ADMIN, other_library, is_staff=True)
    client.force_login(outsider)
    listing = client.get("/admin/notices/notice/")
    assert listing.status_code in (200, 403)
    assert notice.subject not in listing.content.decode()
    assert client.get(f"/admin/notices/notice/{notice.pk}/change/").status_code in (302, 403)
    insider = make_staff(Role.DESK_STAFF, world.anna.home_organisation, is_staff=True)
    client.force_login(insider)
    assert notice.subject in client.get("/admin/notices/notice/").content.decode()


def test_preferences_change_only_what_is_given_and_leave_an_event(world):
    from bci.core.models import Event

    selfservice.set_preferences(patron=world.anna, language="en")
    pref = selfservice.set_preferences(patron=world.anna, due_reminders=False)
    assert (pref.language, pref.due_reminders) == ("en", False)
    assert Event.objects.filter(kind="patron.preferences_changed").count() == 2
    selfservice.set_preferences(patron=world.anna, due_reminders=False)  # no change
    assert Event.objects.filter(kind="patron.preferences_changed").count() == 2
    with pytest.raises(TypeError):
        selfservice.set_preferences(patron=world.anna, email="x@example.org")
