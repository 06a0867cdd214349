"""Reads for the public catalogue (OPAC pages and the public catalogue API).

Availability is always read live from the database, never from the search index. Every
function here answers for a whole page of records in a fixed, small number of queries.
Nothing here reads or returns personal data: a loan contributes only its due date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bci.catalogue.fields import names
from bci.catalogue.models import Audience, Item, MaterialType, Record
from bci.circulation import queries as circulation_queries
from bci.organisations.models import Node

Status = Item.Status

# Copies the public never sees: gone from the collection.
HIDDEN_STATUSES = (Status.WITHDRAWN, Status.LOST)

# ---------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------

# MARC 008/35-37 language codes (MARC/ISO 639-2) -> (name, BCP 47 tag for schema.org).
LANGUAGES = {
    "dut": (_("Dutch"), "nl"),
    "nld": (_("Dutch"), "nl"),
    "eng": (_("English"), "en"),
    "ger": (_("German"), "de"),
    "deu": (_("German"), "de"),
    "fre": (_("French"), "fr"),
    "fra": (_("French"), "fr"),
    "fry": (_("Frisian"), "fy"),
    "spa": (_("Spanish"), "es"),
    "ita": (_("Italian"), "it"),
    "por": (_("Portuguese"), "pt"),
    "tur": (_("Turkish"), "tr"),
    "ara": (_("Arabic"), "ar"),
    "pol": (_("Polish"), "pl"),
    "rus": (_("Russian"), "ru"),
    "ukr": (_("Ukrainian"), "uk"),
    "swe": (_("Swedish"), "sv"),
    "dan": (_("Danish"), "da"),
    "nor": (_("Norwegian"), "no"),
    "lat": (_("Latin"), "la"),
    "grc": (_("Ancient Greek"), "grc"),
    "gre": (_("Greek"), "el"),
    "chi": (_("Chinese"), "zh"),
    "jpn": (_("Japanese"), "ja"),
    "mul": (_("Multiple languages"), ""),
    "und": (_("Undetermined"), ""),
}

FACET_TITLES = {
    "material_type": _("Material type"),
    "language": _("Language"),
    "audience": _("Audience"),
    "year": _("Year"),
    "author": _("Author"),
    "subject": _("Subject"),
    "library": _("Library"),
    "available_at": _("Available now at"),
}

# Display labels for the public (capitalised; the model's choices are lower-case).
MATERIAL_LABELS = {
    MaterialType.BOOK: _("Book"),
    MaterialType.LARGE_PRINT: _("Large print"),
    MaterialType.PICTURE_BOOK: _("Picture book"),
    MaterialType.COMIC: _("Comic"),
    MaterialType.AUDIOBOOK: _("Audiobook"),
    MaterialType.MUSIC: _("Music recording"),
    MaterialType.DVD: _("DVD / video"),
    MaterialType.GAME: _("Game"),
    MaterialType.MAGAZINE: _("Magazine"),
    MaterialType.SHEET_MUSIC: _("Sheet music"),
    MaterialType.MAP: _("Map"),
    MaterialType.EBOOK: _("E-book"),
    MaterialType.OTHER: _("Other"),
}
AUDIENCE_LABELS = {
    Audience.YOUTH: _("Youth"),
    Audience.ADULT: _("Adults"),
    Audience.UNKNOWN: _("Unknown"),
}
SCHEME_LABELS = {
    "ppn": "PPN",
    "isbn": "ISBN",
    "issn": "ISSN",
    "system": _("System number"),
    "nbd": _("NBD Biblion number"),
}

STATUS_LABELS = {
    Status.IN_PROCESSING: _("Being processed"),
    Status.AVAILABLE: _("Available"),
    Status.ON_LOAN: _("On loan"),
    Status.IN_TRANSIT: _("In transit"),
    Status.ON_HOLD_SHELF: _("On the hold shelf"),
    Status.MISSING: _("Missing"),
    Status.LOST: _("Lost"),
    Status.WITHDRAWN: pgettext_lazy("item status", "Withdrawn"),
}


def language_name(code):
    entry = LANGUAGES.get((code or "").lower())
    return entry[0] if entry else (code or "")


def language_tag(code):
    """BCP 47 tag for schema.org's inLanguage; the MARC code when we do not know it."""
    entry = LANGUAGES.get((code or "").lower())
    return entry[1] if entry else (code or "")


