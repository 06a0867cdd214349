"""Token admin: scoped lists, creation shows the secret once, revoke, no escalation."""

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.utils import translation

from bci.accounts.admin.scope import grantable_token_permissions
from bci.accounts.models import ApiToken
from bci.accounts.tokens import authenticate_token, create_token

TOKENS = "/admin/accounts/apitoken/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dutch_thread():
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def people(net, make_staff):
    return {
        "admin_a": make_staff("library_admin", net.lib_a, username="admin_a", is_staff=True),
        "desk_a": make_staff("desk_staff", net.a1, username="desk_a", is_staff=True),
        "admin_b": make_staff("library_admin", net.lib_b, username="admin_b", is_staff=True),
        "desk_b": make_staff("desk_staff", net.b1, username="desk_b", is_staff=True),
        "poi": make_staff("poi_staff", net.bisc, username="poi", is_staff=True),
    }


@pytest.fixture
def tokens(net, people):
    app_a, _ = create_token(
        kind="application", name="Portaal A", node=net.lib_a, permissions=["patrons"]
    )
    app_b, _ = create_token(
        kind="application", name="Portaal B", node=net.lib_b, permissions=["patrons"]
    )
    staff_a, _ = create_token(kind="staff", name="script A", user=people["desk_a"])
    staff_b, _ = create_token(kind="staff", name="script B", user=people["desk_b"])
    return {"app_a": app_a, "app_b": app_b, "staff_a": staff_a, "staff_b": staff_b}


def form(**values):
    data = {"name": "", "kind": "", "user": "", "node": "", "rate_limit": ""}
    data.update({"expires_at_0": "", "expires_at_1": ""})
    data.update(values)
    return data


def test_library_admin_lists_only_tokens_in_their_scope(client, people, tokens):
    client.force_login(people["admin_a"])
    response = client.get(TOKENS)
    assert response.status_code == 200
    names = {t.name for t in response.context["cl"].queryset}
    assert names == {"Portaal A", "script A"}
    assert tokens["app_b"].secret_hash not in response.content.decode()


def test_desk_staff_have_no_token_admin(client, people, tokens):
    client.force_login(people["desk_a"])
    assert client.get(TOKENS).status_code == 403


def test_library_admin_cannot_open_another_librarys_token(client, people, tokens):
    client.force_login(people["admin_a"])
    assert client.get(f"{TOKENS}{tokens['app_b'].pk}/change/").status_code == 302
    assert client.get(f"{TOKENS}{tokens['app_a'].pk}/change/").status_code == 200


def test_create_application_token_shows_the_secret_once(client, people, net):
    client.force_login(people["admin_a"])
    data = form(name="Zaalverhuur", kind="application", node=str(net.a1.pk))
    data["permissions"] = ["circulation", "read_catalogue"]
    response = client.post(f"{TOKENS}add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    token = ApiToken.objects.get()
    assert token.node == net.a1 and token.permissions == ["circulation", "read_catalogue"]
    assert token.created_by == people["admin_a"]
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    raw = next(s.split("<code>")[1].split("</code>")[0] for s in shown if "<code>" in s)
    assert authenticate_token(raw) == token
    # the page after the redirect shows it, the next one no longer does
    assert raw in client.get(TOKENS).content.decode()
    page = client.get(TOKENS).content.decode()
    assert raw not in page and raw.split("_", 2)[2] not in page


def test_create_staff_token_for_own_staff(client, people):
    client.force_login(people["admin_a"])
    response = client.post(
        f"{TOKENS}add/", form(name="kiosk", kind="staff", user=str(people["desk_a"].pk))
    )
    assert response.status_code == 302
    assert ApiToken.objects.get().user == people["desk_a"]


@pytest.mark.parametrize(
    "values, field",
    [
        ({"kind": "staff", "user": "desk_b"}, "user"),  # other library's staff
        ({"kind": "application", "node": "lib_b", "permissions": ["patrons"]}, "node"),
        (
            {
                "kind": "staff",
                "user": "desk_a",
                "expires_at_0": "2001-01-01",
                "expires_at_1": "10:00",
            },
            "expires_at",
        ),
        ({"kind": "staff", "user": "desk_a", "rate_limit": "0"}, "rate_limit"),
        ({"kind": "application", "node": "lib_a", "permissions": []}, "permissions"),
        ({"kind": "application", "node": "lib_a", "permissions": ["root"]}, "permissions"),
        ({"kind": "application", "user": "desk_a", "permissions": ["patrons"]}, None),
        ({"kind": "staff", "user": "desk_a", "node": "lib_a"}, "node"),
        ({"kind": "", "user": "desk_a"}, "kind"),
    ],
)
def test_admin_refuses_bad_or_escalating_tokens(client, people, net, values, field):
    client.force_login(people["admin_a"])
    data = form(name="X")
    for key, value in values.items():
        if key == "user":
            value = str(people[value].pk)
        elif key == "node":
            value = str(getattr(net, value).pk)
        data[key] = value
    response = client.post(f"{TOKENS}add/", data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors and (field is None or field in errors)
    assert not ApiToken.objects.exists()


def test_token_permissions_never_exceed_the_creators_own(net, people):
    # POI staff see no patrons, so they cannot give a token that does.
    assert "patrons" not in grantable_token_permissions(people["poi"], net.lib_a)
    assert "logistics" in grantable_token_permissions(people["poi"], net.bisc)
    assert "patrons" in grantable_token_permissions(people["admin_a"], net.a1)
    assert grantable_token_permissions(people["admin_a"], net.lib_b) == []
    assert grantable_token_permissions(people["desk_a"], net.a1) == []


def test_revoke_action_only_within_scope(client, people, tokens):
    client.force_login(people["admin_a"])
    ids = [str(tokens[k].pk) for k in ("app_a", "staff_a", "app_b")]
    response = client.post(TOKENS, {"action": "revoke_selected", "_selected_action": ids})
    assert response.status_code == 302
    for key, revoked in [("app_a", True), ("staff_a", True), ("app_b", False)]:
        tokens[key].refresh_from_db()
        assert (tokens[key].revoked_at is not None) is revoked


def test_tokens_are_not_deleted_or_edited(client, people, tokens):
    client.force_login(people["admin_a"])
    url = f"{TOKENS}{tokens['app_a'].pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    client.post(url, form(name="renamed", kind="application"))
    tokens["app_a"].refresh_from_db()
    assert tokens["app_a"].name == "Portaal A"
    assert client.get(f"{TOKENS}{tokens['app_a'].pk}/delete/").status_code == 403
