"""API tokens: authentication, refusals, scope, rate limit, storage, command, OpenAPI."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from bci.accounts import api_auth
from bci.accounts.errors import InvalidTokenRequest, RateLimited
from bci.accounts.models import ApiToken
from bci.accounts.permissions import CIRCULATION_DESK, PATRONS_VIEW, VIEW, can
from bci.accounts.tokens import (
    ApplicationPrincipal,
    authenticate_token,
    create_token,
    revoke_token,
)
from bci.circulation.models import Loan
from bci.circulation.tests.factories import make_item, make_record
from bci.core.models import Event
from bci.patrons.tests.factories import card_of, make_patron

pytestmark = pytest.mark.django_db

PATRONS = "/api/v1/patrons"
CIRC = "/api/v1/circulation"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def app_token(node, *permissions, **extra):
    return create_token(
        kind="application", name="Zaalverhuur", node=node, permissions=permissions, **extra
    )


def staff_token(user, **extra):
    return create_token(kind="staff", name="desk script", user=user, **extra)


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def patrons(net):
    return {"a": make_patron(net.lib_a, last_name="Jansen"), "b": make_patron(net.lib_b)}


# --- authentication ------------------------------------------------------------------------


def test_staff_token_authenticates_and_acts_with_the_users_roles(client, net, make_staff, patrons):
    desk_a = make_staff("desk_staff", net.lib_a)
    _token, raw = staff_token(desk_a)
    r = client.get(f"{PATRONS}/patrons/{patrons['a'].pk}", **bearer(raw))
    assert r.status_code == 200, r.content
    assert r.json()["last_name"] == "Jansen"
    # the user's roles reach library A only
    r = client.get(f"{PATRONS}/patrons/{patrons['b'].pk}", **bearer(raw))
    assert r.status_code == 404


def test_no_credentials_is_401_with_a_clear_body(client, net):
    r = client.get(f"{PATRONS}/patrons?q=Jansen")
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"


def test_session_still_works(client, net, make_staff, patrons):
    client.force_login(make_staff("desk_staff", net.lib_a))
    r = client.get(f"{PATRONS}/patrons/{patrons['a'].pk}")
    assert r.status_code == 200


@pytest.mark.parametrize(
    "header, code",
    [
        ("Bearer", "malformed_token"),
        ("Bearer ", "malformed_token"),
        ("Bearer abc", "malformed_token"),
        ("Basic dXNlcjpwYXNz", "malformed_token"),
        ("Bearer bci_0000000_" + "x" * 43, "malformed_token"),
        ("Bearer bci_00000000_" + "x" * 43, "invalid_token"),
        ("Bearer bci_00000000_" + "x" * 42 + "é", "malformed_token"),
    ],
)
def test_malformed_or_unknown_token_is_401(client, net, header, code):
    r = client.get(f"{PATRONS}/patrons?q=x", HTTP_AUTHORIZATION=header)
    assert r.status_code == 401
    body = r.json()
    assert body["code"] == code and body["message"]


def test_wrong_secret_with_a_known_prefix_is_401(client, net, make_staff):
    token, raw = staff_token(make_staff("desk_staff", net.lib_a))
    forged = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    r = client.get(f"{PATRONS}/patrons?q=x", **bearer(forged))
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_a_bad_token_does_not_fall_back_to_the_session(client, net, make_staff, patrons):
    client.force_login(make_staff("desk_staff", net.lib_a))
    r = client.get(f"{PATRONS}/patrons/{patrons['a'].pk}", **bearer("bci_nonsense"))
    assert r.status_code == 401


def test_revoked_token_is_401(client, net, make_staff):
    token, raw = staff_token(make_staff("desk_staff", net.lib_a))
    revoke_token(token=token, by="test")
    r = client.get(f"{PATRONS}/patrons?q=x", **bearer(raw))
    assert r.status_code == 401
    assert r.json() == {"code": "token_revoked", "message": "Het API-token is ingetrokken."}


def test_expired_token_is_401(client, net, make_staff):
    now = timezone.now()
    token, raw = staff_token(
        make_staff("desk_staff", net.lib_a), now=now - dt.timedelta(days=2), expires_at=now
    )
    r = client.get(f"{PATRONS}/patrons?q=x", **bearer(raw))
    assert r.status_code == 401
    assert r.json()["code"] == "token_expired"


def test_token_of_a_disabled_user_is_401(client, net, make_staff):
    user = make_staff("desk_staff", net.lib_a)
    _token, raw = staff_token(user)
    user.is_active = False
    user.save()
    r = client.get(f"{PATRONS}/patrons?q=x", **bearer(raw))
    assert r.status_code == 401 and r.json()["code"] == "token_user_inactive"


def test_last_used_is_written_at_most_once_a_minute(net, make_staff):
    token, raw = staff_token(make_staff("desk_staff", net.lib_a))
    assert token.last_used_at is None
    t0 = timezone.now()
    authenticate_token(raw, now=t0)
    token.refresh_from_db()
    assert token.last_used_at == t0
    authenticate_token(raw, now=t0 + dt.timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used_at == t0
    later = t0 + dt.timedelta(seconds=61)
    authenticate_token(raw, now=later)
    token.refresh_from_db()
    assert token.last_used_at == later


def test_last_used_is_set_by_a_request(client, net, make_staff):
    token, raw = staff_token(make_staff("desk_staff", net.lib_a))
    client.get(f"{PATRONS}/patrons?q=x", **bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at is not None


# --- rate limit ----------------------------------------------------------------------------


def test_rate_limit_gives_429_with_retry_after(client, net, make_staff, settings):
    settings.BCI_API_RATE_LIMIT = 3
    _token, raw = staff_token(make_staff("desk_staff", net.lib_a))
    codes = [client.get(f"{PATRONS}/patrons?q=x", **bearer(raw)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get(f"{PATRONS}/patrons?q=x", **bearer(raw))
    assert r.status_code == 429
    body = r.json()
    assert body["code"] == "rate_limited" and body["message"]
    assert 1 <= int(r["Retry-After"]) <= 60 and body["retry_after"] == int(r["Retry-After"])


def test_rate_limit_is_per_token_and_resets_each_minute(net, make_staff, settings):
    settings.BCI_API_RATE_LIMIT = 2
    user = make_staff("desk_staff", net.lib_a)
    one, _ = staff_token(user)
    other, _ = staff_token(user)
    api_auth.check_rate(one, clock=lambda: 1000.0)
    api_auth.check_rate(one, clock=lambda: 1001.0)
    with pytest.raises(RateLimited) as refused:
        api_auth.check_rate(one, clock=lambda: 1010.0)
    assert refused.value.retry_after == 1020 - 1010  # the window ends at 17 * 60 = 1020
    api_auth.check_rate(other, clock=lambda: 1010.0)  # another token: its own budget
    api_auth.check_rate(one, clock=lambda: 1021.0)  # next minute


def test_a_tokens_own_rate_limit_wins(net, make_staff, settings):
    settings.BCI_API_RATE_LIMIT = 1
    token, _ = staff_token(make_staff("desk_staff", net.lib_a), rate_limit=3)
    for _ in range(3):
        api_auth.check_rate(token, clock=lambda: 60.0)
    with pytest.raises(RateLimited):
        api_auth.check_rate(token, clock=lambda: 60.0)


# --- application tokens: scope and permissions ---------------------------------------------


def test_token_scoped_to_one_library_cannot_read_another_librarys_patrons(client, net, patrons):
    _token, raw = app_token(net.lib_a, "patrons")
    r = client.get(f"{PATRONS}/patrons/{patrons['a'].pk}", **bearer(raw))
    assert r.status_code == 200
    r = client.get(f"{PATRONS}/patrons/{patrons['b'].pk}", **bearer(raw))
    assert r.status_code == 404
    r = client.get(f"{PATRONS}/cards/{card_of(patrons['b'])}", **bearer(raw))
    assert r.status_code == 404
    r = client.get(f"{PATRONS}/patrons?q=Lener", **bearer(raw))
    assert {p["id"] for p in r.json()} <= {patrons["a"].pk}


def test_catalogue_only_token_sees_no_patrons(client, net, patrons):
    _token, raw = app_token(net.net, "read_catalogue", "read_availability")
    r = client.get(f"{PATRONS}/patrons/{patrons['a'].pk}", **bearer(raw))
    assert r.status_code == 404


def test_catalogue_only_token_cannot_check_out(client, net, patrons):
    item = make_item(make_record("De avonden"), net.a1, barcode="ITEM-A1")
    _token, raw = app_token(net.net, "read_catalogue")
    r = client.post(
        f"{CIRC}/checkouts",
        {"item_barcode": item.barcode, "patron_barcode": card_of(patrons["a"]), "branch": "A-1"},
        content_type="application/json",
        **bearer(raw),
    )
    assert r.status_code == 403, r.content
    assert r.json()["code"] == "permission_denied"
    assert not Loan.objects.exists()


def test_circulation_token_checks_out_at_its_branch_only(client, net, patrons):
    item = make_item(make_record("De avonden"), net.a1, barcode="ITEM-A1")
    _token, raw = app_token(net.a1, "circulation")
    payload = {"item_barcode": item.barcode, "patron_barcode": card_of(patrons["b"])}
    r = client.post(
        f"{CIRC}/checkouts",
        {**payload, "branch": "A-2"},
        content_type="application/json",
        **bearer(raw),
    )
    assert r.status_code == 403
    r = client.post(
        f"{CIRC}/checkouts",
        {**payload, "branch": "A-1"},
        content_type="application/json",
        **bearer(raw),
    )
    assert r.status_code == 201, r.content
    loan = Loan.objects.get()
    assert loan.item == item
    # the event names the token, not a staff member
    event = Event.objects.get(kind="loan.checked_out")
    assert event.actor is None and event.actor_label.startswith("api-token bci_")


def test_application_principal_has_exactly_the_tokens_grants(net):
    token, _ = app_token(net.lib_a, "patrons")
    principal = ApplicationPrincipal(token)
    assert can(principal, PATRONS_VIEW, net.a1)
    assert can(principal, VIEW, net.lib_a)
    assert not can(principal, PATRONS_VIEW, net.lib_b)
    assert not can(principal, CIRCULATION_DESK, net.a1)
    assert not principal.has_perm("accounts.view_user")


# --- storage -------------------------------------------------------------------------------


def test_secret_is_never_stored_in_clear(net, make_staff):
    token, raw = staff_token(make_staff("desk_staff", net.lib_a))
    secret = raw.split("_", 2)[2]
    assert token.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = cursor.fetchall()
        cursor.execute("SELECT data FROM core_event")
        events = cursor.fetchall()
    dump = repr(rows) + repr(events)
    assert secret not in dump and raw not in dump
    assert token.prefix in dump


def test_create_refuses_bad_input_and_stores_nothing(net, make_staff):
    user = make_staff("desk_staff", net.lib_a)
    bad = [
        {"kind": "application", "name": "X", "node": net.lib_a, "permissions": ["root"]},
        {"kind": "application", "name": "X", "node": net.lib_a, "permissions": []},
        {"kind": "application", "name": "X", "permissions": ["patrons"]},
        {"kind": "application", "name": "", "node": net.lib_a, "permissions": ["patrons"]},
        {"kind": "staff", "name": "X", "user": user, "node": net.lib_a},
        {"kind": "staff", "name": "X"},
        {"kind": "god", "name": "X", "user": user},
        {"kind": "staff", "name": "X", "user": user, "expires_at": timezone.now()},
        {"kind": "staff", "name": "X" * 101, "user": user},
    ]
    for kwargs in bad:
        with pytest.raises(InvalidTokenRequest):
            create_token(**kwargs)
    assert not ApiToken.objects.exists()


def test_revoking_twice_is_refused(net, make_staff):
    token, _ = staff_token(make_staff("desk_staff", net.lib_a))
    revoke_token(token=token)
    from bci.accounts.errors import TokenAlreadyRevoked

    with pytest.raises(TokenAlreadyRevoked):
        revoke_token(token=token)


# --- command -------------------------------------------------------------------------------


def run(*args):
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue()


def test_command_creates_a_staff_token_and_prints_it_once(client, net, make_staff, patrons):
    make_staff("desk_staff", net.lib_a, username="marloes")
    out = run("create", "--user", "marloes", "--expires-days", "30")
    raw = next(line for line in out.splitlines() if line.startswith("bci_") and len(line) > 50)
    token = ApiToken.objects.get()
    assert token.kind == "staff" and token.user.username == "marloes"
    assert token.expires_at > timezone.now() + dt.timedelta(days=29)
    r = client.get(f"{PATRONS}/patrons/{patrons['a'].pk}", **bearer(raw))
    assert r.status_code == 200
    listing = run("list")
    assert f"bci_{token.prefix}" in listing and raw not in listing
    secret = raw.split("_", 2)[2]
    assert secret not in listing


def test_command_creates_an_application_token(net):
    out = run(
        "create",
        "--application",
        "Schoolportaal",
        "--scope",
        "LIB-A",
        "--permission",
        "read_catalogue",
        "--permission",
        "patrons",
    )
    token = ApiToken.objects.get()
    assert token.node == net.lib_a and token.permissions == ["read_catalogue", "patrons"]
    assert f"bci_{token.prefix}_" in out


def test_command_revokes_by_prefix(net, make_staff):
    token, _ = staff_token(make_staff("desk_staff", net.lib_a))
    assert "Revoked" in run("revoke", f"bci_{token.prefix}")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert f"bci_{token.prefix}" not in run("list")
    assert "revoked" in run("list", "--all")
    with pytest.raises(CommandError, match="token_already_revoked"):
        run("revoke", token.prefix)


@pytest.mark.parametrize(
    "args",
    [
        ["create", "--user", "nobody"],
        ["create", "--application", "X", "--scope", "NOPE", "--permission", "patrons"],
        ["create", "--application", "X", "--scope", "LIB-A"],
        ["create", "--application", "X", "--permission", "patrons"],
        ["create", "--user", "u1", "--scope", "LIB-A"],
        ["create", "--user", "u1", "--expires-days", "0"],
        ["revoke", "zzzz"],
        ["revoke", "12345678"],
    ],
)
def test_command_refuses_bad_input(net, make_staff, args):
    make_staff("desk_staff", net.lib_a, username="u1")
    with pytest.raises(CommandError):
        run(*args)
    assert not ApiToken.objects.exists()


# --- OpenAPI -------------------------------------------------------------------------------


def test_openapi_states_the_bearer_scheme(client):
    doc = client.get("/api/v1/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert "SessionAuth" in schemes
    checkout = doc["paths"]["/api/v1/circulation/checkouts"]["post"]
    assert {"TokenAuth": []} in checkout["security"]
    patron = doc["paths"]["/api/v1/patrons/patrons/{patron_id}"]["get"]
    assert {"TokenAuth": []} in patron["security"]
