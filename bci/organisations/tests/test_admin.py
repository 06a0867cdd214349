"""The network admin respects role scoping and validates opening hours across a whole form."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from bci.organisations.models import Node, OpeningHours
from bci.organisations.tests.factories import NodeFactory

CHANGELIST = "/admin/organisations/node/"


@pytest.fixture(autouse=True)
def _dutch_thread():
    """Requests switch the thread's language and leave it switched (LocaleMiddleware never
    switches back); start each test in the default language and restore what was before."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def change_url(node):
    return reverse("admin:organisations_node_change", args=[node.pk])


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def node_form(node=None, *, hours=(), **fields):
    """POST data for the node admin: the node's own fields plus its inlines.

    ``hours`` are dicts of inline rows (existing rows carry their ``id``).
    """
    data = {
        "kind": node.kind if node else "branch",
        "parent": str(node.parent_id) if node else "",
        "code": node.code if node else "",
        "name": node.name if node else "",
        "is_active": "on",
        "address": "",
        "postcode": "",
        "town": node.town if node else "",
        "province": "",
        "latitude": "",
        "longitude": "",
        "population": "",
        "source_note": "",
    }
    data.update({k: str(v) for k, v in fields.items()})
    is_location = data["kind"] in Node.Kind.location_kinds()
    if is_location or node is None:
        initial = sum(1 for row in hours if row.get("id"))
        data.update(management("opening_hours", len(hours), initial))
        for i, row in enumerate(hours):
            for key, value in row.items():
                data[f"opening_hours-{i}-{key}"] = str(value)
            if node is not None:
                data[f"opening_hours-{i}-node"] = str(node.pk)
    data.update(management("closures", 0))
    data.update(management("settings", 0))
    return data


@pytest.fixture
def staff(make_staff):
    def make(role, node):
        return make_staff(role, node, is_staff=True)

    return make


