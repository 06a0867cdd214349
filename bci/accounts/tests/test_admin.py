"""Staff and role administration: scoped lists, no granting beyond one's own reach."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from bci.accounts.admin.scope import grantable_roles
from bci.accounts.models import Role, RoleAssignment, User
from bci.organisations.models import Node

USERS = "/admin/accounts/user/"
ROLES = "/admin/accounts/roleassignment/"


@pytest.fixture(autouse=True)
def _dutch_thread():
    """Requests switch the thread's language and leave it switched (LocaleMiddleware never
    switches back); start each test in the default language and restore what was before."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def people(net, make_staff):
    """A library administrator for A and B, desk staff in each, POI staff of BiSC."""
    return {
        "admin_a": make_staff("library_admin", net.lib_a, username="admin_a", is_staff=True),
        "desk_a": make_staff("desk_staff", net.a1, username="desk_a", is_staff=True),
        "admin_b": make_staff("library_admin", net.lib_b, username="admin_b", is_staff=True),
        "desk_b": make_staff("desk_staff", net.b1, username="desk_b", is_staff=True),
        "poi": make_staff("poi_staff", net.bisc, username="poi", is_staff=True),
        "boss": make_staff("network_admin", net.net, username="boss", is_staff=True),
    }


def user_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def role_form(user, role, node):
    return {"user": str(user.pk), "role": role, "node": str(node.pk)}


# --- the rule ------------------------------------------------------------------------------


def test_grantable_roles_never_exceed_the_granters_own(net, people, make_staff):
    admin_a = people["admin_a"]
    expected = {Role.LIBRARY_ADMIN, Role.DESK_STAFF, Role.READ_ONLY}
    assert set(grantable_roles(admin_a, net.lib_a)) == expected
    assert set(grantable_roles(admin_a, net.a1)) == expected
    assert grantable_roles(admin_a, net.lib_b) == []
    assert grantable_roles(admin_a, net.bisc) == []
    # POI staff see no patrons, so they cannot hand out roles that do.
    assert set(grantable_roles(people["poi"], net.bisc)) == {Role.POI_STAFF, Role.READ_ONLY}
    assert set(grantable_roles(people["poi"], net.lib_a)) == {Role.READ_ONLY}
    assert set(grantable_roles(people["boss"], net.net)) == set(Role)
    assert Role.NETWORK_ADMIN not in grantable_roles(people["boss"], net.lib_a)
    assert grantable_roles(people["desk_a"], net.a1) == []
    superuser = make_staff(is_superuser=True)
    assert set(grantable_roles(superuser, net.bisc)) == set(Role) - {Role.NETWORK_ADMIN}


# --- users ---------------------------------------------------------------------------------


def test_library_admin_sees_only_their_librarys_staff(client, people):
    client.force_login(people["admin_a"])
    response = client.get(USERS)
    assert response.status_code == 200
    names = {u.username for u in response.context["cl"].queryset}
    assert names == {"admin_a", "desk_a"}


def test_poi_staff_see_staff_of_their_pois_libraries(client, people, net, make_staff):
    make_staff("desk_staff", net.c1, username="desk_c")
    client.force_login(people["poi"])
    names = {u.username for u in client.get(USERS).context["cl"].queryset}
    assert names == {"admin_a", "desk_a", "admin_b", "desk_b", "poi"}


def test_library_admin_cannot_open_another_librarys_staff(client, people):
    client.force_login(people["admin_a"])
    desk_b = people["desk_b"]
    assert client.get(user_url(desk_b)).status_code == 302
    password = reverse("admin:auth_user_password_change", args=[desk_b.pk])
    assert client.get(password).status_code in (302, 403, 404)


def test_library_admin_changes_their_desk_staff_but_not_django_flags(client, people):
    client.force_login(people["admin_a"])
    desk_a = people["desk_a"]
    page = client.get(user_url(desk_a))
    fields = page.context["adminform"].form.fields
    assert "is_superuser" not in fields and "user_permissions" not in fields
    assignment = desk_a.roles.get()
    data = {
        "username": "desk_a",
        "first_name": "Anna",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",  # not in the form: ignored
        "roles-TOTAL_FORMS": "1",
        "roles-INITIAL_FORMS": "1",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "roles-0-id": str(assignment.pk),
        "roles-0-user": str(desk_a.pk),
        "roles-0-role": "desk_staff",
        "roles-0-node": str(assignment.node_id),
    }
    response = client.post(user_url(desk_a), data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.errors for f in response.context["inline_admin_formsets"][0].formset],
    )
    desk_a.refresh_from_db()
    assert desk_a.first_name == "Anna" and not desk_a.is_superuser


