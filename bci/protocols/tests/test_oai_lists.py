"""OAI-PMH 2.0 lists at /oai: sets, dates, deletions and resumption tokens."""

import datetime as dt

import pytest
from django.core import signing

from bci.catalogue.models import Record
from bci.protocols.oaipmh import tokens
from bci.protocols.tests.oai_world import (
    error_codes,
    identifiers,
    oai,
    oai_catalogue,
    oid,
    token_of,
)
from bci.protocols.tests.test_oai_metadata import NS, T0, make_record


@pytest.fixture
def catalogue(net):
    return oai_catalogue(net)


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
