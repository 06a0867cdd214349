"""Catalogue records (MARC-in-JSON) as MARCXML or pymarc Records, with the library's
items as 852 holdings."""

import logging
from dataclasses import dataclass

import pymarc
from pymarc import Field, Indicators, Leader, Subfield

from .xml_text import XSI_NS, clean, xml_escape, xml_escape_attr

log = logging.getLogger(__name__)

MARC_NS = "http://www.loc.gov/MARC21/slim"
MARC_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"

DEFAULT_LEADER = "00000nam a2200000 i 4500"


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


_CHAR_CACHE: dict = {}


def _one_char(value):
    """A one-character indicator or subfield code, cleaned ("" when unusable)."""
    try:
        return _CHAR_CACHE[value]
    except (KeyError, TypeError):
        pass
    char = clean(value)[:1] if isinstance(value, str) else ""
    if isinstance(value, str) and len(_CHAR_CACHE) < 1000:
        _CHAR_CACHE[value] = char
    return char


def _as_text(value):
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _tag_key(tag):
    return (0, int(tag)) if tag.isdigit() else (1, tag)


def normalised(marc, holdings=(), *, fallback_title="", clean_values=True):
    """(leader, fields) of a stored MARC-in-JSON record, ready to write.

    leader/09 = 'a' (UTF-8); fields with a malformed tag (not three ASCII letters or
    digits) are dropped; indicators and subfield codes are single clean characters; the
    source's 852 fields are replaced by one per holding, placed in tag order; a record
    without 245 gets one from ``fallback_title``. Values are cleaned unless
    ``clean_values`` is false (the writer cleans its whole output at once instead).
    Fields are ``(tag, data)`` for control fields and ``(tag, ind1, ind2, [(code, value)])``
    for data fields.

    852 follows the catalogue's export mapping (bci.catalogue.marc.export): $a owning
    library code, $b home branch code, $c shelf code, $h call number, $p barcode,
    $w material type, $s status (at the time of the response).
    """
    if not isinstance(marc, dict) or not isinstance(marc.get("fields"), list):
        raise ValueError("MARC-in-JSON without a list of fields")
    tidy = clean if clean_values else _as_text
    leader = marc.get("leader")
    leader = clean(leader if isinstance(leader, str) else DEFAULT_LEADER)
    if len(leader) != 24:
        leader = (leader + DEFAULT_LEADER[len(leader) :])[:24]
    leader = leader[:9] + "a" + leader[10:]
    fields = []
    has_245 = False
    for entry in marc["fields"]:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        ((tag, value),) = entry.items()
        if len(tag) != 3 or not (tag.isascii() and tag.isalnum()) or tag == "852":
            continue
        if isinstance(value, dict):
            subfields = []
            for sub in value.get("subfields") or ():
                if isinstance(sub, dict):
                    for code, text in sub.items():
                        code = _one_char(code)
                        if code:
                            subfields.append((code, tidy(text)))
            ind1 = _one_char(value.get("ind1")) or " "
            ind2 = _one_char(value.get("ind2")) or " "
            fields.append((tag, ind1, ind2, subfields))
            has_245 = has_245 or tag == "245"
        elif tag < "010" and tag.isdigit():
            fields.append((tag, tidy(value)))
    if fallback_title and not has_245:
        _insert(fields, [("245", "0", "0", [("a", tidy(fallback_title))])])
    added = []
    for h in holdings:
        added.append(("852", " ", " ", [(code, tidy(v)) for code, v in _holding_subfields(h)]))
    if added:
        _insert(fields, added)
    return leader, fields


def _insert(fields, new):
    """Insert fields of one tag before the first field with a higher tag (as pymarc's
    add_ordered_field does)."""
    key = _tag_key(new[0][0])
    at = next((i for i, f in enumerate(fields) if _tag_key(f[0]) > key), len(fields))
    fields[at:at] = new


def marc_record(marc: dict, holdings=(), *, fallback_title="") -> pymarc.Record:
    """The same record as a pymarc Record (the reference the fast writer is tested
    against, and for callers that want pymarc)."""
    leader, fields = normalised(marc, holdings, fallback_title=fallback_title)
    record = pymarc.Record(force_utf8=True)
    record.leader = Leader(leader)
    for field in fields:
        if len(field) == 2:
            record.add_field(Field(tag=field[0], data=field[1]))
        else:
            tag, ind1, ind2, subfields = field
            record.add_field(
                Field(
                    tag=tag,
                    indicators=Indicators(ind1, ind2),
                    subfields=[Subfield(code, value) for code, value in subfields],
                )
            )
    return record


def _holding_subfields(h):
    """The 852 subfields of one holding: $a always, the others when they have a value."""
    for code, value in (
        ("a", h.owner_code),
        ("b", h.branch_code),
        ("c", h.shelf_code),
        ("h", h.call_number),
        ("p", h.barcode),
        ("w", h.material_type),
        ("s", h.status),
    ):
        if value or code == "a":
            yield code, value


