"""Render catalogue records as MARCXML (with 852 holdings) and simple Dublin Core.

Shared by OAI-PMH and SRU. Pure functions over already-loaded data: the caller loads a
page of records, their items and identifiers in a few queries and passes them in.

Every string is cleaned of characters XML 1.0 cannot carry (C0 controls other than tab,
newline and carriage return, lone surrogates, U+FFFE/U+FFFF), so a record holding a stray
MARC delimiter or a control byte never breaks the document it is part of.
"""

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pymarc
from pymarc import Field, Indicators, Leader, Subfield

log = logging.getLogger(__name__)

MARC_NS = "http://www.loc.gov/MARC21/slim"
MARC_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SRW_DC_NS = "info:srw/schema/1/dc-v1.1"

DEFAULT_LEADER = "00000nam a2200000 i 4500"

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(value) -> str:
    """``value`` as a string XML 1.0 can carry."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _ILLEGAL_XML.sub("", text)


@dataclass(frozen=True, slots=True)
class Holding:
    """One item as it appears in an 852 field."""

    owner_code: str
    branch_code: str
    shelf_code: str
    call_number: str
    barcode: str
    material_type: str = ""
    status: str = ""


# --- MARC -----------------------------------------------------------------------------------


def _indicator(value) -> str:
    text = clean(value)
    return text[:1] if text[:1].strip() or text[:1] == " " else " "


def marc_record(marc: dict, holdings=()) -> pymarc.Record:
    """A pymarc Record from MARC-in-JSON, cleaned, leader/09 = 'a' (UTF-8), and one 852 per
    holding replacing any 852 the source carried.

    852 follows the catalogue's export mapping (bci.catalogue.marc.export): $a owning
    library code, $b home branch code, $c shelf code, $h call number, $p barcode,
    $w material type, $s status (at the time of the response).
    """
    record = pymarc.Record(force_utf8=True)
    leader = clean((marc or {}).get("leader") or DEFAULT_LEADER)
    leader = (leader + DEFAULT_LEADER[len(leader) :])[:24] if len(leader) != 24 else leader
    leader = leader[:9] + "a" + leader[10:]
    record.leader = Leader(leader)
    fields = []
    for entry in (marc or {}).get("fields") or ():
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        ((tag, value),) = entry.items()
        tag = clean(tag)
        if len(tag) != 3 or tag == "852":
            continue
        if isinstance(value, dict):
            subfields = []
            for sub in value.get("subfields") or ():
                if not isinstance(sub, dict):
                    continue
                for code, text in sub.items():
                    code = clean(code)[:1]
                    if code:
                        subfields.append(Subfield(code=code, value=clean(text)))
            fields.append(
                Field(
                    tag=tag,
                    indicators=Indicators(
                        _indicator(value.get("ind1")), _indicator(value.get("ind2"))
                    ),
                    subfields=subfields,
                )
            )
        elif tag < "010" and tag.isdigit():
            fields.append(Field(tag=tag, data=clean(value)))
    record.add_field(*fields)
    for holding in holdings:
        subfields = [Subfield("a", clean(holding.owner_code))]
        for code, value in (
            ("b", holding.branch_code),
            ("c", holding.shelf_code),
            ("h", holding.call_number),
            ("p", holding.barcode),
            ("w", holding.material_type),
            ("s", holding.status),
        ):
            if value:
                subfields.append(Subfield(code, clean(value)))
        record.add_ordered_field(
            Field(tag="852", indicators=Indicators(" ", " "), subfields=subfields)
        )
    return record


def marcxml_element(marc: dict, holdings=(), *, fallback_title="", record_id=None) -> ET.Element:
    """``<record xmlns="http://www.loc.gov/MARC21/slim">`` for one catalogue record.

    A record whose MARC cannot be rendered (corrupt JSON from an old import) is replaced by
    a minimal one built from its extracted fields, so one bad record never breaks a page.
    """
    try:
        if not isinstance(marc, dict) or not isinstance(marc.get("fields"), list):
            raise ValueError("MARC-in-JSON without a list of fields")
        record = marc_record(marc, holdings)
        if fallback_title and not record.get_fields("245"):
            record.add_ordered_field(
                Field("245", Indicators("0", "0"), [Subfield("a", clean(fallback_title))])
            )
        node = pymarc.record_to_xml_node(record, quiet=True)
    except Exception:  # noqa: BLE001 - any corruption must degrade, never break the page
        log.exception("record %s: MARC could not be rendered, sending a minimal record", record_id)
        minimal = {
            "leader": DEFAULT_LEADER,
            "fields": [
                {"001": str(record_id or "")},
                {"245": {"ind1": "0", "ind2": "0", "subfields": [{"a": fallback_title}]}},
            ],
        }
        node = pymarc.record_to_xml_node(marc_record(minimal, holdings), quiet=True)
    node.set("xmlns", MARC_NS)
    return node


def marcxml_with_schema(node: ET.Element) -> ET.Element:
    """Add the xsi:schemaLocation OAI-PMH asks metadata to carry."""
    node.set("xmlns:xsi", XSI_NS)
    node.set("xsi:schemaLocation", f"{MARC_NS} {MARC_SCHEMA}")
    return node


# --- Dublin Core ----------------------------------------------------------------------------

DCMI_TYPE = {
    "book": "Text",
    "large_print": "Text",
    "picture_book": "Text",
    "comic": "Text",
    "magazine": "Text",
    "ebook": "Text",
    "sheet_music": "Text",
    "audiobook": "Sound",
    "music": "Sound",
    "dvd": "MovingImage",
    "game": "InteractiveResource",
    "map": "Image",
    "other": "PhysicalObject",
}


def _strings(values):
    for value in values or ():
        if isinstance(value, dict):
            value = value.get("name") or value.get("label") or value.get("value") or ""
        text = clean(value).strip()
        if text:
            yield text


def _marc_subfields(marc, tag, code):
    for entry in (marc or {}).get("fields") or ():
        if isinstance(entry, dict) and tag in entry and isinstance(entry[tag], dict):
            for sub in entry[tag].get("subfields") or ():
                if isinstance(sub, dict) and code in sub:
                    yield sub[code]


def dc_values(record, identifiers=()) -> list[tuple[str, str]]:
    """(element, value) pairs of simple Dublin Core for ``record`` (a catalogue Record)."""
    pairs = []
    title = clean(record.title).strip()
    subtitle = clean(getattr(record, "subtitle", "")).strip()
    if title:
        pairs.append(("title", f"{title} : {subtitle}" if subtitle else title))
    creators = list(_strings(record.authors)) or list(_strings([record.main_author]))
    pairs += [("creator", name) for name in creators]
    pairs += [("subject", subject) for subject in _strings(record.subjects)]
    if getattr(record, "classification", ""):
        pairs.append(("subject", clean(record.classification)))
    pairs += [("description", text) for text in _strings(_marc_subfields(record.marc, "520", "a"))]
    if record.publisher:
        pairs.append(("publisher", clean(record.publisher)))
    if record.year:
        pairs.append(("date", str(record.year)))
    pairs.append(("type", DCMI_TYPE.get(record.material_type, "Text")))
    pairs.append(("format", clean(record.material_type)))
    for scheme, value in identifiers:
        value = clean(value)
        if scheme == "isbn":
            pairs.append(("identifier", f"urn:isbn:{value}"))
        elif scheme == "issn":
            pairs.append(("identifier", f"urn:issn:{value}"))
        elif scheme == "ppn":
            pairs.append(("identifier", f"PPN:{value}"))
    if record.language:
        pairs.append(("language", clean(record.language)))
    if getattr(record, "series", ""):
        pairs.append(("relation", clean(record.series)))
    return pairs


def oai_dc_element(record, identifiers=()) -> ET.Element:
    root = ET.Element("oai_dc:dc")
    root.set("xmlns:oai_dc", OAI_DC_NS)
    root.set("xmlns:dc", DC_NS)
    root.set("xmlns:xsi", XSI_NS)
    root.set("xsi:schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    for name, value in dc_values(record, identifiers):
        ET.SubElement(root, f"dc:{name}").text = value
    return root


def srw_dc_element(record, identifiers=()) -> ET.Element:
    """The SRU Dublin Core schema (info:srw/schema/1/dc-v1.1)."""
    root = ET.Element("srw_dc:dc")
    root.set("xmlns:srw_dc", SRW_DC_NS)
    root.set("xmlns:dc", DC_NS)
    for name, value in dc_values(record, identifiers):
        ET.SubElement(root, f"dc:{name}").text = value
    return root
