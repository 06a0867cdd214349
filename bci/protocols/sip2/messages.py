"""SIP2 (3M Standard Interchange Protocol 2.00) messages: pure parse and format.

No Django here. ``parse()`` turns the bytes of one message (terminator optional) into a
``Message`` or raises ``ParseError`` with a clear reason; it never raises anything else.
``encode()`` turns a ``Message`` back into bytes, adding the error-detection trailer
(``AY<sequence>AZ<checksum>``) when asked.

Layout of a message: two-digit code, fixed-length fields in a fixed order, then
variable-length fields ``<2-char id><value>|``. Dates are ``YYYYMMDDZZZZHHMMSS`` (ZZZZ is
four blanks for local time). The checksum is the 16-bit two's complement of the sum of
the message's bytes up to and including ``AZ``, written as four upper-case hex digits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

TERMINATOR = b"\r"
MAX_FIELD_LENGTH = 255  # the spec: variable-length fields hold 0 to 255 characters
PROTOCOL_VERSION = "2.00"


class ParseError(ValueError):
    """A message that cannot be accepted. ``reason`` is a short English explanation;
    ``kind`` is one of: empty, encoding, checksum, unknown_message, fixed_field,
    variable_field, too_long."""

    def __init__(self, reason: str, *, kind: str = "malformed", code: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.code = code  # the two-digit message code, when it could be read


class FormatError(ValueError):
    """Raised by ``encode()`` when *we* try to write an invalid fixed field (a bug)."""


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
_TZ = re.compile(r"[A-Z0-9 ]{4}\Z")


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


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    fixed: tuple[tuple[str, str], ...]  # (name, kind)
    fields: tuple[str, ...] = ()  # the variable fields the spec lists (others are tolerated)
    response: str | None = None  # for a request: the code of its answer

    @property
    def fixed_length(self) -> int:
        return sum(KINDS[kind][0] for _, kind in self.fixed)


def _s(code, name, fixed=(), fields="", response=None):
    return Spec(code, name, tuple(fixed), tuple(fields.split()), response)


_TD = ("transaction_date", "date")

SPECS: dict[str, Spec] = {
    s.code: s
    for s in [
        # requests: self-check (SC) -> library system (ACS)
        _s("93", "Login", [("uid_algorithm", "char"), ("pwd_algorithm", "char")], "CN CO CP", "94"),
        _s(
            "99",
            "SC Status",
            [
                ("status_code", "sc_status"),
                ("max_print_width", "digits3"),
                ("protocol_version", "version"),
            ],
            "",
            "98",
        ),
        _s("97", "Request ACS Resend", [], "", None),
        _s("23", "Patron Status Request", [("language", "language"), _TD], "AO AA AC AD", "24"),
        _s(
            "63",
            "Patron Information",
            [("language", "language"), _TD, ("summary", "summary10")],
            "AO AA AC AD BP BQ",
            "64",
        ),
        _s(
            "11",
            "Checkout",
            [
                ("sc_renewal_policy", "yn"),
                ("no_block", "yn"),
                _TD,
                ("nb_due_date", "date_or_blank"),
            ],
            "AO AA AB AC CH AD BO BI",
            "12",
        ),
        _s(
            "09",
            "Checkin",
            [("no_block", "yn"), _TD, ("return_date", "date_or_blank")],
            "AP AO AB AC CH BI",
            "10",
        ),
        _s(
            "29",
            "Renew",
            [
                ("third_party_allowed", "yn"),
                ("no_block", "yn"),
                _TD,
                ("nb_due_date", "date_or_blank"),
            ],
            "AO AA AD AB AJ AC CH BO",
            "30",
        ),
        _s("65", "Renew All", [_TD], "AO AA AD AC BO", "66"),
        _s("17", "Item Information", [_TD], "AO AB AC", "18"),
        _s("35", "End Patron Session", [_TD], "AO AA AC AD", "36"),
        _s(
            "37",
            "Fee Paid",
            [
                _TD,
                ("fee_type", "digits2"),
                ("payment_type", "digits2"),
                ("currency_type", "currency"),
            ],
            "BV AO AA AC AD CG BK",
            "38",
        ),
        _s("15", "Hold", [("hold_mode", "hold_mode"), _TD], "BW BS BY AO AA AD AB AJ AC BO", "16"),
        _s("19", "Item Status Update", [_TD], "AO AB AC CH", "20"),
        _s("25", "Patron Enable", [_TD], "AO AA AC AD", "26"),
        _s("01", "Block Patron", [("card_retained", "yn"), _TD], "AO AL AA AC", "24"),
        # responses: ACS -> SC
        _s("94", "Login Response", [("ok", "bit")]),
        _s("96", "Request SC Resend"),
        _s(
            "98",
            "ACS Status",
            [
                ("online_status", "yn"),
                ("checkin_ok", "yn"),
                ("checkout_ok", "yn"),
                ("acs_renewal_policy", "yn"),
                ("status_update_ok", "yn"),
                ("offline_ok", "yn"),
                ("timeout_period", "digits3"),
                ("retries_allowed", "digits3"),
                ("date_time_sync", "date"),
                ("protocol_version", "version"),
            ],
            "AO AM BX AN AF AG",
        ),
        _s(
            "24",
            "Patron Status Response",
            [("patron_status", "status14"), ("language", "language"), _TD],
            "AO AA AE BL CQ BH BV AF AG",
        ),
        _s(
            "64",
            "Patron Information Response",
            [
                ("patron_status", "status14"),
                ("language", "language"),
                _TD,
                ("hold_items_count", "count"),
                ("overdue_items_count", "count"),
                ("charged_items_count", "count"),
                ("fine_items_count", "count"),
                ("recall_items_count", "count"),
                ("unavailable_holds_count", "count"),
            ],
            "AO AA AE BZ CA CB BL CQ BH BV CC AS AT AU AV BU CD BD BE BF AF AG",
        ),
        _s(
            "12",
            "Checkout Response",
            [
                ("ok", "bit"),
                ("renewal_ok", "yn"),
                ("magnetic_media", "ynu"),
                ("desensitize", "ynu"),
                _TD,
            ],
            "AO AA AB AJ AH BT CI BH BV CK CH BK AF AG",
        ),
        _s(
            "10",
            "Checkin Response",
            [("ok", "bit"), ("resensitize", "yn"), ("magnetic_media", "ynu"), ("alert", "yn"), _TD],
            "AO AB AQ AJ CL AA CK CH CT CV CY DA AF AG",
        ),
        _s(
            "30",
            "Renew Response",
            [
                ("ok", "bit"),
                ("renewal_ok", "yn"),
                ("magnetic_media", "ynu"),
                ("desensitize", "ynu"),
                _TD,
            ],
            "AO AA AB AJ AH BT CI BH BV CK CH BK AF AG",
        ),
        _s(
            "66",
            "Renew All Response",
            [("ok", "bit"), ("renewed_count", "count"), ("unrenewed_count", "count"), _TD],
            "AO BM BN AF AG",
        ),
        _s(
            "18",
            "Item Information Response",
            [
                ("circulation_status", "digits2"),
                ("security_marker", "digits2"),
                ("fee_type", "digits2"),
                _TD,
            ],
            "CF AH CJ CM AB AJ BG BH BV CK AQ AP CH AF AG",
        ),
        _s("36", "End Session Response", [("end_session", "yn"), _TD], "AO AA AF AG"),
        _s("38", "Fee Paid Response", [("payment_accepted", "yn"), _TD], "AO AA BK AF AG"),
        _s(
            "16",
            "Hold Response",
            [("ok", "bit"), ("available", "yn"), _TD],
            "BW BR BS AO AA AB AJ AF AG",
        ),
        _s(
            "20",
            "Item Status Update Response",
            [("item_properties_ok", "bit"), _TD],
            "AB AJ CH AF AG",
        ),
        _s(
            "26",
            "Patron Enable Response",
            [("patron_status", "status14"), ("language", "language"), _TD],
            "AO AA AE BL CQ AF AG",
        ),
    ]
}

REQUEST_CODES = tuple(code for code, s in SPECS.items() if s.response or code == "97")

# The "supported messages" field (BX) of the ACS status: 16 positions in this order.
SUPPORTED_MESSAGES_ORDER = (
    "23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19", "25", "15",
    "29", "65",
)  # fmt: skip


def supported_messages(codes: Iterable[str]) -> str:
    codes = set(codes)
    return "".join("Y" if c in codes else "N" for c in SUPPORTED_MESSAGES_ORDER)


# Code tables (for handlers and docs).
LANGUAGE_UNKNOWN = "000"
LANGUAGE_ENGLISH = "001"
LANGUAGE_DUTCH = "005"

PATRON_STATUS_FLAGS = (
    "charge_denied",
    "renewal_denied",
    "recall_denied",
    "hold_denied",
    "card_lost",
    "too_many_charged",
    "too_many_overdue",
    "too_many_renewals",
    "too_many_claims_returned",
    "too_many_lost",
    "excessive_fines",
    "excessive_fees",
    "recall_overdue",
    "too_many_billed",
)

SUMMARY_FIELDS = ("AS", "AT", "AU", "AV", "BU", "CD")  # positions 0..5 of the summary


class CirculationStatus:
    OTHER = "01"
    ON_ORDER = "02"
    AVAILABLE = "03"
    CHARGED = "04"
    CHARGED_NOT_RECALLABLE = "05"
    IN_PROCESS = "06"
    RECALLED = "07"
    WAITING_ON_HOLD_SHELF = "08"
    WAITING_TO_BE_RESHELVED = "09"
    IN_TRANSIT = "10"
    CLAIMED_RETURNED = "11"
    LOST = "12"
    MISSING = "13"


class FeeType:
    OTHER = "01"
    ADMINISTRATIVE = "02"
    DAMAGE = "03"
    OVERDUE = "04"
    PROCESSING = "05"
    RENTAL = "06"
    REPLACEMENT = "07"
    COMPUTER_ACCESS = "08"
    HOLD_FEE = "09"


class MediaType:
    OTHER = "000"
    BOOK = "001"
    MAGAZINE = "002"
    BOUND_JOURNAL = "003"
    AUDIO_TAPE = "004"
    VIDEO_TAPE = "005"
    CD = "006"
    DISKETTE = "007"
    BOOK_WITH_DISKETTE = "008"
    BOOK_WITH_CD = "009"
    BOOK_WITH_AUDIO_TAPE = "010"


class AlertType:  # checkin response CV (3M extension, as Evergreen and Koha send it)
    UNKNOWN = "00"
    HOLD_LOCAL = "01"
    HOLD_OTHER_BRANCH = "02"
    HOLD_ILL = "03"
    SEND_TO_OTHER_BRANCH = "04"
    OTHER = "99"


# --- dates ----------------------------------------------------------------------------------


def format_date(value: dt.datetime | dt.date | None) -> str:
    """``YYYYMMDDZZZZHHMMSS`` with ZZZZ blank (local time: pass local wall-clock values).
    A date becomes its end of day (23:59:59), as due dates are read by kiosks."""
    if value is None:
        return " " * 18
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59))
    return f"{value:%Y%m%d}    {value:%H%M%S}"


def parse_date(value: str) -> dt.datetime | None:
    """The naive datetime of a SIP date, or None when it is not a valid one."""
    if not isinstance(value, str) or len(value) != 18 or not value.isascii():
        return None
    day, zone, clock = value[:8], value[8:12], value[12:]
    if not (day.isdigit() and clock.isdigit() and _TZ.match(zone)):
        return None
    try:
        return dt.datetime(
            int(day[:4]), int(day[4:6]), int(day[6:8]),
            int(clock[:2]), int(clock[2:4]), int(clock[4:6]),
        )  # fmt: skip
    except ValueError:
        return None


# --- checksums ------------------------------------------------------------------------------


def checksum(data: bytes) -> str:
    """Four hex digits: the 16-bit two's complement of the byte sum of ``data``
    (which must end with ``AZ``)."""
    return f"{(-sum(data)) & 0xFFFF:04X}"


def verify_checksum(data: bytes) -> bool:
    """``data`` ends with ``AZxxxx``: does the checksum match?"""
    if len(data) < 6 or data[-6:-4] != b"AZ":
        return False
    try:
        value = int(data[-4:].decode("ascii"), 16)
    except (UnicodeDecodeError, ValueError):
        return False
    return (sum(data[:-4]) + value) & 0xFFFF == 0


# --- values ---------------------------------------------------------------------------------

_CONTROL = {c: None for c in range(0x20)} | {0x7F: None} | {c: None for c in range(0x80, 0xA0)}


def clean(value: object) -> str:
    """A field value fit for the wire: no control characters, no ``|`` (it becomes ``/``),
    at most 255 characters."""
    text = "" if value is None else str(value)
    text = text.translate(_CONTROL).replace("|", "/")
    return text[:MAX_FIELD_LENGTH]


def flag(value: bool) -> str:
    return "Y" if value else "N"


# --- the message ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    code: str
    fixed: Mapping[str, str] = field(default_factory=dict)
    fields: tuple[tuple[str, str], ...] = ()
    sequence: int | None = None  # AY, when the sender used error detection
    checksummed: bool = False  # the sender sent AZ

    @property
    def spec(self) -> Spec:
        return SPECS[self.code]

    @property
    def name(self) -> str:
        return self.spec.name

    def get(self, fid: str, default: str | None = None) -> str | None:
        for key, value in self.fields:
            if key == fid:
                return value
        return default

    def get_all(self, fid: str) -> list[str]:
        return [value for key, value in self.fields if key == fid]

    def has(self, fid: str) -> bool:
        return any(key == fid for key, _ in self.fields)

    def __getitem__(self, name: str) -> str:
        return self.fixed[name]


def make(code: str, fixed: Mapping[str, object] | None = None, fields=()) -> Message:
    """Build a message to send. ``fields`` is an iterable of (id, value); a value of None
    leaves the field out, any other value is cleaned (see ``clean``)."""
    spec = SPECS[code]
    fixed = dict(fixed or {})
    out = {}
    for name, kind in spec.fixed:
        if name not in fixed:
            raise FormatError(f"{code} {spec.name}: fixed field {name} missing")
        value = fixed.pop(name)
        if kind in ("date", "date_or_blank") and not isinstance(value, str):
            value = format_date(value)
        value = str(value)
        length, valid, description = KINDS[kind]
        if len(value) != length or not valid(value):
            raise FormatError(f"{code} {spec.name}: {name}={value!r} is not {description}")
        out[name] = value
    if fixed:
        raise FormatError(f"{code} {spec.name}: unknown fixed fields {sorted(fixed)}")
    pairs = []
    for fid, value in fields:
        if value is None:
            continue
        if not re.fullmatch(r"[A-Z][A-Z0-9]", fid) or fid in ("AY", "AZ"):
            raise FormatError(f"bad field id {fid!r}")
        pairs.append((fid, clean(value)))
    return Message(code=code, fixed=out, fields=tuple(pairs))


def encode(
    message: Message, *, error_detection: bool = False, sequence: int | None = None
) -> bytes:
    """The bytes of ``message`` with the CR terminator. With error detection, add
    ``AY<sequence>`` (when a sequence is given) and ``AZ<checksum>``."""
    spec = SPECS[message.code]
    text = message.code + "".join(message.fixed[name] for name, _ in spec.fixed)
    text += "".join(f"{fid}{clean(value)}|" for fid, value in message.fields)
    data = text.encode("utf-8")
    if error_detection:
        if sequence is not None:
            data += b"AY" + str(int(sequence) % 10).encode()
        data += b"AZ"
        data += checksum(data).encode()
    return data + TERMINATOR


_TRAILER = re.compile(rb"AY(.)AZ(.{0,4})\Z", re.S)
_BARE_AZ = re.compile(rb"AZ([0-9A-Fa-f]{4})\Z")
_FIELD_ID = re.compile(r"[A-Z][A-Z0-9]\Z")


def parse(data: bytes, *, max_length: int = 4096) -> Message:
    """Parse the bytes of one message. Raises ParseError and nothing else."""
    try:
        return _parse(data, max_length)
    except ParseError:
        raise
    except Exception as exc:  # defence in depth: the contract is "only ParseError"
        raise ParseError(f"unreadable message ({type(exc).__name__})") from exc


def _at_boundary(data: bytes, pos: int) -> bool:
    """Can an error-detection field start at ``pos``: right after a field delimiter, or
    right after the fixed part of a known message type?"""
    if pos > 0 and data[pos - 1 : pos] == b"|":
        return True
    spec = SPECS.get(data[:2].decode("ascii", errors="replace"))
    return spec is not None and pos == 2 + spec.fixed_length


def _parse(data: bytes, max_length: int) -> Message:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParseError("not bytes", kind="malformed")
    data = bytes(data).strip(b"\r\n")
    if not data:
        raise ParseError("empty message", kind="empty")
    if len(data) > max_length:
        raise ParseError(f"message longer than {max_length} bytes", kind="too_long")

    sequence = None
    checksummed = False
    trailer = _TRAILER.search(data)
    bare = _BARE_AZ.search(data)
    if trailer and not _at_boundary(data, trailer.start()):
        trailer = None  # "AY?AZ" inside the last field's value, not an error-detection trailer
    if bare and not _at_boundary(data, bare.start()):
        bare = None
    if trailer:
        seq, digits = trailer.group(1), trailer.group(2)
        if not seq.isdigit():
            raise ParseError("sequence number (AY) is not a digit", kind="checksum")
        if not re.fullmatch(rb"[0-9A-Fa-f]{4}", digits):
            raise ParseError("checksum (AZ) is not four hex digits", kind="checksum")
        if not verify_checksum(data):
            raise ParseError("checksum mismatch", kind="checksum")
        sequence, checksummed = int(seq), True
        data = data[: trailer.start()]
    elif bare:
        if not verify_checksum(data):
            raise ParseError("checksum mismatch", kind="checksum")
        checksummed = True
        data = data[:-6]

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not valid UTF-8 at byte {exc.start}", kind="encoding") from None

    code = text[:2]
    if len(code) < 2 or not code.isascii() or not code.isdigit():
        raise ParseError("message does not start with a two-digit code", kind="malformed")
    spec = SPECS.get(code)
    if spec is None:
        raise ParseError(f"unknown message type {code}", kind="unknown_message", code=code)

    pos = 2
    fixed = {}
    for name, kind in spec.fixed:
        length, valid, description = KINDS[kind]
        value = text[pos : pos + length]
        if len(value) < length:
            raise ParseError(
                f"{code} {spec.name}: message too short for fixed field {name}",
                kind="fixed_field",
                code=code,
            )
        if not valid(value):
            raise ParseError(
                f"{code} {spec.name}: fixed field {name}={value!r} is not {description}",
                kind="fixed_field",
                code=code,
            )
        fixed[name] = value
        pos += length

    pairs = []
    rest = text[pos:]
    if rest:
        for piece in rest.split("|"):
            if not piece:
                continue  # tolerate "||" and the trailing delimiter
            fid = piece[:2]
            if not _FIELD_ID.match(fid):
                raise ParseError(
                    f"{code} {spec.name}: bad field id {fid!r}", kind="variable_field", code=code
                )
            if fid in ("AY", "AZ"):
                raise ParseError(
                    f"{code} {spec.name}: misplaced error-detection field {fid}",
                    kind="checksum",
                    code=code,
                )
            value = piece[2:]
            if len(value) > MAX_FIELD_LENGTH:
                raise ParseError(
                    f"{code} {spec.name}: field {fid} longer than {MAX_FIELD_LENGTH} characters",
                    kind="variable_field",
                    code=code,
                )
            pairs.append((fid, value.translate(_CONTROL)))
    return Message(
        code=code, fixed=fixed, fields=tuple(pairs), sequence=sequence, checksummed=checksummed
    )


# --- logging --------------------------------------------------------------------------------

_SECRET_ANYWHERE = re.compile("(" + "|".join(SECRET_FIELDS) + r")[^|\r\n]*")


def redact(data: bytes | str, limit: int = 300) -> str:
    """A loggable form of a raw message: secrets (terminal and patron passwords, login
    user id and password) replaced by ``***``, non-printables escaped, length capped.
    Errs on the side of hiding: any ``AC``/``AD``/``CN``/``CO`` run is masked."""
    if isinstance(data, bytes | bytearray):
        text = bytes(data).decode("utf-8", errors="replace")
    else:
        text = str(data)
    text = _SECRET_ANYWHERE.sub(lambda m: m.group(1) + "***", text)
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    if len(text) > limit:
        text = text[:limit] + "..."
    return text


def describe(message: Message) -> str:
    """A short loggable summary: code, name and non-secret field ids."""
    ids = ",".join(fid for fid, _ in message.fields)
    return f"{message.code} {message.name} [{ids}]"
