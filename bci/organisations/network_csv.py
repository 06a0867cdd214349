"""Reading and checking a network CSV: columns, kinds, coordinates, derived codes.

Pure parsing and validation; ``services.import_network`` writes the result.
"""


import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .errors import NetworkImportError
from .models import Node

# --- the CSV shape ----------------------------------------------------------------------

REQUIRED_COLUMNS = (
    "province",
    "poi",
    "organisation",
    "branch",
    "town",
    "lat",
    "lon",
    "kind",
    "confidence",
)
OPTIONAL_COLUMNS = ("code", "address", "postcode", "population", "organisation_code", "poi_code")

# The kinds a row may carry: the location kinds of the tree.
ROW_KINDS = tuple(Node.Kind.location_kinds())
# A hub whose poi is "national" hangs directly under the network (the IBL night hub).
NATIONAL = "national"

# Rows are Dutch locations: coordinates outside this box are typing errors (swapped lat/lon,
# a missing decimal point). Bonaire, Sint Eustatius and Saba would need a wider box.
NL_LATITUDE = (50.6, 53.7)
NL_LONGITUDE = (3.2, 7.3)

DEFAULT_NETWORK_CODE = "BCI"
DEFAULT_NETWORK_NAME = "BCI-diensten"

# Node.code allows 64 characters, but codes also travel as the "where" of every event
# (core.Event.location_code, 32 characters) and ISILs are at most 16: codes stay within 32.
CODE_MAX = 32
# A derived organisation code longer than this becomes the initials of its words.
ORG_CODE_LONG = 16
# Words dropped from a derived location code that would otherwise be too long.
FILLER_WORDS = {"EN", "DE", "HET", "T", "OP", "AAN", "BIJ", "VAN", "DER", "DEN", "IN"}
_LIMITS = {
    "province": Node._meta.get_field("province").max_length,
    "poi": Node._meta.get_field("name").max_length,
    "organisation": Node._meta.get_field("name").max_length,
    "branch": Node._meta.get_field("name").max_length,
    "town": Node._meta.get_field("town").max_length,
    "address": Node._meta.get_field("address").max_length,
    "postcode": Node._meta.get_field("postcode").max_length,
    "confidence": Node._meta.get_field("source_note").max_length,
    "code": CODE_MAX,
    "organisation_code": CODE_MAX,
    "poi_code": CODE_MAX,
}


# --- readable, stable codes ---------------------------------------------------------------


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


# --- parsing ------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    province: str
    poi: str
    organisation: str
    branch: str
    town: str
    lat: float | None
    lon: float | None
    kind: str
    confidence: str
    code: str = ""
    address: str = ""
    postcode: str = ""
    population: int | None = None
    organisation_code: str = ""
    poi_code: str = ""
    has_explicit_code: bool = False


def _open_rows(file, rows):
    """(header, [(line, {column: value})]) from a path, a text file or a list of dicts."""
    if rows is not None:
        rows = [
            {str(k).strip().lower(): "" if v is None else str(v) for k, v in r.items()}
            for r in rows
        ]
        header = list(rows[0].keys()) if rows else list(REQUIRED_COLUMNS)
        return header, [(i + 2, r) for i, r in enumerate(rows)], ","
    if file is None:
        raise TypeError("import_network needs file= or rows=")
    data = Path(file).read_bytes() if isinstance(file, (str, Path)) else file.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            raise NetworkImportError(
                line=line, column="-", problem=_("the file is not UTF-8 text")
            ) from None
    text = data.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    # Spreadsheets with a Dutch locale export semicolons (and decimal commas).
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise NetworkImportError(line=1, column="-", problem=_("the file is empty")) from None
    _check_header(header)
    parsed = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise NetworkImportError(
                    line=reader.line_num,
                    column="-",
                    problem=_("%(found)s values for %(expected)s columns")
                    % {"found": len(values), "expected": len(header)},
                )
            parsed.append((reader.line_num, dict(zip(header, values, strict=True))))
    except csv.Error as exc:  # bad quoting: "Centrum"x, an unclosed quote
        raise NetworkImportError(line=reader.line_num, column="-", problem=str(exc)) from None
    return header, parsed, delimiter


