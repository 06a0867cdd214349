"""SIP2 messages on the wire: build (``make``), ``encode`` and ``parse``, checksums.

``parse()`` raises ``ParseError`` and nothing else; ``make()`` raises ``FormatError`` when
*we* try to write an invalid fixed field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .dates import format_date
from .fields import CONTROL, KINDS, MAX_FIELD_LENGTH, clean
from .specs import SPECS, Spec

TERMINATOR = b"\r"


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
            pairs.append((fid, value.translate(CONTROL)))
    return Message(
        code=code, fixed=fixed, fields=tuple(pairs), sequence=sequence, checksummed=checksummed
    )
