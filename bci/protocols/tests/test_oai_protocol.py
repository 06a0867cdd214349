"""OAI-PMH 2.0 at /oai: every verb, every error, sets, deletions, dates and tokens."""

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from django.core import signing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bci.catalogue.models import Record
from bci.protocols.oaipmh import tokens
from bci.protocols.oaipmh.repository import oai_identifier

from .test_oai_metadata import NS, T0, make_record, tombstone


def oai(client, method="get", **params):
    response = getattr(client, method)("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def error_codes(root):
    return [e.get("code") for e in root.findall("oai:error", NS)]


def identifiers(root):
    return [e.text for e in root.findall(".//oai:header/oai:identifier", NS)]


def token_of(root):
    return root.find(".//oai:resumptionToken", NS)


@pytest.fixture
def catalogue(net):
    """Five records over three libraries in two POIs, one withdrawn, one merged away."""
    r = {}
    r["zee"] = make_record(
        "Het grote boek van de zee",
        authors=["Jansen, Piet"],
        year=2001,
        isbn="9789044630183",
        items=[("A0001", net.lib_a, net.a1)],
        updated_at=T0,
    )
    r["fiets"] = make_record(
        "Fietsen in Nederland",
        authors=["Vries, Anna de"],
        year=2015,
        items=[("A0002", net.lib_a, net.a2), ("B0001", net.lib_b, net.b1)],
        updated_at=T0 + dt.timedelta(hours=1),
    )
    r["maas"] = make_record(
        "Langs de Maas",
        year=2019,
        items=[("C0001", net.lib_c, net.c1)],
        updated_at=T0 + dt.timedelta(days=1),
    )
    r["oud"] = make_record(
        "Afgevoerd boek", items=[("C0002", net.lib_c, net.c1, "withdrawn")], updated_at=T0
    )
    tombstone(r["oud"], at=T0 + dt.timedelta(days=2))
    r["dubbel"] = make_record(
        "Fietsen in Nederland (dubbel)", items=[("B0002", net.lib_b, net.b1)], updated_at=T0
    )
    tombstone(r["dubbel"], at=T0 + dt.timedelta(days=3), merged_into=r["fiets"])
    return r


def oid(record):
    return oai_identifier(record.id)


# --- Identify, ListMetadataFormats, ListSets --------------------------------------------


def test_identify_describes_the_repository(client, catalogue):
    root = oai(client, verb="Identify")
    ident = root.find("oai:Identify", NS)
    assert ident.find("oai:protocolVersion", NS).text == "2.0"
    assert ident.find("oai:baseURL", NS).text == "http://testserver/oai"
    assert ident.find("oai:deletedRecord", NS).text == "persistent"
    assert ident.find("oai:granularity", NS).text == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.find("oai:earliestDatestamp", NS).text == "2024-05-01T10:00:00Z"
    assert root.find("oai:request", NS).get("verb") == "Identify"
    sample = ident.find(".//{http://www.openarchives.org/OAI/2.0/oai-identifier}sampleIdentifier")
    assert sample.text.startswith("oai:")


def test_identify_over_post_works_too(client, catalogue):
    root = oai(client, "post", verb="Identify")
    assert root.find("oai:Identify", NS) is not None


def test_identify_refuses_arguments(client, db):
    root = oai(client, verb="Identify", set="x")
    assert error_codes(root) == ["badArgument"]
    assert root.find("oai:request", NS).attrib == {}


def test_list_metadata_formats(client, catalogue):
    root = oai(client, verb="ListMetadataFormats")
    prefixes = [e.text for e in root.findall(".//oai:metadataPrefix", NS)]
    assert prefixes == ["oai_dc", "marc21"]
    root = oai(client, verb="ListMetadataFormats", identifier=oid(catalogue["zee"]))
    assert len(root.findall(".//oai:metadataFormat", NS)) == 2


def test_list_metadata_formats_for_unknown_identifier(client, catalogue):
    for identifier in ("oai:elsewhere:1", oai_identifier(999999), "oai:bci-diensten.nl:abc"):
        root = oai(client, verb="ListMetadataFormats", identifier=identifier)
        assert error_codes(root) == ["idDoesNotExist"]


def test_list_sets_lists_pois_and_their_libraries(client, catalogue):
    root = oai(client, verb="ListSets")
    specs = [e.text for e in root.findall(".//oai:setSpec", NS)]
    assert specs == [
        "poi:BISC",
        "poi:BISC:library:LIB-A",
        "poi:BISC:library:LIB-B",
        "poi:CUBISS",
        "poi:CUBISS:library:LIB-C",
    ]
    assert root.find(".//oai:set/oai:setName", NS).text == "BiSC"


def test_list_sets_refuses_a_resumption_token(client, catalogue):
    assert error_codes(oai(client, verb="ListSets", resumptionToken="x")) == ["badResumptionToken"]


# --- GetRecord ------------------------------------------------------------------------------


def test_get_record_marc21_has_utf8_leader_and_852_holdings(client, catalogue):
    root = oai(
        client, verb="GetRecord", identifier=oid(catalogue["fiets"]), metadataPrefix="marc21"
    )
    record = root.find(".//oai:metadata/marc:record", NS)
    assert record.find("marc:leader", NS).text[9] == "a"
    holdings = [
        {s.get("code"): s.text for s in f.findall("marc:subfield", NS)}
        for f in record.findall("marc:datafield[@tag='852']", NS)
    ]
    assert {(h["a"], h["b"], h["p"]) for h in holdings} == {
        ("LIB-A", "A-2", "A0002"),
        ("LIB-B", "B-1", "B0001"),
        ("LIB-B", "B-1", "B0002"),  # moved here by the merge
    }
    header = root.find(".//oai:header", NS)
    assert header.find("oai:datestamp", NS).text == "2024-05-01T11:00:00Z"
    assert [e.text for e in header.findall("oai:setSpec", NS)] == [
        "poi:BISC",
        "poi:BISC:library:LIB-A",
        "poi:BISC:library:LIB-B",
    ]


def test_get_record_oai_dc(client, catalogue):
    root = oai(client, verb="GetRecord", identifier=oid(catalogue["zee"]), metadataPrefix="oai_dc")
    dc = root.find(".//oai:metadata/oai_dc:dc", NS)
    assert dc.find("dc:title", NS).text == "Het grote boek van de zee"
    assert dc.find("dc:identifier", NS).text == "urn:isbn:9789044630183"


def test_get_record_of_a_tombstone_is_a_deleted_header_without_metadata(client, catalogue):
    root = oai(
        client, verb="GetRecord", identifier=oid(catalogue["dubbel"]), metadataPrefix="marc21"
    )
    record = root.find(".//oai:record", NS)
    assert record.find("oai:header", NS).get("status") == "deleted"
    assert record.find("oai:metadata", NS) is None


def test_get_record_errors(client, catalogue):
    ident = oid(catalogue["zee"])
    assert error_codes(oai(client, verb="GetRecord", identifier=ident)) == ["badArgument"]
    assert error_codes(oai(client, verb="GetRecord", metadataPrefix="marc21")) == ["badArgument"]
    assert error_codes(oai(client, verb="GetRecord", identifier=ident, metadataPrefix="mods")) == [
        "cannotDisseminateFormat"
    ]
    assert error_codes(
        oai(client, verb="GetRecord", identifier="oai:x:1", metadataPrefix="marc21")
    ) == ["idDoesNotExist"]
    # Unicode digits are digits to str.isdigit() but not to int(): no 500.
    for odd in ("\u00b2", "\u0661\u0662", "1\u00b2"):
        local = f"oai:bci-diensten.nl:{odd}"
        assert error_codes(
            oai(client, verb="GetRecord", identifier=local, metadataPrefix="oai_dc")
        ) == ["idDoesNotExist"]


# --- verbs and arguments --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["", "verb=Frobnicate", "verb=", "verb=Identify&verb=Identify", "verb=listrecords"],
)
def test_bad_verbs(client, db, query):
    response = client.get("/oai?" + query)
    root = ET.fromstring(response.content)
    assert response.status_code == 200
    assert error_codes(root) == ["badVerb"]
    assert root.find("oai:request", NS).attrib == {}