def _coordinate(value, *, line, column, limit, nl_range, decimal_comma):
    text = (value or "").strip()
    if decimal_comma:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise NetworkImportError(
            line=line, column=column, problem=_("%(value)r is not a number") % {"value": value}
        ) from None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise NetworkImportError(
            line=line,
            column=column,
            problem=_("%(value)s is outside -%(limit)s..%(limit)s")
            % {"value": text, "limit": limit},
        )
    low, high = nl_range
    if not low <= number <= high:
        raise NetworkImportError(
            line=line,
            column=column,
            problem=_("%(value)s is outside the Netherlands (%(low)s..%(high)s)")
            % {"value": text, "low": low, "high": high},
        )
    return number


def _parse_row(line, raw, *, decimal_comma):
    def text(column, *, required=False):
        value = (raw.get(column) or "").strip()
        if column not in raw and column in REQUIRED_COLUMNS:
            raise NetworkImportError(line=line, column=column, problem=_("the value is missing"))
        if required and not value:
            raise NetworkImportError(line=line, column=column, problem=_("may not be empty"))
        limit = _LIMITS.get(column)
        if limit and len(value) > limit:
            raise NetworkImportError(
                line=line,
                column=column,
                problem=_("longer than %(limit)s characters") % {"limit": limit},
            )
        return value

    kind = text("kind", required=True).lower()
    if kind not in ROW_KINDS:
        raise NetworkImportError(
            line=line,
            column="kind",
            problem=_("unknown kind %(kind)r (expected one of %(kinds)s)")
            % {"kind": kind, "kinds": ", ".join(ROW_KINDS)},
        )
    poi = text("poi", required=True)
    if poi.lower() == NATIONAL and kind != Node.Kind.HUB:
        raise NetworkImportError(
            line=line, column="poi", problem=_("only a hub can be national (not under a POI)")
        )
    lending = kind in Node.Kind.lending_kinds()
    lat_raw, lon_raw = (raw.get("lat") or "").strip(), (raw.get("lon") or "").strip()
    if not lat_raw and not lon_raw:
        lat = lon = None  # allowed: a location without a place on the map
    else:
        lat = _coordinate(
            lat_raw,
            line=line,
            column="lat",
            limit=90,
            nl_range=NL_LATITUDE,
            decimal_comma=decimal_comma,
        )
        lon = _coordinate(
            lon_raw,
            line=line,
            column="lon",
            limit=180,
            nl_range=NL_LONGITUDE,
            decimal_comma=decimal_comma,
        )
    population_raw = text("population")
    population = None
    if population_raw:
        if not population_raw.isdigit():
            raise NetworkImportError(
                line=line,
                column="population",
                problem=_("%(value)r is not a whole number") % {"value": population_raw},
            )
        population = int(population_raw)
    code = text("code")
    return _Row(
        line=line,
        province=text("province"),
        poi=poi,
        organisation=text("organisation", required=lending),
        branch=text("branch", required=True),
        town=text("town"),
        lat=lat,
        lon=lon,
        kind=kind,
        confidence=text("confidence"),
        code=code,
        address=text("address"),
        postcode=text("postcode"),
        population=population,
        organisation_code=text("organisation_code"),
        poi_code=text("poi_code"),
        has_explicit_code=bool(code),
    )


def _free_org_code(name, taken):
    """The derived code of organisation ``name``, or a longer one if another organisation
    in the file already has it."""
    short = organisation_code(name)
    candidates = [short, _fit(code_slug(name, keep_parenthesised=True))]
    candidates += [f"{short[: CODE_MAX - 3]}-{n}" for n in range(2, 100)]
    return next((c for c in candidates if c and c not in taken), short)


def _derive_codes(rows):
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


def _check_header(header):
    twice = sorted({c for c in header if c and header.count(c) > 1})
    if twice:
        raise NetworkImportError(
            line=1, column=twice[0], problem=_("the column appears more than once")
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise NetworkImportError(
            line=1,
            column=missing[0],
            problem=_("missing column(s): %(columns)s") % {"columns": ", ".join(missing)},
        )


def _validate(file, rows):
    header, raw_rows, delimiter = _open_rows(file, rows)
    _check_header(header)
    if not raw_rows:
        raise NetworkImportError(line=2, column="-", problem=_("the file has no rows"))
    parsed = [_parse_row(line, raw, decimal_comma=delimiter == ";") for line, raw in raw_rows]
    _derive_codes(parsed)
    return parsed, set(header)
