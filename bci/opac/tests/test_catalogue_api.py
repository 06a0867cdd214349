"""The public catalogue API against the real search index."""

import datetime as dt

import pytest

from bci.opac.tests.builders import index_all, make_item, make_record, small_catalogue

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalogue"


@pytest.fixture
def cat(net):
    return small_catalogue(net)


def test_search_returns_fields_availability_and_facets(cat, client):
    response = client.get(f"{BASE}/records", {"q": "janneke"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1 and body["page"] == 1 and body["query"] == "janneke"
    (hit,) = body["results"]
    assert hit["id"] == cat.jip.pk
    assert hit["title"] == "Jip en Janneke" and hit["year"] == 1977
    assert hit["authors"] == ["Annie M.G. Schmidt"]
    assert hit["url"] == f"/records/{cat.jip.pk}/jip-en-janneke/"
    assert {"scheme": "isbn", "value": cat.isbn} in hit["identifiers"]
    assert hit["availability"] == {
        "total": 5,
        "available": 3,
        "available_at": [{"code": "A-1", "name": "A Centrum"}, {"code": "A-2", "name": "A Noord"}],
    }
    facets = body["facets"]
    assert [(f["value"], f["count"]) for f in facets["material_type"]] == [("picture_book", 1)]
    assert facets["language"] == [{"value": "dut", "label": "Nederlands", "count": 1}]
    assert {"value": "LIB-A", "label": "Bibliotheek A", "count": 1} in facets["library"]
    assert {f["value"] for f in facets["available_at"]} == {"A-1", "A-2"}


def test_search_facet_filters_refine_and_combine(cat, client):
    body = client.get(f"{BASE}/records", {"q": "schmidt"}).json()
    assert body["total"] == 2
    body = client.get(f"{BASE}/records?q=schmidt&material_type=picture_book").json()
    assert [r["id"] for r in body["results"]] == [cat.jip.pk]
    body = client.get(f"{BASE}/records?language=eng&language=dut&audience=adult").json()
    assert {r["id"] for r in body["results"]} == {cat.avonden.pk, cat.hobbit.pk}
    body = client.get(f"{BASE}/records?available_at=C-1").json()
    assert [r["id"] for r in body["results"]] == [cat.hobbit.pk]
    body = client.get(f"{BASE}/records?year=1940-1949").json()
    assert [r["id"] for r in body["results"]] == [cat.avonden.pk]


def test_search_pages_and_sorts(net, client):
    for n in range(7):
        make_item(make_record(f"Reeks deel {n}", year=2000 + n), net.a1)
    index_all()
    body = client.get(f"{BASE}/records?q=reeks&per_page=3&page=3&sort=-year").json()
    assert body["total"] == 7 and body["per_page"] == 3 and body["page"] == 3
    assert [r["year"] for r in body["results"]] == [2000]
    body = client.get(f"{BASE}/records?q=reeks&per_page=3&sort=title").json()
    assert [r["title"] for r in body["results"]] == ["Reeks deel 0", "Reeks deel 1", "Reeks deel 2"]
    body = client.get(f"{BASE}/records?q=reeks&page=50").json()
    assert body["total"] == 7 and body["results"] == []


@pytest.mark.parametrize(
    "query, field",
    [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("page=0", "page"),
        ("page=501", "page"),
        ("page=abc", "page"),
        ("sort=random", "sort"),
        ("q=" + "x" * 501, "q"),
        ("year=" + "9" * 201, "year"),
        ("&".join(["library=L"] * 21), "library"),
        ("page=200&per_page=100", "query"),
    ],
)
def test_invalid_search_parameters_answer_422_naming_the_field(cat, client, query, field):
    response = client.get(f"{BASE}/records?{query}")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(field in err["loc"] for err in detail)
    assert all(err["msg"] for err in detail)


def test_odd_queries_still_answer(cat, client):
    for q in ['"unbalanced', "AND OR NOT", "((((", "title:", "-", "*", "jip\x00", "ö" * 400]:
        response = client.get(f"{BASE}/records", {"q": q})
        assert response.status_code == 200, q
        assert response.json()["total"] >= 0


def test_unknown_facet_values_find_nothing(cat, client):
    body = client.get(f"{BASE}/records?material_type=nonsense&library=NOPE").json()
    assert body["total"] == 0 and body["results"] == []


def test_search_query_budget(cat, net, client, django_assert_max_num_queries):
    for n in range(15):
        record = make_record(f"Budget {n}")
        make_item(record, net.a1)
        make_item(record, net.c1, status="on_loan")
    index_all()
    with django_assert_max_num_queries(4):
        body = client.get(f"{BASE}/records?q=schmidt&per_page=50").json()
    assert body["total"] == 17


def test_record_detail_has_fields_marc_and_items(cat, client):
    from bci.circulation.models import Loan

    on_loan = cat.jip.items.get(status="on_loan")
    Loan.objects.create(item=on_loan, branch=on_loan.home_branch, due_date=dt.date(2026, 12, 24))
    response = client.get(f"{BASE}/records/{cat.jip.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Jip en Janneke" and body["publisher"] == "Querido"
    assert body["subjects"] == ["Kinderboeken", "Vriendschap"]
    assert body["marc"]["leader"].startswith("00000nam")
    assert {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "Jip en Janneke"}]}} in body[
        "marc"
    ]["fields"]
    assert body["availability"]["available"] == 3
    items = {i["barcode"]: i for i in body["items"]}
    assert len(items) == 5  # the withdrawn copy is not shown
    loan = items[on_loan.barcode]
    assert loan["status"] == "on_loan" and loan["due_date"] == "2026-12-24"
    assert loan["home_branch"] == {"code": "A-2", "name": "A Noord"}
    assert loan["library"] == {"code": "LIB-A", "name": "Bibliotheek A"}
    assert "price" not in loan and "patron" not in loan