@pytest.mark.parametrize(
    "query",
    [
        "verb=ListRecords",  # metadataPrefix missing
        "verb=ListRecords&metadataPrefix=marc21&metadataPrefix=oai_dc",  # repeated
        "verb=ListRecords&metadataPrefix=marc21&colour=red",  # illegal argument
        "verb=ListRecords&metadataPrefix=marc21&from=2024-13-01",  # impossible date
        "verb=ListRecords&metadataPrefix=marc21&from=yesterday",
        "verb=ListRecords&metadataPrefix=marc21&from=2024-05-01T10:00:00",  # no Z
        "verb=ListRecords&metadataPrefix=marc21&from=2024-05-01T10:00Z",  # minutes
        "verb=ListRecords&metadataPrefix=marc21&from=2024-05-01&until=2024-05-02T00:00:00Z",
        "verb=ListRecords&metadataPrefix=marc21&from=2024-05-03&until=2024-05-01",
        "verb=ListIdentifiers&metadataPrefix=marc21&set=poi:BISC:",  # not a setSpec
        "verb=ListRecords&resumptionToken=abc&metadataPrefix=marc21",  # exclusive
    ],
)
def test_bad_arguments(client, catalogue, query):
    root = ET.fromstring(client.get("/oai?" + query).content)
    assert error_codes(root) == ["badArgument"]
    assert root.find("oai:request", NS).attrib == {}
    assert root.find("oai:ListRecords", NS) is None


