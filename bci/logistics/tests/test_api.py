"""/api/v1/logistics/: scans from a handheld, crates, transits with their history."""

import pytest

from bci.circulation.tests.factories import make_item, make_record
from bci.logistics import crates
from bci.logistics.models import Crate, Transit
from bci.logistics.services import create_transit

pytestmark = pytest.mark.django_db
BASE = "/api/v1/logistics"


def post(client, data):
    return client.post(f"{BASE}/scans", data, content_type="application/json")


@pytest.fixture
def scanner(client, net, make_staff):
    client.force_login(make_staff("logistics_planner", net.bisc))
    return client


@pytest.fixture
def waiting(net):
    item = make_item(make_record(), net.a2, barcode="API-1", status="in_transit")
    crates.register_crate(barcode="K-API", home=net.depot)
    Crate.objects.filter(barcode="K-API").update(location=net.a2)
    return create_transit(item=item, from_node=net.a2, to_node=net.b1, reason="return_home")


def test_scans_move_the_crate_and_the_transit_shows_each_step(scanner, waiting):
    r = post(scanner, {"action": "pack", "crate": "K-API", "item": "API-1", "at": "A-2"})
    assert r.status_code == 200, r.json()
    assert r.json()["destination"] == "BISC-DEPOT" and r.json()["items"] == ["API-1"]
    r = post(scanner, {"action": "collect", "crate": "K-API", "at": "A-2"})
    assert r.json()["status"] == "on_van" and r.json()["location"] is None
    r = post(scanner, {"action": "unload", "crate": "K-API", "at": "BISC-DEPOT"})
    assert r.json()["status"] == "empty" and r.json()["items"] == []
    body = scanner.get(f"{BASE}/transits/{waiting.pk}").json()
    assert body["status"] == "at_depot"
    assert [s["kind"] for s in body["history"]] == [
        "transit.created",
        "transit.packed",
        "transit.dispatched",
        "transit.at_depot",
    ]
    assert scanner.get(f"{BASE}/crates/K-API").json()["location"] == "BISC-DEPOT"


def test_receive_answers_with_missing_and_extra(scanner, waiting, net):
    post(scanner, {"action": "pack", "crate": "K-API", "item": "API-1", "at": "A-2"})
    post(scanner, {"action": "collect", "crate": "K-API", "at": "A-2"})
    post(scanner, {"action": "unload", "crate": "K-API", "at": "BISC-DEPOT"})
    crates.register_crate(barcode="K-B1", home=net.depot)
    post(scanner, {"action": "pack", "crate": "K-B1", "item": "API-1", "at": "BISC-DEPOT"})
    post(scanner, {"action": "collect", "crate": "K-B1", "at": "BISC-DEPOT"})
    r = post(scanner, {"action": "receive", "crate": "K-B1", "at": "B-1", "items": ["ODD-1"]})
    assert r.status_code == 200
    assert r.json()["missing"] == ["API-1"] and r.json()["extra"] == ["ODD-1"]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (
            {"action": "pack", "crate": "K-NOPE", "item": "API-1", "at": "A-2"},
            404,
            "unknown_barcode",
        ),
        ({"action": "pack", "crate": "K-API", "item": "NOPE", "at": "A-2"}, 404, "unknown_barcode"),
        ({"action": "pack", "crate": "K-API", "at": "A-2"}, 400, "invalid_input"),
        ({"action": "deliver", "crate": "K-API", "at": "A-2"}, 400, "crate_state"),
        ({"action": "fly", "crate": "K-API", "at": "A-2"}, 422, None),
        ({"action": "pack", "crate": "K API;", "item": "API-1", "at": "A-2"}, 422, None),
        ({"action": "collect", "crate": "K-API", "at": "NOWHERE"}, 404, "not_found"),
    ],
)
def test_bad_scans_are_refused_and_change_nothing(scanner, waiting, data, status, code):
    r = post(scanner, data)
    assert r.status_code == status, r.content
    if code:
        assert r.json()["code"] == code
    waiting.refresh_from_db()
    assert waiting.status == "created" and waiting.crate is None
    assert Crate.objects.get(barcode="K-API").status == Crate.Status.EMPTY


def test_scans_need_rights_at_the_scanning_location(client, net, make_staff, waiting):
    assert post(client, {"action": "collect", "crate": "K-API", "at": "A-2"}).status_code == 401
    client.force_login(make_staff("logistics_planner", net.cubiss))
    r = post(client, {"action": "pack", "crate": "K-API", "item": "API-1", "at": "A-2"})
    assert r.status_code == 403
    assert client.get(f"{BASE}/transits/{waiting.pk}").status_code == 403
    assert client.get(f"{BASE}/crates/K-API").status_code == 403
    assert Transit.objects.get(pk=waiting.pk).status == "created"


def test_overdue_lists_only_visible_transits(scanner, waiting, net):
    Transit.objects.filter(pk=waiting.pk).update(
        created_at=waiting.created_at - __import__("datetime").timedelta(days=10)
    )
    body = scanner.get(f"{BASE}/transits/overdue").json()
    assert [t["id"] for t in body] == [waiting.pk]
