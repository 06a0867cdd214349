"""Search documents: built from plain record data, loaded from the database in bulk.

``RecordData`` is the only input of ``build_document``; the database loader and the
benchmark's synthetic generator both produce it, so the benchmark indexes exactly what the
product indexes.
"""

import re
from dataclasses import dataclass, field

import tantivy
from stdnum import isbn as stdnum_isbn
from stdnum import issn as stdnum_issn

from bci.catalogue.fields import names

from . import schema as S

# Items in these statuses no longer count as holdings of their library.
GONE_STATUSES = frozenset({"withdrawn", "lost"})

_SEPARATORS = re.compile(r"[\s\-.:/_]+")


def normalise_identifier(value: str) -> str:
    """One canonical form per identifier: separators dropped, upper-case; a valid ISBN
    (10 or 13) becomes its ISBN-13, a valid ISSN its compact 8 characters."""
    compact = _SEPARATORS.sub("", str(value or "")).upper()
    if not compact:
        return ""
    if len(compact) in (10, 13) and stdnum_isbn.is_valid(compact):
        return stdnum_isbn.compact(stdnum_isbn.to_isbn13(compact))
    if len(compact) == 8 and stdnum_issn.is_valid(compact):
        return stdnum_issn.compact(compact)
    return compact


@dataclass(slots=True)
class ItemData:
    barcode: str
    status: str
    owner: str  # organisation Node code
    home_branch: str  # Node code
    location: str = ""  # current location Node code ("" = at home)


@dataclass(slots=True)
class RecordData:
    id: int
    title: str
    subtitle: str = ""
    authors: list = field(default_factory=list)
    subjects: list = field(default_factory=list)
    publisher: str = ""
    series: str = ""
    classification: str = ""
    year: int | None = None
    language: str = ""
    material_type: str = ""
    audience: str = ""
    identifiers: list = field(default_factory=list)  # [(scheme, value)]
    items: list = field(default_factory=list)  # [ItemData]


def build_document(data: RecordData) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_integer(S.ID, data.id)
    title = " ".join(p for p in (data.title, data.subtitle) if p)
    authors = names(data.authors)
    subjects = names(data.subjects)
    if title:
        doc.add_text(S.TITLE, title)
    for a in authors:
        doc.add_text(S.AUTHOR, a)
    for s in subjects:
        doc.add_text(S.SUBJECT, s)
    for text in (title, *authors, data.series, *subjects, data.publisher, data.classification):
        if text:
            doc.add_text(S.ALL, text)
    doc.add_integer(S.YEAR, int(data.year or 0))
    doc.add_integer(S.YEAR_ASC, int(data.year or S.UNKNOWN_YEAR_LAST))
    for name in S.SINGLE_VALUED:
        value = _clean(getattr(data, name) or "")
        if value:
            doc.add_text(S.FACET_FIELDS[name], value)
        doc.add_text(S.COUNT_FIELDS[name], value or S.EMPTY)
    decade = int(data.year) // 10 * 10 if data.year else None
    doc.add_text(S.COUNT_FIELDS["year"], str(decade) if decade else S.EMPTY)
    idents = {normalise_identifier(v) for _, v in data.identifiers}
    libraries, available_at = set(), set()
    for item in data.items:
        idents.add(normalise_identifier(item.barcode))
        if item.status not in GONE_STATUSES:
            libraries.add(item.owner)
        if item.status == "available":
            available_at.add(item.location or item.home_branch)
    for v in sorted(idents):
        if v:
            doc.add_text(S.IDENT, v)
    values = {
        "author": authors,
        "subject": subjects,
        "library": sorted(libraries),
        "available_at": sorted(available_at),
    }
    for facet, vals in values.items():
        _add_multi(doc, facet, [v for v in vals if v])
    doc.add_text(S.SORT_TITLE, S.sort_key(data.title))
    return doc


def _clean(value):
    return value.replace(S.SEP, " ").replace(S.EMPTY, " ")[:200]


def _add_multi(doc, facet, values):
    """A multi-valued facet: every value in the filter field; for counting, the first K
    values in the slot columns and the rest joined in the overflow column."""
    values = [_clean(v) for v in values]
    for v in values:
        doc.add_text(S.FACET_FIELDS[facet], v)
    slots = S.slot_fields(facet)
    for i, field_name in enumerate(slots):
        doc.add_text(field_name, values[i] if i < len(values) else S.EMPTY)
    rest = values[len(slots) :]
    doc.add_text(S.overflow_field(facet), S.SEP.join(rest) if rest else S.EMPTY)


def _chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def load_records(record_ids):
    """Bulk-read live records with identifiers and items: three queries per 500 ids.

    Returns ``{id: RecordData}``; ids that are missing or deleted are absent.
    """
    from bci.catalogue.models import Identifier, Item, Record

    out = {}
    ids = sorted({int(r) for r in record_ids})
    for chunk in _chunks(ids, 500):
        rows = Record.objects.filter(id__in=chunk, deleted_at__isnull=True).values_list(
            "id",
            "title",
            "subtitle",
            "authors",
            "subjects",
            "publisher",
            "series",
            "classification",
            "year",
            "language",
            "material_type",
            "audience",
        )
        found = {}
        for r in rows:
            found[r[0]] = RecordData(
                id=r[0],
                title=r[1],
                subtitle=r[2],
                authors=r[3] if isinstance(r[3], list) else [],
                subjects=r[4] if isinstance(r[4], list) else [],
                publisher=r[5],
                series=r[6],
                classification=r[7],
                year=r[8],
                language=r[9],
                material_type=r[10],
                audience=r[11],
            )
        if not found:
            continue
        live = list(found)
        for rid, scheme, value in Identifier.objects.filter(record_id__in=live).values_list(
            "record_id", "scheme", "value"
        ):
            found[rid].identifiers.append((scheme, value))
        for rid, barcode, status, owner, home, loc in Item.objects.filter(
            record_id__in=live
        ).values_list(
            "record_id",
            "barcode",
            "status",
            "owner__code",
            "home_branch__code",
            "current_location__code",
        ):
            found[rid].items.append(ItemData(barcode, status, owner, home, loc or ""))
        out.update(found)
    return out
