"""Identifier normalisation: ISBN, ISSN, PPN, 035 system numbers, NBD Biblion numbers.

Pure functions, no Django. Each ``normalise_*`` returns the canonical form or ``None``
for a value that is not valid (invalid values are kept out of matching, never raise).
"""

import re

from stdnum import ean as _ean
from stdnum import isbn as _isbn
from stdnum import issn as _issn
from stdnum.exceptions import ValidationError

_ISBN_CANDIDATE = re.compile(r"[0-9][0-9Xx\- ]{8,16}[0-9Xx]")
_ISSN_CANDIDATE = re.compile(r"[0-9]{4}-?[0-9]{3}[0-9Xx]")
_PPN = re.compile(r"^[0-9]{8}[0-9Xx]$")
_PREFIX = re.compile(r"^\s*\(([^)]*)\)\s*(.*?)\s*$")

# 035 prefixes that carry a PPN (the GGC / NBC+ record number) or an NBD Biblion number.
PPN_PREFIXES = {"ppn", "nl-lbr", "ocolc-nl", "ggc", "nbc", "nl-0100030000"}
NBD_PREFIXES = {"nbd", "nbd-biblion", "biblion", "nl-nbd"}


def normalise_isbn(value):
    """ISBN-13 without hyphens for a valid ISBN-10 or ISBN-13 at the start of ``value``
    (020 $a often carries a qualifier: "9789025369234 (gebonden)"), else None."""
    if not value:
        return None
    match = _ISBN_CANDIDATE.search(value)
    if not match:
        return None
    candidate = match.group(0)
    if len(candidate) == 13 and candidate[:3] in ("978", "979") and candidate.isdigit():
        # the common case, checked by stdnum's EAN check digit without the full validation
        return candidate if _ean.calc_check_digit(candidate[:12]) == candidate[12] else None
    try:
        return _isbn.to_isbn13(_isbn.validate(candidate))
    except ValidationError:
        compact = re.sub(r"[^0-9Xx]", "", candidate)
        for size in (13, 10):  # "9789025369234 12 p." glued by the regex: try prefixes
            try:
                return _isbn.to_isbn13(_isbn.validate(compact[:size]))
            except ValidationError:
                continue
    return None


def normalise_issn(value):
    """ISSN as NNNN-NNNC for a valid ISSN in ``value``, else None."""
    if not value:
        return None
    match = _ISSN_CANDIDATE.search(value)
    if not match:
        return None
    try:
        return _issn.format(_issn.validate(match.group(0)))
    except ValidationError:
        return None


def ppn_check_digit(first8):
    """The PPN check character for eight digits: weights 9..2, (11 - sum mod 11) mod 11,
    10 written as 'X'."""
    total = sum(int(d) * w for d, w in zip(first8, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def is_valid_ppn(value):
    value = (value or "").strip()
    if not _PPN.match(value):
        return False
    return ppn_check_digit(value[:8]) == value[8].upper()


def normalise_ppn(value):
    value = (value or "").strip().upper()
    if value.startswith("PPN"):
        value = value[3:].strip(" :")
    return value if is_valid_ppn(value) else None


def split_prefix(value):
    """'(OCoLC)123' -> ('OCoLC', '123'); '123' -> ('', '123')."""
    match = _PREFIX.match(value or "")
    if match:
        return match.group(1).strip(), match.group(2)
    return "", (value or "").strip()


def is_shared_system_number(value):
    """Does a normalised 035 system number name the same title in every library? Only
    OCLC numbers do; others are local to one library system's number space."""
    return value.startswith("(OCoLC)")


def normalise_system_number(value):
    """A 035 $a as (scheme, value): PPN and NBD numbers get their own scheme, everything
    else is a system number '(PREFIX)NUMBER' with OCLC's ocm/ocn/on prefixes removed.
    Returns None for empty or unusable values."""
    prefix, number = split_prefix(value)
    number = number.strip()
    if len(number) < 3 or not any(c.isdigit() for c in number):
        return None  # "*", "n/a", "?": placeholders, not numbers
    lowered = prefix.lower()
    if lowered in PPN_PREFIXES:
        ppn = normalise_ppn(number)
        return ("ppn", ppn) if ppn else None
    if lowered in NBD_PREFIXES:
        return ("nbd", re.sub(r"\s+", "", number))
    if lowered == "ocolc":
        number = re.sub(r"^(ocm|ocn|on)", "", number).lstrip("0") or "0"
        prefix = "OCoLC"
    if not prefix:
        return ("system", number[:100])
    return ("system", f"({prefix}){number}"[:100])