def facet_labels(facets, filters=None):
    """{facet: {value: label}} for every value shown or selected, in at most one query.

    Node codes (library, available_at) become the node's name; coded values become their
    translated label; everything else shows as it is.
    """
    filters = filters or {}
    values = {name: {v for v, _count in pairs} for name, pairs in (facets or {}).items()}
    for name, selected in filters.items():
        values.setdefault(name, set()).update(selected)
    codes = values.get("library", set()) | values.get("available_at", set())
    node_names = (
        dict(Node.objects.filter(code__in=list(codes)).values_list("code", "name")) if codes else {}
    )
    labels = {}
    for name, vals in values.items():
        out = {}
        for value in vals:
            if name == "material_type":
                out[value] = MATERIAL_LABELS.get(value, value)
            elif name == "audience":
                out[value] = AUDIENCE_LABELS.get(value, value)
            elif name == "language":
                out[value] = language_name(value)
            elif name in ("library", "available_at"):
                out[value] = node_names.get(value, value)
            else:
                out[value] = value
        labels[name] = out
    return labels


# ---------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------


def record_slug(record):
    return slugify(record.title or "")[:60].strip("-") or "record"


def live_records(record_ids):
    """The records for ``record_ids`` (search hits), in the same order, skipping records
    deleted or merged since the index saw them. One query."""
    ids = [int(i) for i in record_ids]
    found = Record.objects.filter(pk__in=ids, deleted_at__isnull=True).defer("marc")
    by_id = {r.pk: r for r in found}
    return [by_id[i] for i in ids if i in by_id]


def resolve_record(record_id):
    """(record, survivor): the record itself, and where a merged record now lives.

    Returns (None, None) when there is no such record. ``survivor`` is the record to send
    the reader to when ``record`` was merged (following a chain of merges), else None.
    """
    record = Record.objects.filter(pk=record_id).first()
    if record is None:
        return None, None
    survivor = None
    seen = {record.pk}
    current = record
    while current.merged_into_id and current.merged_into_id not in seen:
        seen.add(current.merged_into_id)
        nxt = Record.objects.filter(pk=current.merged_into_id).first()
        if nxt is None:
            break
        current = nxt
        if not current.is_deleted:
            survivor = current
            break
    return record, survivor


# ---------------------------------------------------------------------------------------
# Availability
# ---------------------------------------------------------------------------------------


@dataclass
class Availability:
    """How many copies a record has and where they can be picked off the shelf now."""

    total: int = 0
    available: int = 0
    available_at: list[str] = field(default_factory=list)  # location names, sorted
    available_at_codes: list[str] = field(default_factory=list)

    def as_dict(self):
        return {
            "total": self.total,
            "available": self.available,
            "available_at": [
                {"code": c, "name": n}
                for c, n in zip(self.available_at_codes, self.available_at, strict=True)
            ],
        }


def availability_for(record_ids):
    """{record_id: Availability} for a page of records in ONE query.

    An available copy stands where it is (its current location) or, when that is not
    recorded, at its home branch.
    """
    ids = list(record_ids)
    result = {rid: Availability() for rid in ids}
    if not ids:
        return result
    rows = (
        Item.objects.filter(record_id__in=ids)
        .exclude(status__in=HIDDEN_STATUSES)
        .values_list(
            "record_id",
            "status",
            "home_branch__code",
            "home_branch__name",
            "current_location__code",
            "current_location__name",
        )
    )
    places = {rid: {} for rid in ids}
    for record_id, status, home_code, home_name, here_code, here_name in rows:
        summary = result[record_id]
        summary.total += 1
        if status == Status.AVAILABLE:
            summary.available += 1
            code, name = (here_code, here_name) if here_code else (home_code, home_name)
            places[record_id][code] = name
    for rid, where in places.items():
        ordered = sorted(where.items(), key=lambda cn: (cn[1] or "").lower())
        result[rid].available_at_codes = [c for c, _n in ordered]
        result[rid].available_at = [n for _c, n in ordered]
    return result


# ---------------------------------------------------------------------------------------
# Copies of one record, grouped per library organisation and branch
# ---------------------------------------------------------------------------------------


@dataclass
class Copy:
    item: Item
    status: str
    status_label: str
    due_date: object = None
    location: Node | None = None  # where it stands now, when not at its home branch

    @property
    def is_available(self):
        return self.status == Status.AVAILABLE


