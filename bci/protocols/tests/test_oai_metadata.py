"""MARCXML and Dublin Core rendering (shared by OAI-PMH and SRU), and the record builders
the OAI-PMH and SRU tests use."""

import datetime as dt
import io
import xml.etree.ElementTree as ET

import pymarc

from bci.catalogue.models import Identifier, Item, Record
from bci.protocols.oaipmh.metadata.dublin_core import oai_dc_string
from bci.protocols.oaipmh.metadata.marc import Holding, marc_record, marcxml_string
from bci.protocols.oaipmh.metadata.xml_text import Splicer, clean

NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "marc": "http://www.loc.gov/MARC21/slim",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
T0 = dt.datetime(2024, 5, 1, 10, 0, 0, tzinfo=dt.UTC)


def marc_for(title, *, author="", year=None, isbn=None, extra=()):
    fields = [{"001": "rec"}, {"008": "240501s2024    ne            000 1 dut d"}]
    if isbn:
        fields.append({"020": {"ind1": " ", "ind2": " ", "subfields": [{"a": isbn}]}})
    if author:
        fields.append({"100": {"ind1": "1", "ind2": " ", "subfields": [{"a": author}]}})
    fields.append({"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": title}]}})
    if year:
        fields.append({"264": {"ind1": " ", "ind2": "1", "subfields": [{"c": str(year)}]}})
    fields.extend(extra)
    return {"leader": "00000nam  2200000 i 4500", "fields": fields}


def make_record(
    title,
    *,
    authors=(),
    subjects=(),
    year=None,
    language="dut",
    material_type="book",
    isbn=None,
    ppn=None,
    items=(),
    updated_at=None,
    marc=None,
):
    """A record with identifiers and items ``(barcode, owner, branch[, status])``."""
    stamp = updated_at or T0
    record = Record.objects.create(
        marc=marc or marc_for(title, author=(authors or [""])[0], year=year, isbn=isbn),
        title=title,
        authors=list(authors),
        main_author=(authors or [""])[0],
        subjects=list(subjects),
        year=year,
        language=language,
        material_type=material_type,
        created_at=stamp,
        updated_at=stamp,
    )
    if isbn:
        Identifier.objects.create(record=record, scheme="isbn", value=isbn)
    if ppn:
        Identifier.objects.create(record=record, scheme="ppn", value=ppn)
    for barcode, owner, branch, *status in items:
        Item.objects.create(
            barcode=barcode,
            record=record,
            owner=owner,
            home_branch=branch,
            status=status[0] if status else Item.Status.AVAILABLE,
            call_number="ROMA " + title[:4].upper(),
        )
    return record


def tombstone(record, *, at, merged_into=None):
    """Withdraw ``record`` or merge it into ``merged_into`` (its items move there), the way
    the catalogue leaves a tombstone."""
    if merged_into is not None:
        Item.objects.filter(record=record).update(record=merged_into)
    Record.objects.filter(pk=record.pk).update(
        deleted_at=at, updated_at=at, merged_into=merged_into
    )
    record.refresh_from_db()
    return record


# --- tests ----------------------------------------------------------------------------------


def test_marc_record_sets_utf8_leader_and_replaces_852_with_holdings():
    marc = marc_for(
        "Het boek", extra=[{"852": {"ind1": " ", "ind2": " ", "subfields": [{"a": "OLD"}]}}]
    )
    holding = Holding("LIB-A", "A-1", "ROMA", "ROMA BOEK", "B0001", "book", "available")
    record = marc_record(marc, [holding])
    assert record.leader[9] == "a"
    fields = record.get_fields("852")
    assert len(fields) == 1
    assert fields[0].get_subfields("a", "b", "c", "h", "p") == [
        "LIB-A",
        "A-1",
        "ROMA",
        "ROMA BOEK",
        "B0001",
    ]
    assert [f.tag for f in record.fields] == sorted(f.tag for f in record.fields)


