"""Crates and scans: hub and spoke from branch to branch, a crate received at once, and
every wrong scan refused with nothing changed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bci.catalogue.models import Item
from bci.circulation.models import Hold
from bci.circulation.services import checkin_item, place_hold
from bci.circulation.tests.factories import make_item, make_record
from bci.logistics import crates, errors
from bci.logistics.models import Crate, Transit
from bci.logistics.queries import (
    crate_manifest,
    hold_shelf_steps,
    overdue_transits,
    transit_history,
)
from bci.logistics.services import create_transit
from bci.organisations.tests.factories import NodeFactory
from bci.patrons.tests.factories import make_patron

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 12, 2, 11, 0, tzinfo=AMS)


def at(hours):
    return NOW + dt.timedelta(hours=hours)


@pytest.fixture
def depots(net):
    limburg = NodeFactory(
        kind="poi_depot", code="LIMBURG-DOCK", parent=net.cubiss, latitude=51.19, longitude=5.97
    )
    return net.depot, limburg


def crate(code, home):
    return crates.register_crate(barcode=code, home=home)


def test_a_hold_copy_travels_maastricht_to_houten_through_two_depots(net, depots):
    bisc, limburg = depots
    record = make_record("Het diner")
    copy = make_item(record, net.c1, barcode="MAAS-1")
    patron = make_patron(net.lib_a)
    hold = place_hold(record=record, patron=patron, pickup_branch=net.a1, now=at(0))
    routed = checkin_item(item_barcode="MAAS-1", branch=net.c1, now=at(1))  # copy found
    assert routed.routing.action == "transit"
    transit = Transit.objects.get(item=copy)
    c_branch = crate("K-MAAS", limburg)
    Crate.objects.filter(pk=c_branch.pk).update(location=net.c1)  # an empty crate at C-1
    crates.pack_item(crate_barcode="K-MAAS", item_barcode="MAAS-1", at=net.c1, now=at(2))
    c_branch.refresh_from_db()
    assert c_branch.destination == limburg  # hub and spoke: to the branch's depot first
    crates.collect_crate(crate_barcode="K-MAAS", at=net.c1, now=at(3))
    crates.unload_at_depot(crate_barcode="K-MAAS", depot=limburg, now=at(5))
    crate("K-TRUNK", limburg)
    crates.pack_item(crate_barcode="K-TRUNK", item_barcode="MAAS-1", at=limburg, now=at(6))
    assert Crate.objects.get(barcode="K-TRUNK").destination == bisc  # served by BiSC
    crates.collect_crate(crate_barcode="K-TRUNK", at=limburg, now=at(7))
    crates.unload_at_depot(crate_barcode="K-TRUNK", depot=bisc, now=at(10))
    crate("K-HOUTEN", bisc)
    crates.pack_item(crate_barcode="K-HOUTEN", item_barcode="MAAS-1", at=bisc, now=at(11))
    assert Crate.objects.get(barcode="K-HOUTEN").destination == net.a1
    crates.collect_crate(crate_barcode="K-HOUTEN", at=bisc, now=at(20))
    crates.deliver_crate(crate_barcode="K-HOUTEN", at=net.a1, now=at(22))
    receipt = crates.receive_crate(crate_barcode="K-HOUTEN", at=net.a1, now=at(23))
    assert receipt.received == ["MAAS-1"] and receipt.routed == {"MAAS-1": "hold_shelf"}
    hold.refresh_from_db()
    copy.refresh_from_db()
    transit.refresh_from_db()
    assert hold.status == Hold.Status.READY
    assert copy.status == Item.Status.ON_HOLD_SHELF
    assert transit.status == "received" and transit.crate is None
    steps = [(h["kind"], h["where"]) for h in transit_history(transit)]
    assert steps == [
        ("transit.created", "C-1"),
        ("transit.packed", "C-1"),
        ("transit.dispatched", "C-1"),
        ("transit.at_depot", "LIMBURG-DOCK"),
        ("transit.packed", "LIMBURG-DOCK"),
        ("transit.dispatched", "LIMBURG-DOCK"),
        ("transit.at_depot", "BISC-DEPOT"),
        ("transit.packed", "BISC-DEPOT"),
        ("transit.dispatched", "BISC-DEPOT"),
        ("transit.delivered", "A-1"),
        ("transit.received", "A-1"),
    ]
    times = [h["at"] for h in transit_history(transit)]
    assert times == sorted(times)
    # The transit page ends where the patron's copy does: on the hold shelf in Houten.
    assert [(h["kind"], h["where"], h["at"]) for h in hold_shelf_steps(transit)] == [
        ("hold.ready", "A-1", at(23))
    ]
    assert Crate.objects.get(barcode="K-HOUTEN").status == Crate.Status.EMPTY  # reusable


def _sending(net, n, to):
    record = make_record()
    out = []
    for k in range(n):
        item = make_item(record, net.a2, barcode=f"S{to.code}{k}", status="in_transit")
        out.append(
            create_transit(item=item, from_node=net.a2, to_node=to, reason="return_home", now=at(0))
        )
    return out


def _at_depot(net, transits, crate_code="K-OUT"):
    """Items of ``transits`` unloaded at the BiSC depot."""
    crate(crate_code, net.depot)
    Crate.objects.filter(barcode=crate_code).update(location=net.a2)
    for t in transits:
        crates.pack_item(crate_barcode=crate_code, item_barcode=t.item.barcode, at=net.a2)
    crates.collect_crate(crate_barcode=crate_code, at=net.a2)
    crates.unload_at_depot(crate_barcode=crate_code, depot=net.depot)


def test_receiving_a_crate_lists_missing_and_extra_items(net):
    transits = _sending(net, 3, net.b1)
    _at_depot(net, transits)
    crate("K-B1", net.depot)
    for t in transits:
        crates.pack_item(crate_barcode="K-B1", item_barcode=t.item.barcode, at=net.depot)
    assert len(crate_manifest(Crate.objects.get(barcode="K-B1"))) == 3
    crates.collect_crate(crate_barcode="K-B1", at=net.depot)
    scanned = [transits[0].item.barcode, transits[1].item.barcode, "STRANGER"]
    receipt = crates.receive_crate(crate_barcode="K-B1", at=net.b1, scanned=scanned)
    assert sorted(receipt.received) == sorted(scanned[:2])
    assert receipt.missing == [transits[2].item.barcode] and receipt.extra == ["STRANGER"]
    transits[2].refresh_from_db()
    assert transits[2].status == "dispatched" and "missing" in transits[2].note


def test_unknown_barcodes_are_refused(net):
    crate("K-1", net.depot)
    with pytest.raises(errors.UnknownBarcode):
        crates.pack_item(crate_barcode="K-NOPE", item_barcode="X", at=net.depot)
    with pytest.raises(errors.UnknownBarcode):
        crates.pack_item(crate_barcode="K-1", item_barcode="NO-SUCH-ITEM", at=net.depot)
    with pytest.raises(errors.UnknownBarcode):
        crates.receive_crate(crate_barcode="", at=net.a1)
    item = make_item(make_record(), net.a1, barcode="FREE")
    with pytest.raises(errors.NoOpenTransit):
        crates.pack_item(crate_barcode="K-1", item_barcode=item.barcode, at=net.depot)


def test_an_item_for_another_destination_is_refused_from_the_crate(net):
    to_b1 = _sending(net, 1, net.b1)
    to_a1 = _sending(net, 1, net.a1)
    _at_depot(net, to_b1 + to_a1)
    crate("K-B1", net.depot)
    crates.pack_item(crate_barcode="K-B1", item_barcode=to_b1[0].item.barcode, at=net.depot)
    with pytest.raises(errors.WrongCrate):
        crates.pack_item(crate_barcode="K-B1", item_barcode=to_a1[0].item.barcode, at=net.depot)
    to_a1[0].refresh_from_db()
    assert to_a1[0].status == "at_depot" and to_a1[0].crate is None


def test_a_crate_at_the_wrong_branch_is_refused_and_nothing_changes(net):
    transits = _sending(net, 1, net.b1)
    _at_depot(net, transits)
    crate("K-B1", net.depot)
    crates.pack_item(crate_barcode="K-B1", item_barcode=transits[0].item.barcode, at=net.depot)
    crates.collect_crate(crate_barcode="K-B1", at=net.depot)
    with pytest.raises(errors.CrateWrongBranch):
        crates.deliver_crate(crate_barcode="K-B1", at=net.a1)
    with pytest.raises(errors.CrateWrongBranch):
        crates.receive_crate(crate_barcode="K-B1", at=net.a1)
    with pytest.raises(errors.CrateWrongBranch):
        crates.unload_at_depot(crate_barcode="K-B1", depot=net.depot)
    transits[0].refresh_from_db()
    assert transits[0].status == "dispatched"
    assert Crate.objects.get(barcode="K-B1").status == Crate.Status.ON_VAN


def test_a_crate_cannot_be_packed_or_collected_where_it_is_not(net):
    transits = _sending(net, 1, net.b1)
    crate("K-1", net.depot)  # kept at the depot, not at A-2
    with pytest.raises(errors.CrateElsewhere):
        crates.pack_item(crate_barcode="K-1", item_barcode=transits[0].item.barcode, at=net.a2)
    with pytest.raises(errors.CrateElsewhere):
        crates.collect_crate(crate_barcode="K-1", at=net.depot)  # empty: nothing to collect


def test_lost_needs_a_reason_and_ends_the_transit(net):
    transit = _sending(net, 1, net.b1)[0]
    with pytest.raises(Exception, match="lost"):
        crates.mark_lost(transit=transit, reason=" ")
    crates.mark_lost(transit=transit, reason="fell off the van")
    transit.refresh_from_db()
    assert transit.status == "lost" and transit.note == "fell off the van"
    assert not transit.is_open


def test_overdue_transits_are_listed_against_the_lead_time(net):
    old = _sending(net, 1, net.b1)
    assert list(overdue_transits(now=at(24 * 2))) == []
    assert list(overdue_transits(now=at(24 * 4))) == old
    assert list(overdue_transits(now=at(24 * 4), days=5)) == []


def test_every_transit_status_has_a_transition_row():
    assert set(Transit.TRANSITIONS) == set(Transit.Status.values)
    for status in Transit.OPEN_STATUSES:
        assert Transit.can_transition(status, Transit.Status.RECEIVED)
        assert Transit.can_transition(status, Transit.Status.LOST)
    for status in ("received", "cancelled", "lost"):
        assert Transit.TRANSITIONS[status] == set()