def test_poi_staff_may_view_but_not_change_a_library_admin(client, people):
    client.force_login(people["poi"])
    page = client.get(user_url(people["admin_a"]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    response = client.post(user_url(people["admin_a"]), {"username": "hacked"})
    assert response.status_code == 403
    assert User.objects.filter(username="admin_a").exists()


def test_a_new_staff_member_comes_with_a_role_in_scope(client, people, net):
    client.force_login(people["admin_a"])
    add = reverse("admin:accounts_user_add")
    base = {
        "username": "nieuw",
        "password1": "een-goed-wachtwoord-1",
        "password2": "een-goed-wachtwoord-1",
        "usable_password": "true",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    without = client.post(add, {**base, "roles-TOTAL_FORMS": "0"})
    assert without.status_code == 200
    assert "ten minste één rol" in without.content.decode()
    outside = client.post(
        add,
        {**base, "roles-TOTAL_FORMS": "1", "roles-0-role": "desk_staff", "roles-0-node": net.b1.pk},
    )
    assert outside.status_code == 200
    too_high = client.post(
        add,
        {
            **base,
            "roles-TOTAL_FORMS": "1",
            "roles-0-role": "logistics_planner",
            "roles-0-node": net.a1.pk,
        },
    )
    assert too_high.status_code == 200
    assert "U mag de rol logistiek planner niet toekennen" in too_high.content.decode()
    assert not User.objects.filter(username="nieuw").exists()
    ok = client.post(
        add,
        {**base, "roles-TOTAL_FORMS": "1", "roles-0-role": "desk_staff", "roles-0-node": net.a2.pk},
    )
    assert ok.status_code == 302
    created = User.objects.get(username="nieuw")
    assert list(created.roles.values_list("role", "node__code")) == [("desk_staff", "A-2")]


def test_staff_cannot_delete_themselves(client, people):
    client.force_login(people["admin_a"])
    url = reverse("admin:accounts_user_delete", args=[people["admin_a"].pk])
    assert client.get(url).status_code == 403


# --- role assignments ----------------------------------------------------------------------


def test_role_list_is_scoped(client, people):
    client.force_login(people["admin_a"])
    listed = client.get(ROLES).context["cl"].queryset
    assert {(a.user.username, a.role) for a in listed} == {
        ("admin_a", "library_admin"),
        ("desk_a", "desk_staff"),
    }


def test_granting_roles_is_limited_to_scope_and_rank(client, people, net):
    client.force_login(people["admin_a"])
    add = reverse("admin:accounts_roleassignment_add")
    desk_a = people["desk_a"]
    refused = [
        role_form(desk_a, "network_admin", net.lib_a),
        role_form(desk_a, "poi_staff", net.lib_a),
        role_form(desk_a, "logistics_planner", net.a1),
        role_form(desk_a, "read_only", net.lib_b),  # outside: not even a choice
        role_form(people["desk_b"], "read_only", net.a1),  # someone else's staff
    ]
    before = RoleAssignment.objects.count()
    for data in refused:
        response = client.post(add, data)
        assert response.status_code == 200, data
        assert response.context["adminform"].form.errors, data
    assert RoleAssignment.objects.count() == before
    response = client.post(add, role_form(desk_a, "read_only", net.a2))
    assert response.status_code == 302
    assert desk_a.roles.filter(role="read_only", node=net.a2).exists()


def test_library_admin_cannot_touch_a_role_granted_from_above(client, people, net, make_staff):
    planner = RoleAssignment.objects.create(
        user=people["desk_a"], role="logistics_planner", node=net.lib_a
    )
    client.force_login(people["admin_a"])
    url = reverse("admin:accounts_roleassignment_change", args=[planner.pk])
    assert client.post(url, role_form(people["desk_a"], "read_only", net.lib_a)).status_code == 403
    delete = reverse("admin:accounts_roleassignment_delete", args=[planner.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    planner.refresh_from_db()
    assert planner.role == "logistics_planner"
    # Nor change the user who holds it (that would let them strip the role).
    assert client.post(user_url(people["desk_a"]), {"username": "x"}).status_code == 403


def test_admin_index_lists_only_what_the_role_allows(client, people, make_staff, net):
    client.force_login(people["desk_a"])
    html = client.get("/admin/").content.decode()
    assert "Netwerkknooppunten" in html and "Medewerkers" in html
    client.force_login(make_staff("read_only", net.a1, is_staff=True))
    assert client.get(reverse("admin:accounts_roleassignment_add")).status_code == 403


def test_dropdowns_offer_only_nodes_and_staff_in_scope(client, people, net):
    """The role, user-inline and token forms share one dropdown builder: nodes where the
    requester may manage roles, staff the requester may see."""
    client.force_login(people["admin_a"])
    own_nodes = set(
        Node.objects.filter(path__startswith=net.lib_a.path).values_list("pk", flat=True)
    )
    assert net.a1.pk in own_nodes and net.lib_b.pk not in own_nodes
    role = client.get(reverse("admin:accounts_roleassignment_add")).context["adminform"].form
    token = client.get(reverse("admin:accounts_apitoken_add")).context["adminform"].form
    user_page = client.get(reverse("admin:accounts_user_add"))
    inline = user_page.context["inline_admin_formsets"][0].formset.forms[0]
    for form in (role, token, inline):
        assert {n.pk for n in form.fields["node"].queryset} == own_nodes
    for form in (role, token):
        assert {u.username for u in form.fields["user"].queryset} == {"admin_a", "desk_a"}
