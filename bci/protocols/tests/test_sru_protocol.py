"""SRU 1.2 and 2.0 at /sru: version negotiation, explain, searchRetrieve with paging,
schemas, packing, sorting, and diagnostics in a 200 response."""

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bci.catalogue.search import rebuild_index

from .test_oai_metadata import make_record

SRW = "http://www.loc.gov/zing/srw/"
SRU2 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG1 = "http://www.loc.gov/zing/srw/diagnostic/"
DIAG2 = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
MARC = "http://www.loc.gov/MARC21/slim"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"


def sru(client, **params):
    response = client.get("/sru", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def ns_of(root):
    return root.tag[1:].split("}")[0]


def find(root, path):
    ns = ns_of(root)
    return root.find(path.replace("s:", f"{{{ns}}}"))


def findall(root, path):
    ns = ns_of(root)
    return root.findall(path.replace("s:", f"{{{ns}}}"))


def diagnostics(root):
    out = []
    for diag_ns in (DIAG1, DIAG2):
        for node in root.iter(f"{{{diag_ns}}}diagnostic"):
            out.append(node.find(f"{{{diag_ns}}}uri").text.rsplit("/", 1)[1])
    return out


def positions(root):
    return [int(e.text) for e in findall(root, ".//s:record/s:recordPosition")]


@pytest.fixture
def shelf(net):
    records = [
        make_record(
            f"Zeereis deel {i}",
            authors=[f"Schrijver {chr(65 + i)}"],
            year=2000 + i,
            items=[(f"Z{i:04d}", net.lib_a, net.a1)],
        )
        for i in range(7)
    ]
    records.append(make_record("Fietsen", authors=["Vries, Anna de"], year=2015))
    rebuild_index()
    return records


# --- versions and operations ---------------------------------------------------------------


def test_explain_without_parameters_answers_in_2_0(client, db):
    root = sru(client)
    assert root.tag == f"{{{SRU2}}}explainResponse"
    assert find(root, "s:version").text == "2.0"
    explain = root.find(f".//{{{ZEEREX}}}explain")
    indexes = {(n.get("set"), n.text) for n in explain.iter(f"{{{ZEEREX}}}name")}
    assert {("dc", "title"), ("bath", "isbn"), ("bci", "library"), ("rec", "identifier")} <= indexes
    schemas = {s.get("name"): s.get("identifier") for s in explain.iter(f"{{{ZEEREX}}}schema")}
    assert schemas == {
        "marcxml": "info:srw/schema/1/marcxml-v1.1",
        "dc": "info:srw/schema/1/dc-v1.1",
    }
    assert explain.find(f".//{{{ZEEREX}}}setting[@type='maximumRecords']").text == "100"


def test_explain_1_2(client, db):
    root = sru(client, operation="explain", version="1.2")
    assert root.tag == f"{{{SRW}}}explainResponse"
    assert find(root, "s:version").text == "1.2"
    assert find(root, "s:record/s:recordPacking").text == "xml"


@pytest.mark.parametrize(
    "requested, answered",
    [("1.2", "1.2"), ("1.5", "1.2"), ("2.0", "2.0"), ("2.1", "2.0"), ("3", "2.0"), (None, "2.0")],
)
def test_version_means_this_or_lower(client, shelf, requested, answered):
    params = {"query": "zeereis"}
    if requested:
        params.update(version=requested, operation="searchRetrieve")
    root = sru(client, **params)
    assert find(root, "s:version").text == answered
    assert ns_of(root) == (SRW if answered == "1.2" else SRU2)


@pytest.mark.parametrize("version", ["1.1", "0.9", "abc"])
def test_unsupported_version(client, db, version):
    root = sru(client, operation="searchRetrieve", version=version, query="x")
    assert diagnostics(root) == ["5"]
    assert root.find(f".//{{{DIAG1}}}details").text == "2.0"


def test_unsupported_operation(client, db):
    root = sru(client, operation="scan", version="1.2", scanClause="dc.title=x")
    assert diagnostics(root) == ["4"]


def test_missing_query(client, db):
    assert diagnostics(sru(client, operation="searchRetrieve", version="1.2")) == ["7"]


# --- searchRetrieve ------------------------------------------------------------------------


def test_search_retrieve_marcxml_with_holdings(client, shelf):
    root = sru(client, version="1.2", operation="searchRetrieve", query='dc.title = "deel 3"')
    assert find(root, "s:numberOfRecords").text == "1"
    record = find(root, "s:records/s:record")
    assert find(record, "s:recordSchema").text == "info:srw/schema/1/marcxml-v1.1"
    marc = record.find(f"{{{SRW}}}recordData/{{{MARC}}}record")
    assert marc.find(f"{{{MARC}}}leader").text[9] == "a"
    holding = marc.find(f"{{{MARC}}}datafield[@tag='852']")
    codes = {s.get("code"): s.text for s in holding}
    assert (codes["a"], codes["b"], codes["p"]) == ("LIB-A", "A-1", "Z0003")
    assert find(root, "s:echoedSearchRetrieveRequest/s:query").text == 'dc.title = "deel 3"'
    assert find(root, "s:nextRecordPosition") is None


def test_paging_and_next_record_position(client, shelf):
    params = dict(version="2.0", query="zeereis sortBy dc.date", maximumRecords="3")
    root = sru(client, **params)
    assert find(root, "s:numberOfRecords").text == "7"
    assert positions(root) == [1, 2, 3]
    assert find(root, "s:nextRecordPosition").text == "4"
    root = sru(client, startRecord="4", **params)
    assert positions(root) == [4, 5, 6]
    root = sru(client, startRecord="7", **params)
    assert positions(root) == [7]
    assert find(root, "s:nextRecordPosition") is None


def test_maximum_records_zero_counts_only(client, shelf):
    root = sru(client, version="1.2", query="zeereis", maximumRecords="0")
    assert find(root, "s:numberOfRecords").text == "7"
    assert find(root, "s:records") is None
    assert find(root, "s:nextRecordPosition") is None  # nothing returned, so no position


def test_absurd_maximum_records_is_clamped(client, shelf):
    root = sru(client, version="1.2", query="zeereis", maximumRecords="999999999")
    assert find(root, "s:echoedSearchRetrieveRequest/s:maximumRecords").text == "100"
    assert len(positions(root)) == 7


def test_first_record_out_of_range(client, shelf):
    root = sru(client, version="1.2", query="zeereis", startRecord="8")
    assert diagnostics(root) == ["61"]
    assert find(root, "s:numberOfRecords").text == "0"


@pytest.mark.parametrize(
    "params, number",
    [
        ({"startRecord": "0"}, "6"),
        ({"startRecord": "abc"}, "6"),
        ({"maximumRecords": "-1"}, "6"),
        ({"recordSchema": "mods"}, "66"),
        ({"recordPacking": "json"}, "71"),
        ({"stylesheet": "x.xsl"}, "110"),
        ({"recordXPath": "/x"}, "72"),
        ({"colour": "red"}, "8"),
        ({"query": "dc.title = (x"}, "13"),
        ({"query": "dc.title ="}, "10"),
        ({"query": 'dc.title = "x'}, "14"),
        ({"query": "dc.shoe = x"}, "16"),
        ({"query": "dc.title within x"}, "22"),
        ({"query": "dc.title frobs x"}, "19"),
        ({"query": "zee", "sortKeys": "dc.subject"}, "88"),
        ({"queryType": "searchTerms"}, "6"),
    ],
)
def test_diagnostics_in_a_200_response(client, shelf, params, number):
    base = {"version": "1.2", "operation": "searchRetrieve", "query": "zeereis"}
    root = sru(client, **{**base, **params})
    assert diagnostics(root) == [number]
    assert root.tag == f"{{{SRW}}}searchRetrieveResponse"
    assert find(root, "s:numberOfRecords").text == "0"


def test_repeated_parameter(client, db):
    response = client.get("/sru?version=1.2&query=a&query=b")
    assert diagnostics(ET.fromstring(response.content)) == ["6"]


def test_diagnostics_2_0_use_the_oasis_namespace(client, db):
    root = sru(client, version="2.0", query="dc.title =")
    assert root.find(f".//{{{DIAG2}}}diagnostic/{{{DIAG2}}}uri").text == (
        "info:srw/diagnostic/1/10"
    )


def test_schema_by_short_name_or_uri_echoes_the_uri(client, shelf):
    for requested in ("dc", "info:srw/schema/1/dc-v1.1"):
        root = sru(client, version="1.2", query='dc.title = "deel 1"', recordSchema=requested)
        assert find(root, ".//s:record/s:recordSchema").text == "info:srw/schema/1/dc-v1.1"
        dc = root.find(".//{info:srw/schema/1/dc-v1.1}dc")
        assert dc.find("{http://purl.org/dc/elements/1.1/}title").text == "Zeereis deel 1"


def test_record_packing_string_in_1_2(client, shelf):
    root = sru(client, version="1.2", query='dc.title = "deel 1"', recordPacking="string")
    data = find(root, ".//s:record/s:recordData")
    assert len(data) == 0
    inner = ET.fromstring(data.text)
    assert inner.tag == f"{{{MARC}}}record"
    assert find(root, ".//s:record/s:recordPacking").text == "string"


def test_record_xml_escaping_in_2_0(client, shelf):
    root = sru(client, version="2.0", query='dc.title = "deel 1"', recordXMLEscaping="string")
    assert find(root, ".//s:record/s:recordXMLEscaping").text == "string"
    assert ET.fromstring(find(root, ".//s:record/s:recordData").text).tag == f"{{{MARC}}}record"
    root = sru(client, version="2.0", query="zee", recordXMLEscaping="json")
    assert diagnostics(root) == ["71"]


def test_sort_keys_1_2_and_sort_by_2_0(client, shelf):
    def titles(root):
        return [e.text for e in root.iter("{http://purl.org/dc/elements/1.1/}date")]

    root = sru(client, version="1.2", query="zeereis", sortKeys="dc.date,,0", recordSchema="dc")
    assert titles(root) == [str(y) for y in range(2006, 1999, -1)]
    root = sru(
        client, version="2.0", query="zeereis sortBy dc.date/sort.ascending", recordSchema="dc"
    )
    assert titles(root) == [str(y) for y in range(2000, 2007)]
    root = sru(
        client, version="2.0", query="zeereis sortBy dc.creator/sort.descending", recordSchema="dc"
    )
    creators = [e.text for e in root.iter("{http://purl.org/dc/elements/1.1/}creator")]
    assert creators == sorted(creators, reverse=True)


def test_search_page_costs_a_fixed_number_of_queries(client, shelf, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # records, items (the search is the index)
        root = sru(client, version="1.2", query="zeereis", maximumRecords="7")
    assert len(positions(root)) == 7


def test_search_retrieve_over_post(client, shelf):
    response = client.post("/sru", {"version": "1.2", "query": "zeereis", "maximumRecords": "2"})
    root = ET.fromstring(response.content)
    assert find(root, "s:numberOfRecords").text == "7"
    assert positions(root) == [1, 2]


CQL_BITS = [
    "zee",
    "dc.title",
    "dc.date",
    "bath.isbn",
    "bci.library",
    "=",
    "==",
    "<",
    ">=",
    "<>",
    "any",
    "all",
    "adj",
    "within",
    "and",
    "or",
    "not",
    "prox",
    "(",
    ")",
    '"',
    "/",
    "*",
    "?",
    "\\",
    "sortBy",
    "/fuzzy",
    "2001",
    "cql.allRecords",
    ">x=",
    "é",
    "\x00",
    "\x1f",
    "  ",
]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.lists(st.sampled_from(CQL_BITS), max_size=12).map(" ".join),
    start=st.sampled_from(["", "1", "0", "-3", "x", "99999999999999999999"]),
    maximum=st.sampled_from(["", "0", "5", "-1", "1e9", "99999999999"]),
    version=st.sampled_from(["", "1.2", "2.0", "1.1", "x.y", "9"]),
)
def test_any_request_gets_a_well_formed_answer(client, db, query, start, maximum, version):
    params = {"query": query, "startRecord": start, "maximumRecords": maximum}
    if version:
        params["version"] = version
    response = client.get("/sru", {k: v for k, v in params.items() if v != ""})
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert find(root, "s:version").text in ("1.2", "2.0")
