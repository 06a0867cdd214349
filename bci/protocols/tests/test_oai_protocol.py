"""OAI-PMH 2.0 at /oai: every verb, every error and argument check, any request answered."""

import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bci.protocols.oaipmh.repository import oai_identifier
from bci.protocols.tests.oai_world import error_codes, oai, oai_catalogue, oid
from bci.protocols.tests.test_oai_metadata import NS


@pytest.fixture
def catalogue(net):
    return oai_catalogue(net)


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
