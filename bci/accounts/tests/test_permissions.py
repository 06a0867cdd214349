"""Role scoping: staff see and change only what their role's node covers."""

import pytest

from bci.accounts.models import Role
from bci.accounts.permissions import can, restrict, visible_nodes
from bci.organisations.models import Node


def test_library_staff_see_only_their_library(net, make_staff):
    desk_a = make_staff(Role.DESK_STAFF, net.lib_a)
    seen = set(visible_nodes(desk_a))
    assert seen == {net.lib_a, net.a1, net.a2}
    assert net.b1 not in seen and net.lib_b not in seen


def test_library_admin_cannot_change_another_librarys_branch(net, make_staff):
    admin_a = make_staff(Role.LIBRARY_ADMIN, net.lib_a)
    assert can(admin_a, "change_network", net.a1)
    assert can(admin_a, "change_network", net.lib_a)
    assert not can(admin_a, "change_network", net.b1)
    assert not can(admin_a, "change_network", net.bisc)  # not upwards either


def test_poi_staff_see_their_pois_libraries_not_the_other_poi(net, make_staff):
    bisc_staff = make_staff(Role.POI_STAFF, net.bisc)
    seen = set(visible_nodes(bisc_staff))
    assert {net.lib_a, net.lib_b, net.a1, net.b1, net.depot} <= seen
    assert net.lib_c not in seen and net.c1 not in seen
    assert can(bisc_staff, "change_network", net.b1)
    assert not can(bisc_staff, "change_network", net.c1)


def test_poi_staff_have_no_access_to_patrons(net, make_staff):
    """Each library organisation controls its own members' data."""
    bisc_staff = make_staff(Role.POI_STAFF, net.bisc)
    assert not can(bisc_staff, "patrons.view", net.lib_a)
    desk_a = make_staff(Role.DESK_STAFF, net.lib_a)
    assert can(desk_a, "patrons.view", net.lib_a)
    assert not can(desk_a, "patrons.view", net.lib_b)


def test_read_only_may_view_but_not_change(net, make_staff):
    reader = make_staff(Role.READ_ONLY, net.lib_b)
    assert can(reader, "view", net.b1)
    assert not can(reader, "change_network", net.b1)
    assert not can(reader, "view", net.a1)


def test_network_admin_and_superuser_reach_everything(net, make_staff):
    admin = make_staff(Role.NETWORK_ADMIN, net.net)
    root = make_staff(is_superuser=True)
    for user in (admin, root):
        assert can(user, "change_network", net.c1)
        assert restrict(Node.objects.all(), user).count() == Node.objects.count()


def test_roles_add_up_across_assignments(net, make_staff):
    from bci.accounts.models import RoleAssignment

    user = make_staff(Role.DESK_STAFF, net.lib_a)
    RoleAssignment.objects.create(user=user, role=Role.READ_ONLY, node=net.lib_c)
    seen = set(visible_nodes(user))
    assert net.c1 in seen and net.a1 in seen and net.b1 not in seen
    assert not can(user, "circulation.desk", net.c1)


def test_anonymous_and_inactive_users_may_do_nothing(net, make_staff):
    from django.contrib.auth.models import AnonymousUser

    assert not can(AnonymousUser(), "view", net.a1)
    assert visible_nodes(AnonymousUser()).count() == 0
    gone = make_staff(Role.NETWORK_ADMIN, net.net)
    gone.is_active = False
    assert not can(gone, "view", net.a1)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_a_defined_action_set(role):
    from bci.accounts.permissions import ROLE_ACTIONS

    assert "view" in ROLE_ACTIONS[role]


def test_objects_placed_in_the_tree_through_scope_node(net, make_staff):
    class Thing:
        scope_node = None

    thing = Thing()
    thing.scope_node = net.b1
    desk_b = make_staff(Role.DESK_STAFF, net.lib_b)
    desk_a = make_staff(Role.DESK_STAFF, net.lib_a)
    assert can(desk_b, "circulation.desk", thing)
    assert not can(desk_a, "circulation.desk", thing)
    thing.scope_node = None  # network-level object
    assert not can(desk_b, "view", thing)
    assert can(make_staff(Role.NETWORK_ADMIN, net.net), "view", thing)
