"""schema.org descriptions of records, as JSON-LD safe to embed in a page."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder

from bci.catalogue.fields import names
from bci.catalogue.models import MaterialType

from .labels import language_tag

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
