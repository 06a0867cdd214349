"""Readable, stable codes for the nodes of a network CSV, derived from their names when
the file gives none, unique within the file."""

import re

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ..errors import NetworkImportError
from ..models import Node
from .shape import NATIONAL

# Node.code allows 64 characters, but codes also travel as the "where" of every event
# (core.Event.location_code, 32 characters) and ISILs are at most 16: codes stay within 32.
CODE_MAX = 32
# A derived organisation code longer than this becomes the initials of its words.
ORG_CODE_LONG = 16
# Words dropped from a derived location code that would otherwise be too long.
FILLER_WORDS = {"EN", "DE", "HET", "T", "OP", "AAN", "BIJ", "VAN", "DER", "DEN", "IN"}


def code_slug(text, *, keep_parenthesised=False):
    """Upper-case ASCII slug: "Lek & IJssel" -> "LEK-IJSSEL", "Z-O-U-T" -> "ZOUT".

    Parenthesised remarks ("Leersum (De Binder)") are dropped unless asked for; runs of
    single letters are joined so that spelled-out abbreviations stay one word.
    """
    if not keep_parenthesised:
        text = re.sub(r"\([^)]*\)", " ", text)
    parts = [p for p in slugify(text).split("-") if p]
    merged, run = [], ""
    for part in parts:
        if len(part) == 1:
            run += part
            continue
        if run:
            merged.append(run)
            run = ""
        merged.append(part)
    if run:
        merged.append(run)
    return "-".join(merged).upper()


def organisation_code(name):
    """ "Bibliotheek Utrecht" -> "UTRECHT"; "Noord Oost Brabantse Bibliotheken (NOBB)" -> "NOBB";
    "Bibliotheek Angstel Vecht en Venen" -> "AVV".

    An abbreviation in brackets wins; the generic word "Bibliotheek" in front is dropped; a
    name whose slug is longer than 16 characters is shortened to its initials (without
    "en"), the way libraries abbreviate themselves.
    """
    acronym = re.search(r"\(\s*([A-Z][A-Z0-9]{1,9})\s*\)", name)
    if acronym:
        return acronym.group(1)
    stripped = re.sub(r"^\s*(de\s+)?bibliotheek\s+", "", name, flags=re.IGNORECASE)
    slug = code_slug(stripped) or code_slug(name, keep_parenthesised=True)
    if len(slug) > ORG_CODE_LONG:
        words = [w for w in slug.split("-") if w != "EN"]
        if len(words) >= 2:
            return "".join(w[0] for w in words)
    return _fit(slug)


def location_code(parent_code, name, *, town="", keep_parenthesised=False):
    """Parent code + "-" + slug of the location name ("UTRECHT-NEUDE"), without repeating
    the parent's code when the name already starts with it ("BISC-DEPOT"); a location
    named like its organisation takes its town instead ("CENTRE-CERAMIQUE-MAASTRICHT").
    Too long: filler words go ("...-BERG-TERBLIJT"), then whole words from the end."""
    slug = code_slug(name, keep_parenthesised=keep_parenthesised)
    if parent_code and slug.startswith(parent_code + "-"):
        slug = slug[len(parent_code) + 1 :]
    elif parent_code and slug == parent_code and town:
        slug = code_slug(town)
    prefix = f"{parent_code}-" if parent_code else ""
    if len(prefix + slug) > CODE_MAX:
        slug = "-".join(w for w in slug.split("-") if w not in FILLER_WORDS) or slug
    return _fit(prefix + slug) if slug else parent_code


def _fit(code):
    """``code`` cut to CODE_MAX characters at a word boundary where possible."""
    if len(code) <= CODE_MAX:
        return code
    cut = code[: CODE_MAX + 1].rsplit("-", 1)[0]
    return cut if len(cut) >= CODE_MAX // 2 else code[:CODE_MAX].rstrip("-")


