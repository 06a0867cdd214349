"""Translated labels for the codes the public catalogue shows: languages, facets, material
types, audiences, identifier schemes and item statuses."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bci.catalogue.models import Audience, Item, MaterialType
from bci.organisations.models import Node

Status = Item.Status

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
