import pytest

from bci.circulation.models import Fee, Hold, Loan
from bci.circulation.services import charge_fee, checkout_item
from bci.patrons.tests.factories import card_of, make_patron

from .factories import make_item

pytestmark = pytest.mark.django_db
BASE = "/api/v1/circulation"


@pytest.fixture
def desk_a(client, world, make_staff):
    client.force_login(make_staff("desk_staff", world.net.lib_a))
    return client


def post(client, path, data):
    return client.post(BASE + path, data, content_type="application/json")


def test_requires_login(client, world):
    r = post(client, "/checkins", {"item_barcode": "ITEM-A1", "branch": "A-1"})
    assert r.status_code == 401


def test_checkout_and_checkin(desk_a, world):
    r = post(
        desk_a,
        "/checkouts",
        {"item_barcode": "ITEM-A1", "patron_barcode": world.card, "branch": "A-1"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["item_barcode"] == "ITEM-A1" and body["due_date"]
    r = post(desk_a, "/checkins", {"item_barcode": "ITEM-A1", "branch": "A-1"})
    assert r.status_code == 200
    assert r.json()["action"] == "reshelve" and r.json()["message"] == "Terugzetten"


def test_refusal_gives_code_and_dutch_message(desk_a, world):
    post(
        desk_a,
        "/checkouts",
        {"item_barcode": "ITEM-A1", "patron_barcode": world.card, "branch": "A-1"},
    )
    other = make_patron(world.net.lib_a)
    r = post(
        desk_a,
        "/checkouts",
        {"item_barcode": "ITEM-A1", "patron_barcode": card_of(other), "branch": "A-1"},
    )
    assert r.status_code == 400
    assert r.json() == {
        "code": "item_already_on_loan",
        "message": "Exemplaar ITEM-A1 is al uitgeleend.",
    }
    assert Loan.objects.count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"item_barcode": "", "patron_barcode": "x", "branch": "A-1"},
        {"item_barcode": "ITEM A1", "patron_barcode": "P1", "branch": "A-1"},
        {"item_barcode": "ITEM-A1", "patron_barcode": "P1", "branch": "x" * 100},
        {"item_barcode": ["ITEM-A1"], "patron_barcode": "P1", "branch": "A-1"},
    ],
)
def test_malformed_checkout_is_refused(desk_a, world, payload):
    r = post(desk_a, "/checkouts", payload)
    assert r.status_code in (400, 422)
    assert Loan.objects.count() == 0


def test_malformed_json_is_refused(desk_a, world):
    r = desk_a.post(BASE + "/checkouts", "{not json", content_type="application/json")
    assert r.status_code in (400, 422)


def test_unknown_branch_is_refused(desk_a, world):
    r = post(desk_a, "/checkins", {"item_barcode": "ITEM-A1", "branch": "NOPE"})
    assert r.status_code == 400 and r.json()["code"] == "not_a_lending_location"


def test_checkout_only_at_branches_in_scope(desk_a, world):
    r = post(
        desk_a,
        "/checkouts",
        {"item_barcode": "ITEM-A1", "patron_barcode": world.card, "branch": "B-1"},
    )
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_checkin_anywhere(client, world, make_staff):
    checkout_item(item_barcode="ITEM-A1", card_barcode=world.card, branch=world.net.a1)
    client.force_login(make_staff("desk_staff", world.net.lib_c))
    r = post(client, "/checkins", {"item_barcode": "ITEM-A1", "branch": "C-1"})
    assert r.status_code == 200
    assert r.json()["action"] == "transit" and r.json()["destination"] == "A-1"