def test_unknown_metadata_prefix_in_lists(client, catalogue):
    for verb in ("ListRecords", "ListIdentifiers"):
        assert error_codes(oai(client, verb=verb, metadataPrefix="dc")) == [
            "cannotDisseminateFormat"
        ]


# --- lists, sets, dates, deletions ---------------------------------------------------------


def test_list_records_returns_everything_oldest_first_with_deletions(client, catalogue):
    root = oai(client, verb="ListRecords", metadataPrefix="marc21")
    c = catalogue
    assert identifiers(root) == [oid(c[k]) for k in ("zee", "fiets", "maas", "oud", "dubbel")]
    deleted = [
        h.find("oai:identifier", NS).text
        for h in root.findall(".//oai:header[@status='deleted']", NS)
    ]
    assert deleted == [oid(c["oud"]), oid(c["dubbel"])]
    assert len(root.findall(".//oai:metadata", NS)) == 3
    assert token_of(root) is None  # one page: no token at all


def test_list_identifiers_gives_headers_only(client, catalogue):
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(root.findall("oai:ListIdentifiers/oai:header", NS)) == 5
    assert root.find(".//oai:metadata", NS) is None


def test_set_of_a_library_holds_records_it_owns_items_of(client, catalogue):
    c = catalogue
    root = oai(
        client, verb="ListIdentifiers", metadataPrefix="marc21", set="poi:BISC:library:LIB-B"
    )
    # fiets (B0001), and the tombstone of dubbel whose item moved to fiets
    assert identifiers(root) == [oid(c["fiets"]), oid(c["dubbel"])]
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", set="poi:BISC")
    assert identifiers(root) == [oid(c["zee"]), oid(c["fiets"]), oid(c["dubbel"])]
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", set="poi:CUBISS")
    assert identifiers(root) == [oid(c["maas"]), oid(c["oud"])]  # the withdrawn copy counts


def test_unknown_or_mismatched_set_matches_nothing(client, catalogue):
    for spec in ("poi:NOPE", "poi:CUBISS:library:LIB-A", "library:LIB-A", "poi:BISC:x:LIB-A"):
        root = oai(client, verb="ListRecords", metadataPrefix="marc21", set=spec)
        assert error_codes(root) == ["noRecordsMatch"], spec