def listed_codes(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    return {node.code for node in response.context["cl"].queryset}


# --- scoping -------------------------------------------------------------------------------


def test_library_staff_see_only_their_own_library(client, net, staff):
    client.force_login(staff("library_admin", net.lib_a))
    assert listed_codes(client) == {"LIB-A", "A-1", "A-2"}


def test_poi_staff_see_their_pois_libraries_but_not_the_other_poi(client, net, staff):
    client.force_login(staff("poi_staff", net.bisc))
    codes = listed_codes(client)
    assert {"BISC", "LIB-A", "LIB-B", "A-1", "B-1", "BISC-DEPOT"} <= codes
    assert not codes & {"CUBISS", "LIB-C", "C-1", "NL"}


def test_superuser_sees_the_whole_tree(client, net, make_staff):
    client.force_login(make_staff(is_staff=True, is_superuser=True))
    assert listed_codes(client) == set(Node.objects.values_list("code", flat=True))


def test_library_staff_cannot_open_or_change_another_librarys_branch(client, net, staff):
    client.force_login(staff("library_admin", net.lib_a))
    assert client.get(change_url(net.b1)).status_code == 302  # "does not exist" for them
    response = client.post(change_url(net.b1), node_form(net.b1, name="Overgenomen"))
    assert response.status_code == 302
    net.b1.refresh_from_db()
    assert net.b1.name == "B Centrum"
    delete = reverse("admin:organisations_node_delete", args=[net.b1.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert Node.objects.filter(pk=net.b1.pk).exists()


def test_library_admin_changes_their_own_branch(client, net, staff):
    client.force_login(staff("library_admin", net.lib_a))
    OpeningHours.objects.filter(node=net.a2).delete()
    response = client.post(change_url(net.a2), node_form(net.a2, name="A Noord (nieuw)"))
    assert response.status_code == 302, response.context["errors"]
    net.a2.refresh_from_db()
    assert net.a2.name == "A Noord (nieuw)"


def test_read_only_staff_see_but_cannot_change(client, net, staff):
    client.force_login(staff("read_only", net.lib_a))
    page = client.get(change_url(net.a2))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    response = client.post(change_url(net.a2), node_form(net.a2, name="Nee"))
    assert response.status_code == 403
    net.a2.refresh_from_db()
    assert net.a2.name == "A Noord"


def test_new_nodes_only_hang_under_the_users_scope(client, net, staff):
    client.force_login(staff("library_admin", net.lib_a))
    add = reverse("admin:organisations_node_add")
    choices = client.get(add).context["adminform"].form.fields["parent"].queryset
    assert set(choices.values_list("code", flat=True)) == {"LIB-A", "A-1", "A-2"}
    outside = client.post(add, node_form(kind="branch", parent=net.lib_b.pk, code="X", name="X"))
    assert outside.status_code == 200 and outside.context["adminform"].form.errors["parent"]
    assert not Node.objects.filter(code="X").exists()
    inside = client.post(add, node_form(kind="branch", parent=net.lib_a.pk, code="A-9", name="A9"))
    assert inside.status_code == 302
    assert Node.objects.get(code="A-9").organisation == net.lib_a


def test_the_node_a_role_hangs_on_cannot_be_moved_or_deleted_by_its_holder(client, net, staff):
    client.force_login(staff("library_admin", net.lib_a))
    moved = client.post(change_url(net.lib_a), node_form(net.lib_a, parent=net.cubiss.pk))
    assert moved.status_code == 200
    net.lib_a.refresh_from_db()
    assert net.lib_a.parent == net.bisc
    renamed = client.post(change_url(net.lib_a), node_form(net.lib_a, name="Bibliotheek A+"))
    assert renamed.status_code == 302
    delete_root = reverse("admin:organisations_node_delete", args=[net.lib_a.pk])
    assert client.get(delete_root).status_code == 403
    delete_branch = reverse("admin:organisations_node_delete", args=[net.a2.pk])
    assert client.post(delete_branch, {"post": "yes"}).status_code == 302
    assert not Node.objects.filter(pk=net.a2.pk).exists()


def test_staff_without_a_role_cannot_use_the_admin(client, net, make_staff):
    client.force_login(make_staff(is_staff=True))
    assert client.get(CHANGELIST).status_code == 403


# --- opening hours in the inline -----------------------------------------------------------


@pytest.fixture
def bare_branch(net):
    return NodeFactory(kind="branch", code="A-5", name="A Zuid", parent=net.lib_a)


def test_overlapping_rows_in_one_form_are_refused(client, net, staff, bare_branch):
    client.force_login(staff("library_admin", net.lib_a))
    rows = [
        {"weekday": 0, "opens": "10:00", "closes": "13:00", "staffed": "on"},
        {"weekday": 0, "opens": "12:00", "closes": "17:00", "staffed": "on"},
        {"weekday": 1, "opens": "12:00", "closes": "17:00", "staffed": "on"},
    ]
    response = client.post(change_url(bare_branch), node_form(bare_branch, hours=rows))
    assert response.status_code == 200
    assert "overlappen met 10:00-13:00" in response.content.decode()
    assert not OpeningHours.objects.filter(node=bare_branch).exists()


def test_a_period_inside_a_long_one_is_an_overlap_too(client, net, staff, bare_branch):
    client.force_login(staff("library_admin", net.lib_a))
    rows = [
        {"weekday": 2, "opens": "09:00", "closes": "18:00"},
        {"weekday": 2, "opens": "10:00", "closes": "11:00"},
        {"weekday": 2, "opens": "13:00", "closes": "14:00"},
    ]
    response = client.post(change_url(bare_branch), node_form(bare_branch, hours=rows))
    assert response.content.decode().count("overlappen met 09:00-18:00") == 2


def test_hours_ending_before_they_start_are_refused(client, net, staff, bare_branch):
    client.force_login(staff("library_admin", net.lib_a))
    rows = [{"weekday": 3, "opens": "17:00", "closes": "10:00", "staffed": "on"}]
    response = client.post(change_url(bare_branch), node_form(bare_branch, hours=rows))
    assert response.status_code == 200
    assert "Openingstijden moeten eindigen na het begin." in response.content.decode()
    assert not OpeningHours.objects.filter(node=bare_branch).exists()


def test_an_overlap_with_a_stored_row_is_refused(client, net, staff, bare_branch):
    client.force_login(staff("library_admin", net.lib_a))
    kept = OpeningHours.objects.create(
        node=bare_branch, weekday=4, opens=dt.time(10), closes=dt.time(12)
    )
    rows = [
        {"id": kept.pk, "weekday": 4, "opens": "10:00", "closes": "12:00", "staffed": "on"},
        {"weekday": 4, "opens": "11:00", "closes": "15:00", "staffed": "on"},
    ]
    response = client.post(change_url(bare_branch), node_form(bare_branch, hours=rows))
    assert response.status_code == 200 and "overlappen" in response.content.decode()
    assert OpeningHours.objects.filter(node=bare_branch).count() == 1


def test_rows_may_shift_together_in_one_save(client, net, staff, bare_branch):
    """10-12 + 13-17 becomes 10-14 + 14-17: fine as a whole, though 10-14 overlaps the
    stored 13-17 row."""
    client.force_login(staff("library_admin", net.lib_a))
    morning = OpeningHours.objects.create(
        node=bare_branch, weekday=0, opens=dt.time(10), closes=dt.time(12)
    )
    afternoon = OpeningHours.objects.create(
        node=bare_branch, weekday=0, opens=dt.time(13), closes=dt.time(17)
    )
    rows = [
        {"id": morning.pk, "weekday": 0, "opens": "10:00", "closes": "14:00", "staffed": "on"},
        {"id": afternoon.pk, "weekday": 0, "opens": "14:00", "closes": "17:00", "staffed": "on"},
    ]
    response = client.post(change_url(bare_branch), node_form(bare_branch, hours=rows))
    assert response.status_code == 302
    assert list(OpeningHours.objects.filter(node=bare_branch).values_list("opens", "closes")) == [
        (dt.time(10), dt.time(14)),
        (dt.time(14), dt.time(17)),
    ]


def test_deleted_rows_do_not_count_as_overlaps(client, net, staff, bare_branch):
    client.force_login(staff("library_admin", net.lib_a))
    old = OpeningHours.objects.create(
        node=bare_branch, weekday=5, opens=dt.time(10), closes=dt.time(17)
    )
    rows = [
        {"id": old.pk, "weekday": 5, "opens": "10:00", "closes": "17:00", "DELETE": "on"},
        {"weekday": 5, "opens": "09:00", "closes": "12:00", "staffed": "on"},
    ]
    response = client.post(change_url(bare_branch), node_form(bare_branch, hours=rows))
    assert response.status_code == 302
    assert list(OpeningHours.objects.filter(node=bare_branch).values_list("opens")) == [
        (dt.time(9),)
    ]


def test_organisations_have_no_opening_hours_inline(client, net, staff):
    client.force_login(staff("library_admin", net.lib_a))
    html = client.get(change_url(net.lib_a)).content.decode()
    assert "opening_hours-TOTAL_FORMS" not in html and "closures-TOTAL_FORMS" in html


# --- language ------------------------------------------------------------------------------


def test_admin_is_dutch_by_default_and_english_under_en(client, net, staff):
    client.force_login(staff("library_admin", net.lib_a))
    dutch = client.get(CHANGELIST).content.decode()
    assert "Selecteer netwerkknooppunt om te wijzigen" in dutch
    english = client.get("/en" + CHANGELIST).content.decode()
    assert "Select network node to change" in english
    # The admin carries the same language buttons as the public pages.
    assert 'name="next" value="/en/admin/organisations/node/"' in dutch
    assert 'name="next" value="/admin/organisations/node/"' in english


# --- settings and cost ---------------------------------------------------------------------


def test_settings_are_scoped_like_their_nodes(client, net, staff):
    from bci.organisations.models import NodeSetting

    NodeSetting.objects.create(node=net.lib_a, key="fine_free", value=True)
    other = NodeSetting.objects.create(node=net.lib_b, key="fine_free", value=False)
    client.force_login(staff("library_admin", net.lib_a))
    listed = client.get("/admin/organisations/nodesetting/").context["cl"].queryset
    assert [s.node.code for s in listed] == ["LIB-A"]
    change = reverse("admin:organisations_nodesetting_change", args=[other.pk])
    assert client.get(change).status_code == 302
    add = reverse("admin:organisations_nodesetting_add")
    refused = client.post(add, {"node": net.b1.pk, "key": "loan_days", "value": "21"})
    assert refused.status_code == 200 and refused.context["adminform"].form.errors["node"]
    accepted = client.post(add, {"node": net.a1.pk, "key": "loan_days", "value": "21"})
    assert accepted.status_code == 302
    assert NodeSetting.objects.get(node=net.a1, key="loan_days").value == 21


def test_changelist_query_count_does_not_grow_with_the_tree(
    client, net, staff, django_assert_max_num_queries
):
    for _ in range(30):
        NodeFactory(kind="branch", parent=net.lib_a)
    client.force_login(staff("poi_staff", net.bisc))
    with django_assert_max_num_queries(10):  # session, user, roles, counts, rows, filters
        response = client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 37