def test_record_detail_query_budget(cat, net, client, django_assert_max_num_queries):
    for branch in (net.a1, net.b1, net.c1):
        for _ in range(5):
            make_item(cat.jip, branch)
    with django_assert_max_num_queries(5):
        body = client.get(f"{BASE}/records/{cat.jip.pk}").json()
    assert len(body["items"]) == 20


def test_record_detail_not_found_gone_and_merged(cat, client):
    response = client.get(f"{BASE}/records/987654", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"code": "record_not_found", "message": "No record with id 987654."}
    dutch = client.get(f"{BASE}/records/987654").json()  # Dutch unless the client asks
    assert dutch["code"] == "record_not_found" and "987654" in dutch["message"]
    assert dutch["message"] != "No record with id 987654."
    response = client.get(f"{BASE}/records/{cat.gone.pk}")
    assert response.status_code == 410 and response.json()["code"] == "record_deleted"
    response = client.get(f"{BASE}/records/{cat.merged.pk}")
    assert response.status_code == 301
    assert response["Location"] == f"{BASE}/records/{cat.jip.pk}"
    assert client.get(f"{BASE}/records/abc").status_code == 422
    assert client.get(f"{BASE}/records/99999999999999999999999").status_code == 404


def test_item_by_barcode(cat, client):
    item = cat.hobbit.items.get(status="on_hold_shelf")
    response = client.get(f"{BASE}/items/{item.barcode}")
    assert response.status_code == 200
    body = response.json()
    assert body["record_id"] == cat.hobbit.pk and body["status"] == "on_hold_shelf"
    assert body["home_branch"] == {"code": "C-1", "name": "C Centrum"}
    assert body["current_location"] is None and body["due_date"] is None


def test_item_not_found_answers_404_with_code(cat, client):
    for barcode in ("NOPE", "x" * 300, "%20"):
        response = client.get(f"{BASE}/items/{barcode}")
        assert response.status_code == 404
        assert response.json()["code"] == "item_not_found"


def test_openapi_docs_render(client):
    assert client.get("/api/v1/docs").status_code == 200
    schema = client.get("/api/v1/openapi.json").json()
    assert f"{BASE}/records" in schema["paths"]
    assert f"{BASE}/records/{{record_id}}" in schema["paths"]
    assert f"{BASE}/items/{{barcode}}" in schema["paths"]
    params = {p["name"] for p in schema["paths"][f"{BASE}/records"]["get"]["parameters"]}
    assert {"q", "page", "per_page", "sort", "material_type", "available_at"} <= params


def test_an_unreadable_index_answers_503_with_code(db, client, monkeypatch):
    import bci.catalogue.search as search_module

    def broken(*args, **kwargs):
        raise OSError("index folder gone")

    monkeypatch.setattr(search_module, "search", broken)
    response = client.get(f"{BASE}/records", {"q": "jip"})
    assert response.status_code == 503
    assert response.json()["code"] == "search_unavailable"