def test_from_and_until_are_inclusive_at_both_granularities(client, catalogue):
    c = catalogue
    root = oai(
        client,
        verb="ListIdentifiers",
        metadataPrefix="marc21",
        **{"from": "2024-05-01T11:00:00Z", "until": "2024-05-02T10:00:00Z"},
    )
    assert identifiers(root) == [oid(c["fiets"]), oid(c["maas"])]
    root = oai(
        client,
        verb="ListIdentifiers",
        metadataPrefix="marc21",
        **{"from": "2024-05-02", "until": "2024-05-03"},
    )
    assert identifiers(root) == [oid(c["maas"]), oid(c["oud"])]
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", until="2024-05-01")
    assert identifiers(root) == [oid(c["zee"]), oid(c["fiets"])]


def test_seconds_are_whole_seconds(client, catalogue):
    Record.objects.filter(pk=catalogue["zee"].pk).update(
        updated_at=T0 + dt.timedelta(microseconds=999_000)
    )
    root = oai(
        client,
        verb="ListIdentifiers",
        metadataPrefix="marc21",
        **{"from": "2024-05-01T10:00:00Z", "until": "2024-05-01T10:00:00Z"},
    )
    assert identifiers(root) == [oid(catalogue["zee"])]
    assert root.find(".//oai:datestamp", NS).text == "2024-05-01T10:00:00Z"


def test_deletions_honour_date_filters(client, catalogue):
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": "2024-05-04"})
    assert identifiers(root) == [oid(catalogue["dubbel"])]
    assert root.find(".//oai:header", NS).get("status") == "deleted"


def test_no_records_match(client, catalogue):
    root = oai(client, verb="ListRecords", metadataPrefix="marc21", **{"from": "2030-01-01"})
    assert error_codes(root) == ["noRecordsMatch"]
    assert root.find("oai:request", NS).get("from") == "2030-01-01"


def test_a_record_with_control_characters_does_not_break_the_page(client, catalogue):
    marc = {
        "leader": "bad",
        "fields": [
            {"245": {"subfields": "x"}},
            {"500": {"ind1": "\x02", "ind2": " ", "subfields": [{"a": "noot\x1f\x0bhier"}]}},
        ],
    }
    Record.objects.filter(pk=catalogue["zee"].pk).update(title="Kapot\x01\x1b", marc=marc)
    for prefix in ("marc21", "oai_dc"):
        root = oai(client, verb="ListRecords", metadataPrefix=prefix)
        assert len(identifiers(root)) == 5
    root = oai(client, verb="GetRecord", metadataPrefix="marc21", identifier=oid(catalogue["zee"]))
    note = root.find(".//marc:datafield[@tag='500']/marc:subfield", NS)
    assert note.text == "noothier"
    root = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=oid(catalogue["zee"]))
    assert root.find(".//dc:title", NS).text == "Kapot"


# --- resumption tokens ----------------------------------------------------------------------


@pytest.fixture
def small_pages(settings):
    settings.BCI_OAI_RECORDS_PER_PAGE = 2
    settings.BCI_OAI_IDENTIFIERS_PER_PAGE = 2


def test_paging_with_tokens_gets_each_record_once(client, catalogue, small_pages):
    seen, cursors = [], []
    root = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    while True:
        seen += identifiers(root)
        token = token_of(root)
        cursors.append(token.get("cursor"))
        assert token.get("completeListSize") == "5"
        if not token.text:
            break
        assert token.get("expirationDate").endswith("Z")
        root = oai(client, verb="ListRecords", resumptionToken=token.text)
        assert root.find("oai:request", NS).get("resumptionToken") == token.text
    assert len(seen) == len(set(seen)) == 5
    assert cursors == ["0", "2", "4"]


def test_token_remembers_set_and_dates(client, catalogue, small_pages):
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", set="poi:BISC")
    first = identifiers(root)
    token = token_of(root)
    assert token.get("completeListSize") == "3"
    root = oai(client, verb="ListIdentifiers", resumptionToken=token.text)
    assert first + identifiers(root) == [oid(catalogue[k]) for k in ("zee", "fiets", "dubbel")]
    assert token_of(root).text is None