@dataclass
class BranchCopies:
    branch: Node
    copies: list[Copy] = field(default_factory=list)

    @property
    def available(self):
        return sum(1 for c in self.copies if c.is_available)


@dataclass
class LibraryCopies:
    library: Node
    branches: list[BranchCopies] = field(default_factory=list)

    @property
    def total(self):
        return sum(len(b.copies) for b in self.branches)

    @property
    def available(self):
        return sum(b.available for b in self.branches)


def public_items(record_ids):
    """Items the public sees, with their places loaded (one query)."""
    return (
        Item.objects.filter(record_id__in=list(record_ids))
        .exclude(status__in=HIDDEN_STATUSES)
        .select_related("owner", "home_branch", "current_location")
        .order_by("owner__name", "home_branch__name", "shelf_code", "barcode")
    )


def copies_of(record):
    """Every copy of ``record`` the public sees, grouped per organisation then home branch,
    with its live status and (if circulation records loans) its due date. Two queries."""
    items = list(public_items([record.pk]))
    dues = circulation_queries.due_dates([i.pk for i in items if i.status == Status.ON_LOAN])
    libraries = {}
    for item in items:
        lib = libraries.setdefault(item.owner_id, LibraryCopies(library=item.owner))
        if not lib.branches or lib.branches[-1].branch.pk != item.home_branch_id:
            lib.branches.append(BranchCopies(branch=item.home_branch))
        elsewhere = (
            item.current_location
            if item.current_location_id and item.current_location_id != item.home_branch_id
            else None
        )
        lib.branches[-1].copies.append(
            Copy(
                item=item,
                status=item.status,
                status_label=STATUS_LABELS.get(item.status, item.status),
                due_date=dues.get(item.pk),
                location=elsewhere,
            )
        )
    return list(libraries.values())


# ---------------------------------------------------------------------------------------
# schema.org
# ---------------------------------------------------------------------------------------

SCHEMA_TYPES = {
    MaterialType.BOOK: "Book",
    MaterialType.LARGE_PRINT: "Book",
    MaterialType.PICTURE_BOOK: "Book",
    MaterialType.COMIC: "Book",
    MaterialType.EBOOK: "Book",
    MaterialType.AUDIOBOOK: "Audiobook",
    MaterialType.MUSIC: "MusicAlbum",
    MaterialType.DVD: "Movie",
    MaterialType.GAME: "Game",
    MaterialType.MAGAZINE: "Periodical",
    MaterialType.MAP: "Map",
}

_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def schema_org(record, *, url, isbns=(), libraries=()):
    """A schema.org description of ``record`` (and its copies as library offers)."""
    data = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(record.material_type, "CreativeWork"),
        "@id": url,
        "url": url,
        "name": record.title,
    }
    if record.subtitle:
        data["alternativeHeadline"] = record.subtitle
    authors = names(record.authors) or names([record.main_author])
    if authors:
        data["author"] = [{"@type": "Person", "name": a} for a in authors]
    if isbns:
        data["isbn"] = list(isbns) if len(isbns) > 1 else isbns[0]
    if record.year:
        data["datePublished"] = str(record.year)
    if record.language and language_tag(record.language):
        data["inLanguage"] = language_tag(record.language)
    if record.publisher:
        data["publisher"] = {"@type": "Organization", "name": record.publisher}
    if record.subjects:
        data["about"] = names(record.subjects)
    if record.series:
        data["isPartOf"] = {"@type": "CreativeWorkSeries", "name": record.series}
    if record.material_type == MaterialType.EBOOK:
        data["bookFormat"] = "https://schema.org/EBook"
    offers = []
    for lib in libraries:
        for branch in lib.branches:
            for copy in branch.copies:
                offers.append(
                    {
                        "@type": "Offer",
                        "businessFunction": "http://purl.org/goodrelations/v1#LeaseOut",
                        "price": 0,
                        "sku": copy.item.barcode,
                        "availability": "https://schema.org/InStock"
                        if copy.is_available
                        else "https://schema.org/OutOfStock",
                        "seller": {"@type": "Library", "name": lib.library.name},
                        "availableAtOrFrom": {
                            "@type": "Library",
                            "name": branch.branch.name,
                            "address": branch.branch.town or None,
                        },
                    }
                )
    if offers:
        data["offers"] = offers
    return data


def json_ld(data):
    """JSON safe to embed in a <script type="application/ld+json"> element."""
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        _JSON_SCRIPT_ESCAPES
    )