def _holding_xml(h):
    out = ['<datafield tag="852" ind1=" " ind2=" ">']
    for code, value in _holding_subfields(h):
        out.append(f'<subfield code="{code}">{xml_escape(_as_text(value))}</subfield>')
    out.append("</datafield>")
    return "".join(out)


def _fast_marcxml(marc, holdings, fallback_title, schema_location):
    """The same output as writing ``normalised(...)``, in one pass (the harvest hot path):
    fields are written as they are read, values escaped, and the whole record cleaned once
    at the end. Falls back to ValueError like ``normalised`` on a record without fields."""
    if type(marc) is not dict or type(marc.get("fields")) is not list:
        raise ValueError("MARC-in-JSON without a list of fields")
    leader = marc.get("leader")
    leader = clean(leader if isinstance(leader, str) else DEFAULT_LEADER)
    if len(leader) != 24:
        leader = (leader + DEFAULT_LEADER[len(leader) :])[:24]
    head = [f'<record xmlns="{MARC_NS}"']
    if schema_location:
        head.append(f' xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{MARC_NS} {MARC_SCHEMA}"')
    head.append(f"><leader>{xml_escape(leader[:9])}a{xml_escape(leader[10:])}</leader>")
    tags, parts = [], []
    attr, one, esc = xml_escape_attr, _one_char, xml_escape
    for entry in marc["fields"]:
        if type(entry) is not dict or len(entry) != 1:
            continue
        ((tag, value),) = entry.items()
        if len(tag) != 3 or tag == "852" or not (tag.isascii() and tag.isalnum()):
            continue
        if type(value) is dict:
            ind1 = one(value.get("ind1")) or " "
            ind2 = one(value.get("ind2")) or " "
            out = [f'<datafield tag="{tag}" ind1="{attr(ind1)}" ind2="{attr(ind2)}">']
            for sub in value.get("subfields") or ():
                if type(sub) is dict:
                    for code, text in sub.items():
                        code = one(code)
                        if code:
                            text = text if type(text) is str else _as_text(text)
                            out.append(f'<subfield code="{attr(code)}">{esc(text)}</subfield>')
            out.append("</datafield>")
            tags.append(tag)
            parts.append("".join(out))
        elif tag < "010" and tag.isdigit():
            tags.append(tag)
            parts.append(f'<controlfield tag="{tag}">{esc(_as_text(value))}</controlfield>')
    if fallback_title and "245" not in tags:
        _insert_xml(
            tags,
            parts,
            "245",
            [
                f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">'
                f"{esc(_as_text(fallback_title))}</subfield></datafield>"
            ],
        )
    if holdings:
        _insert_xml(tags, parts, "852", [_holding_xml(h) for h in holdings])
    return clean("".join(head) + "".join(parts) + "</record>")


def _insert_xml(tags, parts, tag, new):
    key = _tag_key(tag)
    at = next((i for i, t in enumerate(tags) if _tag_key(t) > key), len(tags))
    parts[at:at] = new
    tags[at:at] = [tag] * len(new)


def _write_marcxml(leader, fields, schema_location):
    """MARCXML of normalised fields (used for the minimal fallback record)."""
    out = [f'<record xmlns="{MARC_NS}"']
    if schema_location:
        out.append(f' xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{MARC_NS} {MARC_SCHEMA}"')
    out.append(f"><leader>{xml_escape(leader)}</leader>")
    attr = xml_escape_attr
    for field in fields:
        if len(field) == 2:
            out.append(f'<controlfield tag="{field[0]}">{xml_escape(field[1])}</controlfield>')
            continue
        tag, ind1, ind2, subfields = field
        out.append(f'<datafield tag="{tag}" ind1="{attr(ind1)}" ind2="{attr(ind2)}">')
        for code, value in subfields:
            out.append(f'<subfield code="{attr(code)}">{xml_escape(value)}</subfield>')
        out.append("</datafield>")
    out.append("</record>")
    return clean("".join(out))


def marcxml_string(
    marc: dict, holdings=(), *, fallback_title="", record_id=None, schema_location=False
) -> str:
    """``<record xmlns="http://www.loc.gov/MARC21/slim">...</record>`` for one record.

    The hot path of OAI-PMH harvests: written directly with XML escaping (about ten times
    faster than building and serialising an ElementTree per record); tests check it against
    pymarc's ``record_to_xml``. A record whose MARC cannot be read (corrupt JSON from an old
    import) is sent as a minimal record (001 + 245 from the extracted title), so one bad
    record never breaks a page.
    """
    try:
        return _fast_marcxml(marc, holdings, fallback_title, schema_location)
    except Exception:  # noqa: BLE001 - any corruption must degrade, never break the page
        log.exception("record %s: MARC could not be read, sending a minimal record", record_id)
        minimal = {"leader": DEFAULT_LEADER, "fields": [{"001": str(record_id or "")}]}
        leader, fields = normalised(minimal, holdings, fallback_title=fallback_title or "?")
    return _write_marcxml(leader, fields, schema_location)