def test_checkin_only_at_a_branch_where_the_staff_member_works(client, world, make_staff):
    """Return anywhere means any item at one's own desk, not acting as another library."""
    checkout_item(item_barcode="ITEM-A1", card_barcode=world.card, branch=world.net.a1)
    client.force_login(make_staff("desk_staff", world.net.lib_c))
    r = post(client, "/checkins", {"item_barcode": "ITEM-A1", "branch": "B-1"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert world.item.loans.filter(ended_at__isnull=True).exists()  # nothing happened


def test_staff_of_b_cannot_act_on_patrons_of_a(client, world, make_staff):
    client.force_login(make_staff("desk_staff", world.net.lib_b))
    r = post(
        client,
        "/holds",
        {"record_id": world.record.pk, "patron_barcode": world.card, "pickup_branch": "B-1"},
    )
    assert r.status_code == 403
    fee = charge_fee(patron=world.patron, amount="2.00")
    assert post(client, f"/fees/{fee.pk}/pay", {}).status_code == 403
    assert client.get(f"{BASE}/patrons/{world.patron.pk}/account").status_code == 404
    assert Hold.objects.count() == 0


def test_hold_renew_pay_and_account(desk_a, world):
    net = world.net
    make_item(world.record, net.c1)
    r = post(
        desk_a,
        "/holds",
        {"record_id": world.record.pk, "patron_barcode": world.card, "pickup_branch": "A-2"},
    )
    assert r.status_code == 201, r.content
    hold = r.json()
    assert hold["copy_barcode"] == "ITEM-A1" and hold["queue_position"] == 1
    assert hold["copy_reason"].startswith("beschikbaar in A Centrum")
    assert desk_a.get(f"{BASE}/branches/A-1/pick-list").json()[0]["hold_id"] == hold["id"]
    r = post(desk_a, f"/holds/{hold['id']}/cancel", {"reason": "niet meer nodig"})
    assert r.json()["status"] == "cancelled"

    loan = checkout_item(
        item_barcode="ITEM-A1", card_barcode=world.card, branch=net.a1
    )  # the API acts on the real clock
    r = post(desk_a, f"/loans/{loan.pk}/renew", {})
    assert r.status_code == 200 and r.json()["renewals"] == 1
    assert post(desk_a, "/loans/99999/renew", {}).status_code == 404

    fee = charge_fee(patron=world.patron, amount="3.00")
    r = post(desk_a, f"/fees/{fee.pk}/pay", {"amount": "1.00"})
    assert r.status_code == 200 and r.json()["outstanding"] == "2.00"
    r = post(desk_a, f"/fees/{fee.pk}/pay", {"amount": "5.00"})
    assert r.status_code == 400 and r.json()["code"] == "overpayment"
    r = post(desk_a, f"/fees/{fee.pk}/waive", {"reason": ""})
    assert r.status_code in (400, 422)
    r = post(desk_a, f"/fees/{fee.pk}/waive", {"reason": "coulance"})
    assert r.json()["settled_at"] is not None
    assert Fee.objects.get().waived == 2

    account = desk_a.get(f"{BASE}/patrons/{world.patron.pk}/account").json()
    assert [x["item_barcode"] for x in account["loans"]] == ["ITEM-A1"]
    assert account["owed"] == "0.00" and account["blocks"] == []


def test_patron_api_is_scoped(client, world, make_staff):
    client.force_login(make_staff("desk_staff", world.net.lib_a))
    r = client.get(f"/api/v1/patrons/cards/{world.card}")
    assert r.status_code == 200 and r.json()["last_name"] == "Jansen"
    r = client.get("/api/v1/patrons/patrons", {"q": "Jansen"})
    assert [p["id"] for p in r.json()] == [world.patron.pk]
    client.force_login(make_staff("desk_staff", world.net.lib_b))
    assert client.get(f"/api/v1/patrons/cards/{world.card}").status_code == 404
    assert client.get("/api/v1/patrons/patrons", {"q": "Jansen"}).json() == []
    assert client.get(f"/api/v1/patrons/patrons/{world.patron.pk}").status_code == 404
    assert client.get("/api/v1/patrons/patrons", {"q": ""}).status_code in (400, 422)


def test_hot_endpoints_have_a_query_budget(desk_a, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(40):
        post(
            desk_a,
            "/checkouts",
            {"item_barcode": "ITEM-A1", "patron_barcode": world.card, "branch": "A-1"},
        )
    with django_assert_max_num_queries(30):
        post(desk_a, "/checkins", {"item_barcode": "ITEM-A1", "branch": "A-1"})


def test_bearer_tokens_staff_and_application(client, world, make_staff):
    from bci.accounts.tokens import create_token

    staff = make_staff("desk_staff", world.net.lib_a)
    _token, raw = create_token(kind="staff", name="desk app", user=staff)
    r = client.post(
        BASE + "/checkouts",
        {"item_barcode": "ITEM-A1", "patron_barcode": world.card, "branch": "A-1"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert r.status_code == 201, r.content
    _token, app = create_token(
        kind="application", name="kiosk", node=world.net.lib_b, permissions=["circulation"]
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {app}"}
    r = client.post(
        BASE + "/checkins",
        {"item_barcode": "ITEM-A1", "branch": "B-1"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200 and r.json()["action"] == "transit"
    # library B's application cannot act on library A's patron
    r = client.post(
        BASE + "/holds",
        {"record_id": world.record.pk, "patron_barcode": world.card, "pickup_branch": "B-1"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 403
    r = client.post(
        BASE + "/checkins",
        {"item_barcode": "ITEM-A1", "branch": "B-1"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer bci_nope_x",
    )
    assert r.status_code == 401
