"""National IBL: envelopes with an outbound and a return barcode through the night hub;
every wrong scan refused with a clear message and nothing changed."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from barcode.charsets.code128 import CODES, START_CODES, STOP

from bci.catalogue.models import Item
from bci.circulation.models import Hold
from bci.circulation.services import checkout_item, place_hold
from bci.circulation.tests.factories import make_item, make_record
from bci.core.errors import DomainError
from bci.core.models import Event
from bci.logistics.models import NationalShipment, Transit
from bci.logistics.national import barcodes, common, queries, services
from bci.organisations.models import NodeSetting
from bci.organisations.tests.factories import NodeFactory
from bci.patrons.tests.factories import make_patron

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 12, 2, 11, 0, tzinfo=AMS)
S = NationalShipment.Status
PARTNER = "NL-0800130000"


def at(hours):
    return NOW + dt.timedelta(hours=hours)


@pytest.fixture
def hub(net):
    return NodeFactory(
        kind="hub",
        code="IBL-HUB",
        name="IBL night hub",
        parent=net.net,
        latitude=52.03,
        longitude=5.09,
    )


@pytest.fixture
def copy(net, hub):
    return make_item(make_record("De avond is ongemak"), net.a1, barcode="NAT-1")


def send(net, barcode="NAT-1", **kw):
    args = {
        "item_barcode": barcode,
        "partner_isil": PARTNER,
        "partner_name": "Bibliotheek Groningen",
        "at": net.a1,
        "reference": "IBL-2026-77",
        "now": at(0),
    }
    args.update(kw)
    return services.send_national(**args)


def snapshot():
    """Everything a refused call must leave as it was."""
    return (
        list(NationalShipment.objects.values_list("pk", "status", "returned_at", "arrived_at")),
        list(Transit.objects.values_list("pk", "status")),
        list(Item.objects.values_list("pk", "status", "current_location")),
        Event.objects.count(),
    )


# --- barcodes -----------------------------------------------------------------------------


def test_barcodes_share_the_number_and_carry_a_check_character():
    outbound, back = barcodes.barcodes_for(42)
    assert outbound.startswith("IBLO00000042") and back.startswith("IBLR00000042")
    assert len(outbound) == len(back) == 13
    assert barcodes.parse(outbound) == ("O", 42)
    assert barcodes.parse(back.lower()) == ("R", 42)
    for i in range(4, 12):  # any single changed character is caught
        wrong = outbound[:i] + ("7" if outbound[i] != "7" else "8") + outbound[i + 1 :]
        assert barcodes.parse(wrong) is None
    swapped = outbound[:10] + outbound[11] + outbound[10] + outbound[12:]  # "42" -> "24"
    assert swapped != outbound and barcodes.parse(swapped) is None
    assert barcodes.parse("IBLX000000421") is None and barcodes.parse("") is None


def decode_code128(svg):
    """Read the bars back from the SVG and decode them as a scanner would: start code,
    symbols, checksum, stop pattern. Returns the text."""
    rects = [(int(x), int(w)) for x, w in re.findall(r'<rect x="(\d+)" width="(\d+)"', str(svg))]
    first = rects[0][0]
    end = rects[-1][0] + rects[-1][1]
    bits = ["0"] * (end - first)
    for x, w in rects:
        bits[x - first : x - first + w] = "1" * w
    bits = "".join(bits)
    assert bits.endswith(STOP + "11"), "stop pattern"
    body = bits[: -len(STOP) - 2]
    assert len(body) % 11 == 0
    values = [CODES.index(body[i : i + 11]) for i in range(0, len(body), 11)]
    start, data, check = values[0], values[1:-1], values[-1]
    assert start in START_CODES.values()
    assert check == (start + sum(i * v for i, v in enumerate(data, 1))) % 103, "checksum"
    text, codeset = "", {103: "A", 104: "B", 105: "C"}[start]
    for v in data:
        if v == 99:
            codeset = "C"
        elif v == 100:
            codeset = "B"
        elif v == 101:
            codeset = "A"
        elif codeset == "C":
            text += f"{v:02d}"
        else:
            text += chr(v + 32) if codeset == "B" or v < 64 else chr(v - 64)
    return text


def test_the_code128_picture_decodes_to_the_barcode():
    outbound, back = barcodes.barcodes_for(1234)
    for code in (outbound, back, "IBLO987654321Z"):
        svg = barcodes.code128_svg(code)
        assert decode_code128(svg) == code
        assert f'data-barcode="{code}"' in svg
    # the start code of the spec: Start B is 11010010000
    assert barcodes.modules("IBL").startswith("11010010000")


# --- outbound -----------------------------------------------------------------------------


def test_send_puts_the_item_in_transit_to_the_hub_with_two_barcodes(net, hub, copy):
    shipment = send(net)
    copy.refresh_from_db()
    assert shipment.status == S.SENT and shipment.direction == "out"
    assert barcodes.parse(shipment.outbound_barcode) == ("O", shipment.pk)
    assert barcodes.parse(shipment.return_barcode) == ("R", shipment.pk)
    assert shipment.partner_isil == PARTNER and shipment.title == "De avond is ongemak"
    assert shipment.cost == Decimal("2.70") and shipment.sent_at == at(0)
    transit = shipment.transit
    assert (transit.from_node, transit.to_node) == (net.a1, hub)
    assert transit.reason == Transit.Reason.IBL_OUT and transit.funding == Transit.Funding.IBL
    assert copy.status == Item.Status.IN_TRANSIT and copy.current_location == net.a1
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert {"national.sent", "transit.created", "item.status_changed"} <= kinds


def test_the_cost_follows_the_nearest_setting(net, hub, copy):
    NodeSetting.objects.create(node=net.bisc, key="national_ibl_cost", value="3.15")
    assert send(net).cost == Decimal("3.15")


def test_the_round_trip_through_the_hub_brings_the_item_home(net, hub, copy):
    shipment = send(net)
    services.national_at_hub(outbound_barcode=shipment.outbound_barcode, at=hub, now=at(20))
    shipment.transit.refresh_from_db()
    assert shipment.transit.status == Transit.Status.RECEIVED
    back = services.receive_national_return(
        return_barcode=shipment.return_barcode, at=hub, now=at(24 * 14)
    )
    shipment.refresh_from_db()
    copy.refresh_from_db()
    assert shipment.status == S.RETURNED and shipment.returned_at == at(24 * 14)
    assert back.action == "transit" and back.destination == net.a1
    assert (back.transit.from_node, back.transit.to_node) == (hub, net.a1)
    assert back.transit.reason == Transit.Reason.IBL_IN
    assert copy.status == Item.Status.IN_TRANSIT and copy.current_location == hub


def test_a_return_at_the_library_is_a_check_in_that_fills_a_waiting_hold(net, hub, copy):
    shipment = send(net)
    patron = make_patron(net.lib_a)
    hold = place_hold(record=copy.record, patron=patron, pickup_branch=net.a2, now=at(1))
    back = services.receive_national_return(
        return_barcode=shipment.return_barcode, at=net.a1, now=at(48)
    )
    hold.refresh_from_db()
    shipment.refresh_from_db()
    shipment.transit.refresh_from_db()
    assert shipment.status == S.RETURNED
    assert shipment.transit.status == Transit.Status.CANCELLED  # never scanned at the hub
    assert back.action == "transit" and back.destination == net.a2
    assert hold.status == Hold.Status.IN_TRANSIT and hold.copy == copy


def test_a_return_at_its_home_branch_reshelves(net, hub, copy):
    shipment = send(net)
    back = services.receive_national_return(
        return_barcode=shipment.return_barcode.lower(), at=net.a1, now=at(48)
    )
    copy.refresh_from_db()
    assert back.action == "reshelve" and copy.status == Item.Status.AVAILABLE


def test_sending_a_copy_promised_to_a_hold_gives_the_hold_another_copy(net, hub):
    record = make_record()
    make_item(record, net.a1, barcode="NAT-1")
    make_item(record, net.b1, barcode="NAT-2")
    hold = place_hold(record=record, patron=make_patron(net.lib_a), pickup_branch=net.a2)
    hold.refresh_from_db()
    promised = hold.copy
    send(net, barcode=promised.barcode, at=promised.home_branch)
    hold.refresh_from_db()
    assert hold.status == Hold.Status.WAITING
    assert hold.copy is not None and hold.copy != promised


def refused(code, call, *args, **kwargs):
    before = snapshot()
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, str(info.value)
    assert str(info.value)  # a message people can read
    assert snapshot() == before
    return str(info.value)


def test_sending_refuses_bad_input_and_changes_nothing(net, hub, copy):
    assert "NOPE-1" in refused("item_not_found", send, net, barcode="NOPE-1")
    assert refused("item_not_found", send, net, barcode="  ")
    assert "NL-0800010000" in refused("invalid_isil", send, net, partner_isil="NL0800010000")
    refused("invalid_isil", send, net, partner_isil="DE-1a")  # national IBL is Dutch
    refused("invalid_isil", send, net, partner_isil="")
    refused("invalid_national_input", send, net, reference="x" * 65)
    NodeFactory(kind="branch", code="NL-0800990000", name="A Zuid", parent=net.lib_a)
    assert "A Zuid" in refused("partner_in_network", send, net, partner_isil=" nl-0800990000")
    refused("item_elsewhere", send, net, at=net.a2)
    refused("not_a_national_location", send, net, at=hub)
    patron = make_patron(net.lib_a)
    from bci.patrons.models import Card

    card = Card.objects.filter(patron=patron).first()
    checkout_item(item_barcode="NAT-1", card_barcode=card.barcode, branch=net.a1, now=at(0))
    assert "neem het eerst in" in refused("item_on_loan", send, net)


def test_an_item_cannot_be_sent_twice(net, hub, copy):
    shipment = send(net)
    message = refused("already_in_shipment", send, net)
    assert shipment.outbound_barcode in message
    # even when a desk check-in made it available meanwhile
    Item.objects.filter(pk=copy.pk).update(status="available")
    refused("already_in_shipment", send, net)


def test_a_missing_copy_cannot_be_sent(net, hub):
    make_item(make_record(), net.a1, barcode="NAT-GONE", status="missing")
    refused("item_not_sendable", send, net, barcode="NAT-GONE")


def test_return_scans_refuse_bad_barcodes_and_places(net, hub, copy):
    shipment = send(net)
    receive = services.receive_national_return
    refused("not_a_national_barcode", receive, return_barcode="NAT-1", at=hub)
    refused(
        "not_a_national_barcode",
        receive,
        return_barcode=shipment.return_barcode[:-1] + "0"
        if not shipment.return_barcode.endswith("0")
        else shipment.return_barcode[:-1] + "1",
        at=hub,
    )
    other = barcodes.make_barcode("R", shipment.pk + 100)
    assert other in refused("unknown_national_barcode", receive, return_barcode=other, at=hub)
    assert shipment.outbound_barcode in refused(
        "wrong_leg", receive, return_barcode=shipment.outbound_barcode, at=hub
    )
    refused("wrong_national_location", receive, return_barcode=shipment.return_barcode, at=net.b1)
    refused(
        "wrong_national_location", receive, return_barcode=shipment.return_barcode, at=net.depot
    )
    other_hub = NodeFactory(kind="hub", code="HUB-2", parent=net.net)
    refused(
        "wrong_national_location", receive, return_barcode=shipment.return_barcode, at=other_hub
    )
    receive(return_barcode=shipment.return_barcode, at=hub, now=at(30))
    message = refused("shipment_state", receive, return_barcode=shipment.return_barcode, at=hub)
    assert str(S.RETURNED.label) in message


def test_hub_scans_refuse_the_wrong_place_and_a_second_scan(net, hub, copy):
    shipment = send(net)
    scan = services.national_at_hub
    refused("wrong_national_location", scan, outbound_barcode=shipment.outbound_barcode, at=net.a1)
    refused("wrong_leg", scan, outbound_barcode=shipment.return_barcode, at=hub)
    scan(outbound_barcode=shipment.outbound_barcode, at=hub, now=at(20))
    refused("shipment_state", scan, outbound_barcode=shipment.outbound_barcode, at=hub)


def test_cancel_before_it_leaves_makes_the_item_available_again(net, hub, copy):
    shipment = send(net)
    refused(
        "invalid_national_input",
        services.cancel_national,
        barcode=shipment.outbound_barcode,
        reason=" ",
    )
    services.cancel_national(barcode=shipment.return_barcode, reason="wrong copy", now=at(1))
    copy.refresh_from_db()
    shipment.refresh_from_db()
    assert shipment.status == S.CANCELLED and copy.status == Item.Status.AVAILABLE
    assert not shipment.transit.is_open or shipment.transit.status == "created"
    assert Transit.objects.get(pk=shipment.transit_id).status == Transit.Status.CANCELLED
    again = send(net, now=at(2))  # it may go now
    services.national_at_hub(outbound_barcode=again.outbound_barcode, at=hub, now=at(20))
    refused(
        "shipment_state",
        services.cancel_national,
        barcode=again.outbound_barcode,
        reason="too late",
    )


# --- inbound ------------------------------------------------------------------------------


def request(net, **kw):
    args = {
        "title": "Het Achterhuis",
        "partner_isil": PARTNER,
        "partner_name": "Bibliotheek Groningen",
        "pickup_location": net.a2,
        "reference": "IBL-IN-1",
        "now": at(0),
    }
    args.update(kw)
    return services.request_national(**args)


def test_an_inbound_request_arrives_and_goes_back(net, hub):
    shipment = request(net)
    assert shipment.direction == "in" and shipment.status == S.REQUESTED
    assert shipment.item is None and shipment.transit is None
    services.national_arrived(outbound_barcode=shipment.outbound_barcode, at=net.a2, now=at(30))
    services.national_return_sent(return_barcode=shipment.return_barcode, at=net.a2, now=at(400))
    shipment.refresh_from_db()
    assert shipment.status == S.RETURN_SENT
    assert (shipment.arrived_at, shipment.returned_at) == (at(30), at(400))
    assert queries.open_shipments().count() == 0


def test_inbound_refusals_change_nothing(net, hub):
    refused("invalid_national_input", request, net, title=" ")
    refused("invalid_isil", request, net, partner_isil="NL-")
    refused("not_a_national_location", request, net, pickup_location=net.depot)
    shipment = request(net)
    arrived = services.national_arrived
    refused(
        "wrong_national_location", arrived, outbound_barcode=shipment.outbound_barcode, at=net.a1
    )
    refused(
        "shipment_state", services.national_return_sent, return_barcode=shipment.return_barcode
    )  # not arrived yet
    arrived(outbound_barcode=shipment.outbound_barcode, at=net.a2, now=at(30))
    refused("shipment_state", arrived, outbound_barcode=shipment.outbound_barcode, at=net.a2)
    refused(
        "shipment_state",
        services.receive_national_return,
        return_barcode=shipment.return_barcode,
        at=hub,
    )
    services.national_return_sent(return_barcode=shipment.return_barcode, now=at(40))
    refused("shipment_state", services.national_return_sent, return_barcode=shipment.return_barcode)


def test_scan_does_what_the_barcode_means(net, hub, copy):
    out = send(net)
    inbound = request(net)
    services.scan_national(barcode=out.outbound_barcode, at=hub, now=at(20))
    services.scan_national(barcode=inbound.outbound_barcode, at=net.a2, now=at(21))
    services.scan_national(barcode=inbound.return_barcode, at=net.a2, now=at(22))
    services.scan_national(barcode=out.return_barcode, at=hub, now=at(23))
    statuses = dict(NationalShipment.objects.values_list("direction", "status"))
    assert statuses == {"out": S.RETURNED, "in": S.RETURN_SENT}


@pytest.mark.parametrize("direction", ["out", "in"])
def test_the_transition_table_is_closed(direction):
    table = common.TRANSITIONS[direction]
    for old, targets in table.items():
        assert targets <= set(table), f"{old} leads outside the table"
        for new in S.values:
            assert common.can_transition(direction, old, new) == (new in targets)
    assert not common.can_transition(direction, S.CANCELLED, S.SENT)


# --- costs --------------------------------------------------------------------------------


def test_national_costs_per_organisation(net, hub, copy):
    NodeSetting.objects.create(node=net.lib_b, key="national_ibl_cost", value=3)
    send(net)
    request(net)
    request(net, pickup_location=net.b1)
    request(net, pickup_location=net.c1, now=at(24 * 40))  # another month, other POI
    cancelled = request(net, pickup_location=net.b1)
    services.cancel_national(barcode=cancelled.outbound_barcode, reason="not needed")
    rows = queries.national_costs(net.bisc, NOW.date(), NOW.date())
    assert [(r["code"], r["out"], r["in"], r["cost"]) for r in rows] == [
        ("LIB-A", 1, 1, Decimal("5.40")),
        ("LIB-B", 0, 1, Decimal("3.00")),
    ]
    assert queries.national_costs([net.lib_c], NOW.date(), NOW.date()) == []
    rows = queries.national_costs(net.net, NOW.date(), NOW.date() + dt.timedelta(days=60))
    assert [r["shipments"] for r in rows] == [2, 1, 1]


# --- pages --------------------------------------------------------------------------------

PAGES = "/logistics/national-ibl"


@pytest.fixture
def desk(client, net, make_staff):
    client.force_login(make_staff("desk_staff", net.a1))
    return client


def test_the_slip_shows_both_barcodes_as_code128(desk, net, hub, copy):
    shipment = send(net)
    r = desk.get(f"{PAGES}/{shipment.outbound_barcode}/")
    assert r.status_code == 200
    html = r.content.decode()
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert [decode_code128(svg) for svg in svgs] == [
        shipment.outbound_barcode,
        shipment.return_barcode,
    ]
    assert PARTNER in html and "NAT-1" in html and "IBL-2026-77" in html
    # the return barcode finds the same slip
    assert desk.get(f"{PAGES}/{shipment.return_barcode}/").status_code == 200
    assert desk.get(f"{PAGES}/IBLO999999990/").status_code == 404


def test_desk_staff_send_from_the_page_and_land_on_the_slip(desk, net, hub, copy):
    data = {"item": "NAT-1", "partner_isil": PARTNER, "partner_name": "", "at": "A-1"}
    r = desk.post(f"{PAGES}/send/", data)
    shipment = NationalShipment.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/{shipment.outbound_barcode}/")
    page = desk.get(f"{PAGES}/").content.decode()
    assert shipment.outbound_barcode in page
    r = desk.post(f"{PAGES}/send/", data)  # again: refused on the page, nothing changes
    assert r.status_code == 400 and 'data-code="already_in_shipment"' in r.content.decode()
    assert NationalShipment.objects.count() == 1


def test_the_page_refuses_a_location_outside_the_scope(desk, net, hub):
    make_item(make_record(), net.b1, barcode="NAT-B")
    data = {"item": "NAT-B", "partner_isil": PARTNER, "at": "B-1"}
    r = desk.post(f"{PAGES}/send/", data)
    assert r.status_code == 400  # B-1 is not among the desk's locations
    assert not NationalShipment.objects.exists()


def test_scan_and_cancel_from_the_page(desk, net, hub):
    shipment = request(net, pickup_location=net.a1)
    r = desk.post(f"{PAGES}/scan/", {"barcode": shipment.outbound_barcode, "at": "A-1"})
    assert r.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == S.ARRIVED
    r = desk.post(f"{PAGES}/scan/", {"barcode": "IBLO000000000", "at": "A-1"})
    assert r.status_code == 400 and "not_a_national_barcode" in r.content.decode()
    other = request(net, pickup_location=net.a1)
    r = desk.post(f"{PAGES}/{other.outbound_barcode}/cancel/", {"reason": "dubbel"})
    assert r.status_code == 302
    other.refresh_from_db()
    assert other.status == S.CANCELLED


def test_pages_are_scoped_by_the_shipments_location(client, net, hub, copy, make_staff):
    shipment = send(net)
    client.force_login(make_staff("desk_staff", net.b1))
    assert client.get(f"{PAGES}/{shipment.outbound_barcode}/").status_code == 403
    assert shipment.outbound_barcode not in client.get(f"{PAGES}/").content.decode()
    r = client.post(f"{PAGES}/scan/", {"barcode": shipment.return_barcode, "at": "B-1"})
    assert r.status_code == 403
    client.force_login(make_staff("read_only", net.net))  # no logistics role at all
    assert client.get(f"{PAGES}/").status_code == 403
    client.force_login(make_staff("poi_staff", net.bisc))  # sees, may not scan
    page = client.get(f"{PAGES}/?at=A-1").content.decode()
    assert shipment.outbound_barcode in page and "/send/" not in page


def test_the_list_stays_within_a_query_budget(desk, net, hub, django_assert_max_num_queries):
    for n in range(15):
        request(net, pickup_location=net.a1, title=f"Titel {n}")
    with django_assert_max_num_queries(12):
        r = desk.get(f"{PAGES}/")
    assert r.content.decode().count("IBLO") >= 15


# --- API ----------------------------------------------------------------------------------

API = "/api/v1/logistics/national-ibl"


def post(client, path, data):
    return client.post(f"{API}{path}", data, content_type="application/json")


@pytest.fixture
def planner(client, net, make_staff):
    client.force_login(make_staff("network_admin", net.net))
    return client


def test_api_round_trip(planner, net, hub, copy):
    body = {"item": "NAT-1", "partner_isil": PARTNER, "at": "A-1", "reference": "R-9"}
    r = post(planner, "/send", body)
    assert r.status_code == 201, r.json()
    out = r.json()
    assert out["status"] == "sent" and out["item"] == "NAT-1" and out["cost"] == "2.70"
    assert planner.get(out["slip"]).status_code == 200
    r = post(planner, "/scans", {"barcode": out["outbound_barcode"], "at": "IBL-HUB"})
    assert r.status_code == 200 and r.json()["status"] == "sent"
    listed = planner.get(f"{API}/shipments?at=A-1").json()
    assert [s["outbound_barcode"] for s in listed] == [out["outbound_barcode"]]
    r = post(planner, "/scans", {"barcode": out["return_barcode"], "at": "IBL-HUB"})
    assert r.json()["status"] == "returned"
    assert planner.get(f"{API}/shipments/{out['return_barcode']}").json()["id"] == out["id"]
    assert planner.get(f"{API}/shipments").json() == []
    r = post(planner, "/request", {"title": "X", "partner_isil": PARTNER, "pickup": "A-2"})
    assert r.status_code == 201 and r.json()["direction"] == "in"
    today = timezone_today()
    r = planner.get(f"{API}/costs", {"node": "BISC", "first": today, "last": today})
    assert r.status_code == 200
    assert r.json() == [
        {
            "code": "LIB-A",
            "name": "Bibliotheek A",
            "outbound": 1,
            "inbound": 1,
            "shipments": 2,
            "cost": "5.40",
        }
    ]


def timezone_today():
    from django.utils import timezone

    return timezone.localdate().isoformat()


@pytest.mark.parametrize(
    ("path", "data", "status", "code"),
    [
        ("/send", {"item": "NOPE", "partner_isil": PARTNER, "at": "A-1"}, 404, "item_not_found"),
        ("/send", {"item": "NAT-1", "partner_isil": "0800", "at": "A-1"}, 400, "invalid_isil"),
        ("/send", {"item": "NAT-1", "partner_isil": PARTNER, "at": "A-2"}, 400, "item_elsewhere"),
        ("/send", {"item": "NAT-1", "partner_isil": PARTNER, "at": "NOWHERE"}, 404, "not_found"),
        ("/send", {"item": "", "partner_isil": PARTNER, "at": "A-1"}, 422, None),
        ("/request", {"title": "X", "partner_isil": "NL-", "pickup": "A-1"}, 400, "invalid_isil"),
        ("/scans", {"barcode": "IBLR000000011", "at": "A-1"}, 400, "not_a_national_barcode"),
        ("/scans", {"barcode": "NAT-1", "at": "IBL-HUB"}, 400, "not_a_national_barcode"),
    ],
)
def test_api_refuses_bad_input(planner, net, hub, copy, path, data, status, code):
    before = snapshot()
    r = post(planner, path, data)
    assert r.status_code == status, r.content
    if code:
        assert r.json()["code"] == code and r.json()["message"]
    assert snapshot() == before


def test_api_permissions(client, net, hub, copy, make_staff):
    shipment = send(net)
    client.force_login(make_staff("desk_staff", net.b1))
    assert client.get(f"{API}/shipments/{shipment.outbound_barcode}").status_code == 403
    r = post(client, "/scans", {"barcode": shipment.return_barcode, "at": "B-1"})
    assert r.status_code == 403
    r = post(client, "/send", {"item": "NAT-1", "partner_isil": PARTNER, "at": "A-1"})
    assert r.status_code == 403
    assert client.get(f"{API}/shipments").json() == []
    client.force_login(make_staff("poi_staff", net.bisc))  # logistics.view, no scan
    assert client.get(f"{API}/shipments/{shipment.outbound_barcode}").status_code == 200
    r = post(client, "/scans", {"barcode": shipment.return_barcode, "at": "IBL-HUB"})
    assert r.status_code == 403
    client.logout()
    assert client.get(f"{API}/shipments").status_code == 401
    shipment.refresh_from_db()
    assert shipment.status == S.SENT


def test_admin_shows_shipments_read_only(client, net, hub, copy, make_staff):
    shipment = send(net)
    admin = make_staff(username="boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    r = client.get("/admin/logistics/nationalshipment/")
    assert r.status_code == 200 and shipment.outbound_barcode in r.content.decode()
    assert client.get("/admin/logistics/nationalshipment/add/").status_code == 403


# --- races (PostgreSQL) -------------------------------------------------------------------


def _race(calls):
    import threading

    from django.db import connection

    barrier, results = threading.Barrier(len(calls)), {}

    def run(name, fn):
        try:
            barrier.wait()
            results[name] = ("ok", fn())
        except DomainError as exc:
            results[name] = ("refused", exc.code)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[name] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, fn)) for n, fn in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_desks_sending_one_item_at_once_make_one_shipment(round_):
    from bci.organisations.tests.factories import small_network

    net = small_network()
    NodeFactory(kind="hub", code="IBL-HUB", parent=net.net)
    make_item(make_record(), net.a1, barcode="NAT-RACE")
    results = _race(
        {
            name: (lambda name=name: send(net, barcode="NAT-RACE", reference=name).pk)
            for name in ("one", "two")
        }
    )
    outcomes = sorted(r[0] for r in results.values())
    assert outcomes == ["ok", "refused"], results
    assert {r[1] for r in results.values() if r[0] == "refused"} == {"already_in_shipment"}
    assert NationalShipment.objects.count() == 1
    assert Transit.objects.filter(reason="ibl_out").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_return_scanned_twice_at_once_closes_the_shipment_once():
    from bci.organisations.tests.factories import small_network

    net = small_network()
    hub = NodeFactory(kind="hub", code="IBL-HUB", parent=net.net)
    make_item(make_record(), net.a1, barcode="NAT-1")
    shipment = send(net)
    back = shipment.return_barcode
    results = _race(
        {
            name: (lambda: services.receive_national_return(return_barcode=back, at=hub).action)
            for name in ("one", "two")
        }
    )
    assert sorted(r[0] for r in results.values()) == ["ok", "refused"], results
    assert Transit.objects.filter(reason="ibl_in").count() == 1
    assert Event.objects.filter(kind="national.returned").count() == 1
