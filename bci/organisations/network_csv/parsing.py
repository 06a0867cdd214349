"""Reading the rows of a network CSV and checking each one; ``validate`` is the entry
point (``codes.derive_codes`` fills in the codes)."""

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from ..errors import NetworkImportError
from ..models import Node
from .codes import CODE_MAX, derive_codes
from .shape import NATIONAL, NL_LATITUDE, NL_LONGITUDE, REQUIRED_COLUMNS, ROW_KINDS

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


def validate(file, rows):
    header, raw_rows, delimiter = _open_rows(file, rows)
    _check_header(header)
    if not raw_rows:
        raise NetworkImportError(line=2, column="-", problem=_("the file has no rows"))
    parsed = [_parse_row(line, raw, decimal_comma=delimiter == ";") for line, raw in raw_rows]
    derive_codes(parsed)
    return parsed, set(header)