def test_marcxml_strips_control_characters_so_the_document_parses():
    bad = "Titel\x1fmet\x00 \x0bstuur\ufffetekens & <meer>"
    extra = [{"500": {"ind1": "\x01", "ind2": "", "subfields": [{"a": "x\x1e"}, {'"': "q"}]}}]
    parsed = ET.fromstring(marcxml_string(marc_for(bad, extra=extra)))
    titles = parsed.findall(".//marc:datafield[@tag='245']/marc:subfield", NS)
    assert titles[0].text == "Titelmet stuurtekens & <meer>"
    note = parsed.find(".//marc:datafield[@tag='500']", NS)
    assert note.get("ind1") == " " and note.get("ind2") == " "
    assert [s.get("code") for s in note] == ["a", '"']


def test_marcxml_of_corrupt_marc_falls_back_to_a_minimal_record():
    text = marcxml_string({"leader": 7, "fields": "nonsense"}, fallback_title="Kapot", record_id=9)
    parsed = ET.fromstring(text)
    assert parsed.find("marc:leader", NS).text[9] == "a"
    assert parsed.find("marc:controlfield[@tag='001']", NS).text == "9"
    assert parsed.find(".//marc:datafield[@tag='245']/marc:subfield", NS).text == "Kapot"


def test_marcxml_writer_matches_pymarc():
    holdings = [Holding("LIB-A", "A-1", "ROMA", 'ROMA <&> "X"', "B1", "book", "available")]
    marc = marc_for(
        "Reis & <terug>",
        author="Jansen, Piet",
        year=2001,
        isbn="9789044630183",
        extra=[{"900": {"ind1": "1", "ind2": "2", "subfields": [{"a": 'tab\there "q"'}]}}],
    )
    ours = ET.fromstring(marcxml_string(marc, holdings))
    reference = pymarc.record_to_xml_node(marc_record(marc, holdings), namespace=True)
    reference = ET.fromstring(ET.tostring(reference))
    reference.attrib.pop("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")
    assert ET.canonicalize(ET.tostring(ours)) == ET.canonicalize(ET.tostring(reference))


def test_marcxml_round_trips_through_pymarc():
    text = marcxml_string(marc_for("Reis", author="Jansen, Piet", year=2001, isbn="9789044630183"))
    records = pymarc.parse_xml_to_array(io.BytesIO(text.encode("utf-8")))
    assert records[0]["245"]["a"] == "Reis"
    assert records[0]["100"]["a"] == "Jansen, Piet"


def test_splicer_places_fragments_and_text_cannot_forge_a_placeholder():
    root = ET.Element("root")
    ET.SubElement(root, "text").text = "<!--bci-fragment-0-->"
    splicer = Splicer()
    splicer.add(ET.SubElement(root, "slot"), "<x>1</x>")
    parsed = ET.fromstring(splicer.tostring(root))
    assert parsed.find("text").text == "<!--bci-fragment-0-->"
    assert parsed.find("slot/x").text == "1"


def test_clean_keeps_tabs_newlines_and_non_ascii():
    assert clean("a\tb\nc\r é €") == "a\tb\nc\r é €"
    assert clean(None) == ""


def test_oai_dc_carries_title_creators_identifiers_and_language(db):
    record = make_record(
        "De avond",
        authors=["Reve, Gerard"],
        subjects=["Oorlog"],
        year=1947,
        isbn="9789023466932",
        ppn="148857612",
    )
    parsed = ET.fromstring(oai_dc_string(record, [("isbn", "9789023466932"), ("ppn", "148857612")]))
    values = {(child.tag.split("}")[1], child.text) for child in parsed}
    assert ("title", "De avond") in values
    assert ("creator", "Reve, Gerard") in values
    assert ("subject", "Oorlog") in values
    assert ("date", "1947") in values
    assert ("identifier", "urn:isbn:9789023466932") in values
    assert ("identifier", "PPN:148857612") in values
    assert ("language", "dut") in values
    assert ("type", "Text") in values