def _free_org_code(name, taken):
    """The derived code of organisation ``name``, or a longer one if another organisation
    in the file already has it."""
    short = organisation_code(name)
    candidates = [short, _fit(code_slug(name, keep_parenthesised=True))]
    candidates += [f"{short[: CODE_MAX - 3]}-{n}" for n in range(2, 100)]
    return next((c for c in candidates if c and c not in taken), short)


def derive_codes(rows):
    """Fill in POI, organisation and location codes; refuse contradictions.

    Derived codes are deterministic: the same file gives the same codes. A derived
    location code that two rows would share is made unique by keeping the bracketed part of
    the name, then by a number in file order.
    """
    poi_by_code, org_by_code, org_parent, derived_orgs = {}, {}, {}, {}
    for row in rows:
        if row.poi.lower() != NATIONAL:
            row.poi_code = row.poi_code or _fit(code_slug(row.poi))
            if not row.poi_code:
                raise NetworkImportError(
                    line=row.line, column="poi", problem=_("no code can be made from this name")
                )
            seen = poi_by_code.setdefault(row.poi_code, (row.poi, row.line))
            if seen[0] != row.poi:
                raise NetworkImportError(
                    line=row.line,
                    column="poi",
                    problem=_("POI code %(code)s is used for %(other)r on line %(other_line)s")
                    % {"code": row.poi_code, "other": seen[0], "other_line": seen[1]},
                )
        if row.kind in Node.Kind.lending_kinds():
            if not row.organisation_code:
                row.organisation_code = derived_orgs.get(row.organisation) or _free_org_code(
                    row.organisation, org_by_code
                )
                derived_orgs[row.organisation] = row.organisation_code
            if not row.organisation_code:
                raise NetworkImportError(
                    line=row.line,
                    column="organisation",
                    problem=_("no code can be made from this name"),
                )
            seen = org_by_code.setdefault(row.organisation_code, (row.organisation, row.line))
            if seen[0] != row.organisation:
                raise NetworkImportError(
                    line=row.line,
                    column="organisation",
                    problem=_("code %(code)s is used for %(other)r on line %(other_line)s")
                    % {"code": row.organisation_code, "other": seen[0], "other_line": seen[1]},
                )
            parent = org_parent.setdefault(row.organisation_code, (row.poi_code, row.line))
            if parent[0] != row.poi_code:
                raise NetworkImportError(
                    line=row.line,
                    column="poi",
                    problem=_("%(org)r is under another POI on line %(other_line)s")
                    % {"org": row.organisation, "other_line": parent[1]},
                )

    def parent_code(row):
        if row.kind in Node.Kind.lending_kinds():
            return row.organisation_code
        return "" if row.poi.lower() == NATIONAL else row.poi_code

    taken = {}  # code -> line
    for code in list(poi_by_code) + list(org_by_code):
        taken[code] = 0
    # Explicit codes first: they are what the operator asked for.
    for row in rows:
        if row.has_explicit_code:
            if row.code in taken:
                raise NetworkImportError(
                    line=row.line,
                    column="code",
                    problem=_("code %(code)s is used twice (also line %(other)s)")
                    % {"code": row.code, "other": taken[row.code] or "-"},
                )
            taken[row.code] = row.line
    places = {}  # (parent code, name) -> line: one row per location
    for row in rows:
        place = (parent_code(row), row.branch.casefold())
        if place in places:
            raise NetworkImportError(
                line=row.line,
                column="branch",
                problem=_("the same location as line %(other)s") % {"other": places[place]},
            )
        places[place] = row.line
    for row in rows:
        if row.has_explicit_code:
            continue
        candidates = [
            location_code(parent_code(row), row.branch, town=row.town),
            location_code(parent_code(row), row.branch, town=row.town, keep_parenthesised=True),
        ]
        code = next((c for c in candidates if c and c not in taken), None)
        number = 2
        while code is None:
            base = candidates[0][: CODE_MAX - len(str(number)) - 1].rstrip("-")
            code = f"{base}-{number}" if f"{base}-{number}" not in taken else None
            number += 1
        row.code = code
        taken[code] = row.line
