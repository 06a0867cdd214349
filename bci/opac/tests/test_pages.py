"""OPAC pages against the real search index (records indexed through the queue)."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from bci.catalogue.search import index_pending
from bci.catalogue.services import change_item_status
from bci.circulation import queries as circulation_queries
from bci.opac.queries.copies import availability_for
from bci.opac.queries.records import record_slug

from .builders import index_all, make_item, make_record

pytestmark = pytest.mark.django_db


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


# --- home and search --------------------------------------------------------------------


def test_home_has_a_labelled_search_box(client):
    response = client.get("/en/")
    assert response.status_code == 200
    html = text(response)
    assert '<label for="opac-q">' in html and 'id="opac-q" name="q"' in html
    assert 'role="search"' in html and 'action="/en/search/"' in html


def test_search_lists_hits_with_an_availability_summary(cat, client):
    response = client.get("/en/search/", {"q": "janneke"})
    assert response.status_code == 200
    html = text(response)
    assert f'href="/en/records/{cat.jip.pk}/jip-en-janneke/"' in html
    assert "3 of 5 available, at A Centrum, A Noord" in html
    assert "1 title found" in html
    assert "De avonden" not in html


def test_results_show_facet_counts_that_refine_the_search(cat, client):
    html = text(client.get("/en/search/", {"q": "schmidt"}))
    assert "2 titles found" in html
    # each facet value is a link that adds the value to the search
    assert 'href="?q=schmidt&amp;material_type=picture_book"' in html
    assert re.search(r"Picture book <span class=\"opac-facet-count\">\(1\)</span>", html)
    assert re.search(r"Youth <span class=\"opac-facet-count\">\(2\)</span>", html)
    refined = text(client.get("/en/search/?q=schmidt&material_type=picture_book"))
    assert "1 title found" in refined and "Jip en Janneke" in refined
    assert "Pluk van de Petteflet" not in refined
    # the chosen value shows as selected, and removing it is one link away
    assert "Remove filter" in refined and 'href="?q=schmidt"' in refined


def test_available_at_and_library_facets_show_node_names(cat, client):
    html = text(client.get("/en/search/"))
    assert "A Centrum" in html and "Bibliotheek A" in html
    only_c = text(client.get("/en/search/?available_at=C-1"))
    assert "The Hobbit" in only_c and "Jip en Janneke" not in only_c


def test_empty_search_browses_the_whole_catalogue_without_deleted_records(cat, client):
    html = text(client.get("/en/search/"))
    assert "4 titles found" in html
    assert "Verwijderde titel" not in html and "(dubbel)" not in html


def test_a_stale_index_never_shows_a_record_deleted_since(cat, client):
    cat.pluk.deleted_at = timezone.now()
    cat.pluk.save()  # not reindexed yet
    html = text(client.get("/en/search/", {"q": "petteflet"}))
    assert "Pluk van de Petteflet</a>" not in html


def test_htmx_request_gets_the_results_partial_only(cat, client):
    response = client.get("/en/search/?q=schmidt", headers={"HX-Request": "true"})
    html = text(response)
    assert response.status_code == 200
    assert "<html" not in html and 'id="results-area"' in html
    assert 'hx-push-url="true"' in html and "<title>" in html
    assert "HX-Request" in response["Vary"]
    full = text(client.get("/en/search/?q=schmidt"))
    assert "<html" in full and 'id="results-area"' in full


def test_paging_and_sort(net, client):
    for n in range(25):
        record = make_record(f"Deel {n:02d} van de reeks", year=1990 + n)
        make_item(record, net.a1)
    index_all()
    first = text(client.get("/en/search/", {"q": "reeks", "sort": "title"}))
    assert "25 titles found, page 1 of 2" in first
    assert "Deel 00 van de reeks" in first and "Deel 20 van de reeks" not in first
    assert 'href="?q=reeks&amp;sort=title&amp;page=2"' in first
    second = text(client.get("/en/search/", {"q": "reeks", "sort": "title", "page": "2"}))
    assert "Deel 24 van de reeks" in second and "Deel 00 van de reeks" not in second
    assert 'aria-current="page">2<' in second
    newest = text(client.get("/en/search/", {"q": "reeks", "sort": "-year"}))
    assert newest.index("Deel 24") < newest.index("Deel 23")
    beyond = text(client.get("/en/search/", {"q": "reeks", "page": "7"}))
    assert "There is no page 7." in beyond and "Go to the last page (2)" in beyond


BAD_QUERIES = [
    {"q": '"unbalanced quote'},
    {"q": "AND OR NOT"},
    {"q": "(((( ]]] {{"},
    {"q": "title: author: isbn:"},
    {"q": "*?~^ \\ / : ! - +"},
    {"q": "a" * 20_000},
    {"q": "jip\x00janneke"},
    {"q": "jip", "page": "-1"},
    {"q": "jip", "page": "abc"},
    {"q": "jip", "page": "99999999999999999999999999999"},
    {"q": "jip", "sort": "drop table"},
    {"material_type": "no-such-type"},
    {"year": "not-a-year"},
    {"year": "3000-1000"},
    {"library": ["x" * 5000] * 100},
    {"available_at": "NOPE", "language": "zzz"},
]


def test_bad_queries_never_fail(cat, client):
    for params in BAD_QUERIES:
        response = client.get("/en/search/", params)
        assert response.status_code == 200, params
        assert 'id="results-area"' in text(response), params
        partial = client.get("/en/search/", params, headers={"HX-Request": "true"})
        assert partial.status_code == 200, params


def test_unknown_facet_value_shows_as_a_removable_filter_with_no_results(cat, client):
    html = text(client.get("/en/search/", {"q": "jip", "material_type": "no-such-type"}))
    assert "Nothing found." in html
    assert 'href="?q=jip"' in html  # remove it


def test_results_page_query_budget(cat, net, client, django_assert_max_num_queries):
    for n in range(15):
        record = make_record(f"Budget {n}", authors=("Annie M.G. Schmidt",))
        make_item(record, net.a1)
        make_item(record, net.b1, status="on_loan")
    index_all()
    with django_assert_max_num_queries(4):
        response = client.get("/en/search/", {"q": "schmidt", "library": ["LIB-A", "LIB-B"]})
    assert "17 titles found" in text(response)


def test_availability_for_a_page_of_records_is_one_query(cat, django_assert_num_queries):
    ids = [cat.jip.pk, cat.avonden.pk, cat.hobbit.pk, cat.pluk.pk]
    with django_assert_num_queries(1):
        summary = availability_for(ids)
    assert (summary[cat.jip.pk].available, summary[cat.jip.pk].total) == (3, 5)
    assert summary[cat.jip.pk].available_at == ["A Centrum", "A Noord"]
    assert (summary[cat.avonden.pk].available, summary[cat.avonden.pk].total) == (0, 1)
    assert (summary[cat.pluk.pk].available, summary[cat.pluk.pk].total) == (0, 1)


def test_a_floating_copy_is_available_where_it_stands(cat, net):
    item = make_item(cat.avonden, net.b1, current_location=net.c1)
    assert availability_for([cat.avonden.pk])[cat.avonden.pk].available_at == ["C Centrum"]
    assert item.status == "available"


def test_dutch_is_the_default_language(cat, client):
    html = text(client.get("/search/", {"q": "janneke"}))
    assert "3 van 5 aanwezig, in A Centrum, A Noord" in html
    assert "Verfijnen" in html and "Zoeken in de catalogus" in html


# --- record page ------------------------------------------------------------------------


def record_url(record):
    return f"/en/records/{record.pk}/{record_slug(record)}/"


def test_record_page_shows_fields_identifiers_and_copies_per_library_and_branch(cat, client):
    response = client.get(record_url(cat.jip))
    assert response.status_code == 200
    html = text(response)
    assert '<h1 id="record-title">Jip en Janneke</h1>' in html
    assert "Querido" in html and "1977" in html and "Dutch" in html
    assert cat.isbn in html and "Kinderboeken" in html
    assert "3 of 5 available" in html
    # organisations, then branches with their copies and live statuses
    assert html.index("Bibliotheek A") < html.index("A Centrum") < html.index("A Noord")
    assert html.index("A Noord") < html.index("Bibliotheek B") < html.index("B Centrum")
    a_noord = html[html.index('data-branch="A-2"') :]
    a_noord = a_noord[: a_noord.index("</tbody>")]
    assert "Available" in a_noord and "On loan" in a_noord
    assert "In transit" in html and "AP SCHM" in html
    assert "OUD" not in html and "Bibliotheek C" not in html  # the withdrawn copy


def test_record_page_statuses_follow_the_database_live(cat, client):
    item = cat.hobbit.items.get(status="available")
    change_item_status(item=item, to="missing")
    html = text(client.get(record_url(cat.hobbit)))
    assert "Missing" in html and "On the hold shelf" in html and "0 of 2 available" in html


def test_record_page_shows_due_date_when_circulation_knows_it(cat, client):
    from bci.circulation.models import Loan

    on_loan = cat.jip.items.get(status="on_loan")
    Loan.objects.create(item=on_loan, branch=on_loan.home_branch, due_date=dt.date(2026, 12, 24))
    html = text(client.get(record_url(cat.jip)))
    assert "Due back on 24 December 2026" in html


def test_record_page_has_schema_org_json_ld(cat, client):
    html = client.get(record_url(cat.jip)).content.decode()
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "Book"
    assert data["name"] == "Jip en Janneke"
    assert data["isbn"] == cat.isbn
    assert data["author"] == [{"@type": "Person", "name": "Annie M.G. Schmidt"}]
    assert data["datePublished"] == "1977" and data["inLanguage"] == "nl"
    assert len(data["offers"]) == 5
    assert sum(o["availability"].endswith("InStock") for o in data["offers"]) == 3


def test_json_ld_cannot_break_out_of_its_script_element(net, client):
    record = make_record("</script><script>alert(1)</script>")
    html = client.get(record_url(record)).content.decode()
    assert "<script>alert(1)" not in html


def test_record_urls_are_clean_and_redirect_to_the_right_slug(cat, client):
    right = record_url(cat.jip)
    for wrong in (f"/en/records/{cat.jip.pk}/", f"/en/records/{cat.jip.pk}/wrong-slug/"):
        response = client.get(wrong)
        assert response.status_code == 301 and response["Location"] == right


def test_merged_record_moves_permanently_to_the_survivor(cat, client):
    response = client.get(f"/en/records/{cat.merged.pk}/anything/")
    assert response.status_code == 301
    assert response["Location"] == record_url(cat.jip)


def test_deleted_record_is_gone_and_unknown_is_not_found(cat, client):
    response = client.get(record_url(cat.gone))
    assert response.status_code == 410
    assert "Verwijderde titel" in text(response)
    assert client.get("/en/records/987654/x/").status_code == 404
    assert client.get("/en/records/99999999999999999999999/x/").status_code == 404
    assert client.get("/en/records/abc/x/").status_code == 404


def test_record_page_query_budget(cat, net, client, django_assert_max_num_queries):
    for branch in (net.a1, net.a2, net.b1, net.c1):
        for _ in range(5):
            make_item(cat.jip, branch, status="on_loan")
    with django_assert_max_num_queries(4):
        response = client.get(record_url(cat.jip))
    assert "3 of 25 available" in text(response)


def test_record_page_in_dutch(cat, client):
    html = text(client.get(f"/records/{cat.jip.pk}/jip-en-janneke/"))
    assert "Exemplaren" in html and "Uitgeleend" in html and "Onderweg" in html


def test_reindexed_status_change_reaches_the_available_at_facet(cat, net, client):
    item = cat.avonden.items.get()
    change_item_status(item=item, to="available")
    index_pending()
    html = text(client.get("/en/search/?available_at=B-1"))
    assert "De avonden" in html


def test_due_date_comes_from_the_active_loan(cat, client, django_assert_max_num_queries):
    from bci.circulation.models import Loan

    on_loan = cat.jip.items.get(status="on_loan")
    # an earlier, ended loan of the same copy must not count
    Loan.objects.create(
        item=on_loan,
        branch=on_loan.home_branch,
        due_date=dt.date(2026, 1, 5),
        ended_at=timezone.now(),
        end_reason="returned",
    )
    Loan.objects.create(item=on_loan, branch=on_loan.home_branch, due_date=dt.date(2026, 12, 24))
    assert circulation_queries.due_dates([on_loan.pk]) == {on_loan.pk: dt.date(2026, 12, 24)}
    with django_assert_max_num_queries(5):
        html = text(client.get(record_url(cat.jip)))
    assert "Due back on 24 December 2026" in html
    assert "Terug op 24 december 2026" in text(client.get(f"/records/{cat.jip.pk}/jip-en-janneke/"))


def test_search_on_an_empty_catalogue_finds_nothing(db, client):
    html = text(client.get("/en/search/", {"q": "anything"}))
    assert "Nothing found." in html


def test_an_unreadable_index_gives_a_clear_message_not_a_500(cat, client, monkeypatch):
    import bci.catalogue.search as search_module

    def broken(*args, **kwargs):
        raise OSError("index folder gone")

    monkeypatch.setattr(search_module, "search", broken)
    response = client.get("/en/search/", {"q": "jip"})
    assert response.status_code == 503
    assert "Searching is not possible right now" in text(response)
    assert client.get(record_url(cat.jip)).status_code == 200
