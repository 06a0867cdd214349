"""Catalogue records as simple Dublin Core: oai_dc for OAI-PMH, the SRU dc schema."""

from .xml_text import XSI_NS, clean, text_escape

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
SRW_DC_NS = "info:srw/schema/1/dc-v1.1"

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


def oai_dc_string(record, identifiers=()) -> str:
    out = [
        f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI_NS}" '
        f'xsi:schemaLocation="{OAI_DC_NS} {OAI_DC_SCHEMA}">'
    ]
    for name, value in dc_values(record, identifiers):
        out.append(f"<dc:{name}>{text_escape(value)}</dc:{name}>")
    out.append("</oai_dc:dc>")
    return "".join(out)


def srw_dc_string(record, identifiers=()) -> str:
    """The SRU Dublin Core schema (info:srw/schema/1/dc-v1.1)."""
    out = [f'<srw_dc:dc xmlns:srw_dc="{SRW_DC_NS}" xmlns:dc="{DC_NS}">']
    for name, value in dc_values(record, identifiers):
        out.append(f"<dc:{name}>{text_escape(value)}</dc:{name}>")
    out.append("</srw_dc:dc>")
    return "".join(out)
