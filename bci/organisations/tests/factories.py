"""Build small network trees for tests."""

import datetime as dt
from types import SimpleNamespace

import factory

from bci.organisations.models import Node, OpeningHours


class NodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Node

    kind = Node.Kind.BRANCH
    code = factory.Sequence(lambda n: f"node-{n}")
    name = factory.Sequence(lambda n: f"Node {n}")
    town = "Utrecht"
    latitude = 52.09
    longitude = 5.12


def add_hours(node, weekdays=range(6), opens=dt.time(10), closes=dt.time(17)):
    OpeningHours.objects.bulk_create(
        [OpeningHours(node=node, weekday=d, opens=opens, closes=closes) for d in weekdays]
    )
    return node


def small_network():
    """network > BiSC (library A: two branches, library B: one) + depot; Cubiss > library C.

    Returns a namespace of the nodes. Branches open Mon-Sat 10:00-17:00.
    """
    net = NodeFactory(kind="network", code="NL", name="BCI network", parent=None)
    bisc = NodeFactory(kind="poi", code="BISC", name="BiSC", parent=net)
    cubiss = NodeFactory(kind="poi", code="CUBISS", name="Cubiss", parent=net)
    lib_a = NodeFactory(kind="organisation", code="LIB-A", name="Bibliotheek A", parent=bisc)
    lib_b = NodeFactory(kind="organisation", code="LIB-B", name="Bibliotheek B", parent=bisc)
    lib_c = NodeFactory(kind="organisation", code="LIB-C", name="Bibliotheek C", parent=cubiss)
    a1 = add_hours(
        NodeFactory(
            kind="main",
            code="A-1",
            name="A Centrum",
            parent=lib_a,
            town="Houten",
            latitude=52.03,
            longitude=5.17,
        )
    )
    a2 = add_hours(
        NodeFactory(
            kind="branch",
            code="A-2",
            name="A Noord",
            parent=lib_a,
            town="Bunnik",
            latitude=52.07,
            longitude=5.20,
        )
    )
    b1 = add_hours(
        NodeFactory(
            kind="main",
            code="B-1",
            name="B Centrum",
            parent=lib_b,
            town="Zeist",
            latitude=52.09,
            longitude=5.23,
        )
    )
    c1 = add_hours(
        NodeFactory(
            kind="main",
            code="C-1",
            name="C Centrum",
            parent=lib_c,
            town="Maastricht",
            latitude=50.85,
            longitude=5.69,
        )
    )
    depot = NodeFactory(kind="poi_depot", code="BISC-DEPOT", name="BiSC depot", parent=bisc)
    return SimpleNamespace(
        net=net,
        bisc=bisc,
        cubiss=cubiss,
        lib_a=lib_a,
        lib_b=lib_b,
        lib_c=lib_c,
        a1=a1,
        a2=a2,
        b1=b1,
        c1=c1,
        depot=depot,
    )
