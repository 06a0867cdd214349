import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from bci.organisations import queries
from bci.organisations.models import Closure, Node, NodeSetting, OpeningHours
from bci.organisations.tests.factories import NodeFactory


def test_paths_follow_the_tree(net):
    assert net.a1.path.startswith(net.lib_a.path)
    assert net.lib_a.path.startswith(net.bisc.path)
    assert net.a1.depth == 3
    assert net.a1.organisation == net.lib_a
    assert net.a1.poi == net.bisc
    assert net.depot.poi == net.bisc and net.depot.organisation is None
    assert set(Node.objects.descendants_of(net.lib_a)) == {net.lib_a, net.a1, net.a2}


def test_moving_a_node_carries_its_subtree(net):
    net.lib_a.parent = net.cubiss
    net.lib_a.save()
    net.a1.refresh_from_db()
    assert net.a1.poi == net.cubiss
    assert net.a1.path.startswith(net.cubiss.path)


def test_tree_shape_is_validated(net):
    bad = Node(kind="branch", code="X", name="X", parent=net.bisc)
    with pytest.raises(ValidationError):
        bad.full_clean()
    depot_under_library = Node(kind="poi_depot", code="Y", name="Y", parent=net.lib_a)
    with pytest.raises(ValidationError):
        depot_under_library.full_clean()
    orphan = Node(kind="organisation", code="Z", name="Z")
    with pytest.raises(ValidationError):
        orphan.full_clean()


def test_only_one_network(net):
    with pytest.raises(IntegrityError), transaction.atomic():
        NodeFactory(kind="network", code="NL2", parent=None)


def test_nearest_ancestor_wins(net):
    NodeSetting.objects.create(node=net.net, key="fine_free", value=False)
    NodeSetting.objects.create(node=net.lib_a, key="fine_free", value=True)
    NodeSetting.objects.create(node=net.a2, key="fine_free", value=False)
    assert queries.resolve_setting(net.a1, "fine_free") is True  # organisation override
    assert queries.resolve_setting(net.a2, "fine_free") is False  # branch override
    assert queries.resolve_setting(net.b1, "fine_free") is False  # network default
    assert queries.resolve_setting(net.c1, "loan_days", default=21) == 21
    with pytest.raises(KeyError):
        queries.resolve_setting(net.c1, "loan_days")


def _at(day, hour, minute=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_is_open_follows_weekly_hours_and_closures(net):
    monday = dt.date(2026, 11, 30)
    sunday = dt.date(2026, 11, 29)
    assert queries.is_open(net.a1, _at(monday, 10))
    assert queries.is_open(net.a1, _at(monday, 16, 59))
    assert not queries.is_open(net.a1, _at(monday, 17))  # closing time is exclusive
    assert not queries.is_open(net.a1, _at(monday, 9, 59))
    assert not queries.is_open(net.a1, _at(sunday, 12))
    Closure.objects.create(node=net.lib_a, start_date=monday, end_date=monday, reason="Studiedag")
    assert not queries.is_open(net.a1, _at(monday, 12))  # organisation closure reaches branch
    assert queries.is_open(net.b1, _at(monday, 12))


def test_next_open_day_skips_sundays_and_closures(net):
    saturday = dt.date(2026, 12, 19)
    assert queries.next_open_day(net.a1, saturday) == dt.date(2026, 12, 21)
    Closure.objects.create(
        node=net.net,
        start_date=dt.date(2026, 12, 25),
        end_date=dt.date(2026, 12, 26),
        reason="Kerst",
    )
    assert queries.next_open_day(net.a1, dt.date(2026, 12, 24)) == dt.date(2026, 12, 28)
    assert queries.next_open_day(net.a1, dt.date(2026, 12, 24), include_start=True) == dt.date(
        2026, 12, 24
    )
    assert queries.next_open_day(net.lib_a, saturday) is None  # no hours at all


def test_opening_hours_must_end_after_start_and_not_overlap(net):
    backwards = OpeningHours(node=net.a1, weekday=6, opens=dt.time(17), closes=dt.time(10))
    with pytest.raises(ValidationError):
        backwards.full_clean()
    overlapping = OpeningHours(node=net.a1, weekday=0, opens=dt.time(16), closes=dt.time(20))
    with pytest.raises(ValidationError, match="overlap"):
        overlapping.full_clean()
    evening = OpeningHours(node=net.a1, weekday=0, opens=dt.time(17), closes=dt.time(20))
    evening.full_clean()  # touching, not overlapping
    with pytest.raises(IntegrityError), transaction.atomic():
        OpeningHours.objects.create(node=net.a1, weekday=6, opens=dt.time(12), closes=dt.time(11))


def test_moving_a_subtree_rewrites_every_descendants_path_and_depth(net):
    from bci.organisations.tests.factories import NodeFactory

    extra = NodeFactory(kind="branch", code="A-3", name="A Zuid", parent=net.lib_a)
    net.lib_a.parent = net.cubiss
    net.lib_a.save()
    for node in (net.a1, net.a2, extra):
        node.refresh_from_db()
        assert node.path == f"{net.lib_a.path}{node.pk:08d}/"
        assert node.depth == 3
        assert node.poi == net.cubiss
    assert set(Node.objects.descendants_of(net.cubiss)) >= {net.lib_a, net.a1, net.a2, extra}
    assert not Node.objects.descendants_of(net.bisc).filter(pk=net.a1.pk).exists()
