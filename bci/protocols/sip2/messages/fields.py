"""SIP2 field ids, fixed-field kinds (length, validator, description) and value
sanitising."""

from __future__ import annotations

import re

from .dates import parse_date

MAX_FIELD_LENGTH = 255  # the spec: variable-length fields hold 0 to 255 characters

# --- field ids -----------------------------------------------------------------------------

FIELD_NAMES = {
    "AA": "patron identifier",
    "AB": "item identifier",
    "AC": "terminal password",
    "AD": "patron password",
    "AE": "personal name",
    "AF": "screen message",
    "AG": "print line",
    "AH": "due date",
    "AJ": "title identifier",
    "AL": "blocked card msg",
    "AM": "library name",
    "AN": "terminal location",
    "AO": "institution id",
    "AP": "current location",
    "AQ": "permanent location",
    "AS": "hold items",
    "AT": "overdue items",
    "AU": "charged items",
    "AV": "fine items",
    "AY": "sequence number",
    "AZ": "checksum",
    "BD": "home address",
    "BE": "e-mail address",
    "BF": "home phone number",
    "BG": "owner",
    "BH": "currency type",
    "BI": "cancel",
    "BK": "transaction id",
    "BL": "valid patron",
    "BM": "renewed items",
    "BN": "unrenewed items",
    "BO": "fee acknowledged",
    "BP": "start item",
    "BQ": "end item",
    "BR": "queue position",
    "BS": "pickup location",
    "BT": "fee type",
    "BU": "recall items",
    "BV": "fee amount",
    "BW": "expiration date",
    "BX": "supported messages",
    "BY": "hold type",
    "BZ": "hold items limit",
    "CA": "overdue items limit",
    "CB": "charged items limit",
    "CC": "fee limit",
    "CD": "unavailable hold items",
    "CF": "hold queue length",
    "CG": "fee identifier",
    "CH": "item properties",
    "CI": "security inhibit",
    "CJ": "recall date",
    "CK": "media type",
    "CL": "sort bin",
    "CM": "hold pickup date",
    "CN": "login user id",
    "CO": "login password",
    "CP": "location code",
    "CQ": "valid patron password",
    # 3M extensions that kiosks and sorters read (Evergreen and Koha send them too)
    "CR": "collection code",
    "CS": "call number",
    "CT": "destination location",
    "CV": "alert type",
    "CY": "hold patron id",
    "DA": "hold patron name",
}

SECRET_FIELDS = ("AC", "AD", "CN", "CO")

# --- fixed-field kinds ----------------------------------------------------------------------
# kind -> (length, validator(value) -> bool, human description)

_DIGITS = re.compile(r"[0-9]+\Z")
_VERSION = re.compile(r"[0-9]\.[0-9][0-9]\Z")


def _valid_date(value: str) -> bool:
    return parse_date(value) is not None


def _valid_date_or_blank(value: str) -> bool:
    return value == " " * 18 or _valid_date(value)


def _only(chars: str):
    return lambda v: all(c in chars for c in v)


def _digits_or_blank(v: str) -> bool:
    return bool(_DIGITS.match(v)) or v == " " * len(v)


KINDS = {
    "yn": (1, _only("YN"), "Y or N"),
    "ynu": (1, _only("YNU"), "Y, N or U"),
    "bit": (1, _only("01"), "0 or 1"),
    "date": (18, _valid_date, "a date YYYYMMDDZZZZHHMMSS"),
    "date_or_blank": (18, _valid_date_or_blank, "a date YYYYMMDDZZZZHHMMSS or blanks"),
    "language": (3, lambda v: bool(_DIGITS.match(v)), "three digits"),
    "count": (4, _digits_or_blank, "four digits or blanks"),
    "digits2": (2, lambda v: bool(_DIGITS.match(v)), "two digits"),
    "digits3": (3, lambda v: bool(_DIGITS.match(v)), "three digits"),
    "status14": (14, _only("YN "), "14 of Y, N or blank"),
    "summary10": (10, _only("YN "), "10 of Y, N or blank"),
    "hold_mode": (1, _only("+-*"), "+, - or *"),
    "currency": (
        3,
        lambda v: v.isascii() and (v.isalpha() and v.isupper() or v == "   "),
        "three upper-case letters",
    ),
    "char": (1, lambda v: v.isascii() and v.isprintable() and v != "|", "one printable character"),
    "version": (4, lambda v: bool(_VERSION.match(v)), "a version like 2.00"),
    "sc_status": (1, _only("012"), "0, 1 or 2"),
}

# --- values ---------------------------------------------------------------------------------

CONTROL = {c: None for c in range(0x20)} | {0x7F: None} | {c: None for c in range(0x80, 0xA0)}


def clean(value: object) -> str:
    """A field value fit for the wire: no control characters, no ``|`` (it becomes ``/``),
    at most 255 characters."""
    text = "" if value is None else str(value)
    text = text.translate(CONTROL).replace("|", "/")
    return text[:MAX_FIELD_LENGTH]


def flag(value: bool) -> str:
    return "Y" if value else "N"