def test_forged_altered_or_foreign_tokens_are_refused(client, catalogue, small_pages):
    root = oai(client, verb="ListRecords", metadataPrefix="marc21")
    good = token_of(root).text
    forged = signing.dumps({"v": "ListRecords", "p": "marc21"}, salt="other", compress=True)
    for token in (good[:-2] + "xx", "garbage", forged, good + "A"):
        assert error_codes(oai(client, verb="ListRecords", resumptionToken=token)) == [
            "badResumptionToken"
        ]
    # a ListRecords token is not a ListIdentifiers token
    assert error_codes(oai(client, verb="ListIdentifiers", resumptionToken=good)) == [
        "badResumptionToken"
    ]


def test_expired_token_is_refused(client, catalogue):
    token, _ = tokens.encode(
        verb="ListRecords",
        prefix="marc21",
        set_spec=None,
        from_arg=None,
        until_arg=None,
        after=(T0, catalogue["zee"].id),
        cursor=1,
        size=5,
        lifetime=dt.timedelta(hours=1),
        now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
    )
    root = oai(client, verb="ListRecords", resumptionToken=token)
    assert error_codes(root) == ["badResumptionToken"]
    assert "expired" in root.find("oai:error", NS).text


def test_signed_token_with_a_broken_payload_is_refused(client, catalogue):
    token = signing.dumps({"v": "ListRecords", "x": 10**12}, salt=tokens.SALT)
    assert error_codes(oai(client, verb="ListRecords", resumptionToken=token)) == [
        "badResumptionToken"
    ]


def test_records_changed_during_a_harvest_come_again_at_the_end(client, catalogue, small_pages):
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21")
    seen = identifiers(root)
    Record.objects.filter(pk=catalogue["zee"].pk).update(updated_at=T0 + dt.timedelta(days=9))
    while (token := token_of(root)) is not None and token.text:
        root = oai(client, verb="ListIdentifiers", resumptionToken=token.text)
        seen += identifiers(root)
    assert set(seen) == {oid(r) for r in catalogue.values()}
    assert seen[-1] == oid(catalogue["zee"])


def test_list_records_page_costs_a_fixed_number_of_queries(
    client, net, django_assert_max_num_queries
):
    for i in range(30):
        make_record(f"Boek {i}", items=[(f"X{i:04d}", net.lib_a, net.a1)], isbn=None)
    with django_assert_max_num_queries(3):  # count, page, items
        root = oai(client, verb="ListRecords", metadataPrefix="marc21")
    assert len(identifiers(root)) == 30


OAI_VALUES = [
    "Identify",
    "ListRecords",
    "ListIdentifiers",
    "GetRecord",
    "ListSets",
    "marc21",
    "oai_dc",
    "2024-05-01",
    "2024-05-01T10:00:00Z",
    "2024-02-30",
    "poi:BISC",
    "poi:",
    "x",
    "",
    "oai:bci-diensten.nl:1",
    "\x00",
    "é",
    "9" * 30,
]
OAI_NAMES = ["verb", "metadataPrefix", "from", "until", "set", "identifier", "resumptionToken"]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from([*OAI_NAMES, "colour"]), st.sampled_from(OAI_VALUES)),
        max_size=6,
    )
)
def test_any_request_gets_a_well_formed_answer(client, catalogue, pairs):
    query = "&".join(f"{name}={quote(value)}" for name, value in pairs)
    response = client.get("/oai?" + query)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.find("oai:responseDate", NS) is not None
    answered = [child.tag.split("}")[1] for child in root][2:]
    assert answered and (set(answered) == {"error"} or len(answered) == 1)


def test_post_with_repeated_arguments_is_bad_argument(client, catalogue):
    response = client.post(
        "/oai",
        "verb=ListRecords&metadataPrefix=marc21&metadataPrefix=oai_dc",
        content_type="application/x-www-form-urlencoded",
    )
    assert error_codes(ET.fromstring(response.content)) == ["badArgument"]
