"""Streaming MARC readers: ISO 2709 and MARCXML, constant memory, one result per record.

Each reader yields ``RawRecord(number, offset, record, error, warning)``: ``record`` is a
pymarc Record (Unicode, leader/09 = 'a') or None with ``error`` saying why the record was
rejected. A bad record never stops the file unless the file cannot be read past it
(truncated end, XML not well-formed); a file that is not MARC at all raises NotMarcError
before anything is yielded.

Encoding (ISO 2709): leader/09 is honoured ('a' UTF-8, blank MARC-8), with two
mislabellings detected: a record labelled MARC-8 whose bytes are valid UTF-8 (and carry
no MARC-8 escapes) is read as UTF-8; a record labelled UTF-8 whose bytes are not UTF-8
but are valid MARC-8 is converted from MARC-8. Both add a warning.
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from pymarc import Field, Indicators, Leader, Record, Subfield, marc8_mapping

RECORD_END = 0x1D
FIELD_END = 0x1E
MAX_RECORD = 99_999
BLOCK = 1 << 20
MAX_SCAN = 16 << 20  # give up looking for a record end after this many bytes
MARCXML_NS = "http://www.loc.gov/MARC21/slim"
DEFAULT_LEADER = "00000nam a2200000 a 4500"
_TAG = re.compile(r"^[0-9A-Za-z]{3}$")
_ANSEL = marc8_mapping.CODESETS[0x45]
_MARC8_FINALS = set(marc8_mapping.CODESETS) | {0x73}
_C1_ALLOWED = {0x88, 0x89, 0x8D, 0x8E}  # MARC-8 non-sorting marks and joiners


class NotMarcError(Exception):
    """The file is not MARC (neither ISO 2709 nor MARCXML)."""


@dataclass
class RawRecord:
    number: int  # 1-based position in the file
    offset: int  # byte offset of the record's first byte
    record: Record | None = None
    error: str = ""
    warning: str = ""
    data: bytes = b""  # the record's bytes when read with parse=False


# --- format detection ---------------------------------------------------------------------


def _looks_like_leader(head):
    return (
        len(head) >= 24
        and head[:5].isdigit()
        and head[12:17].isdigit()
        and (head[20:24] == b"4500" or head[20:24].isdigit())
    )


def detect_format(head):
    """'iso2709' or 'marcxml' from the first bytes of a file, else NotMarcError."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return "marcxml"
    if _looks_like_leader(stripped[:24]):
        return "iso2709"
    if not stripped:
        raise NotMarcError("it is empty")
    raise NotMarcError(
        f"it is neither ISO 2709 nor MARCXML; it starts with {bytes(stripped[:16])!r}"
    )


def open_records(path, fmt="auto", *, skip=0, parse=True):
    """Iterate RawRecords of the file at ``path`` (format 'auto', 'iso2709' or 'marcxml')."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the generator
    try:
        return _closing(handle, read_records(handle, fmt, skip=skip, parse=parse))
    except BaseException:
        handle.close()
        raise


def _closing(handle, iterator):
    try:
        yield from iterator
    finally:
        handle.close()


def read_records(handle, fmt="auto", *, skip=0, parse=True):
    """Iterate RawRecords from a binary file object. Raises NotMarcError at once for a
    file that is not MARC."""
    if isinstance(handle, bytes | bytearray):
        handle = io.BytesIO(handle)
    head = handle.read(4096)
    if fmt == "auto":
        fmt = detect_format(head)
    elif fmt == "iso2709":
        stripped = head.lstrip(b"\r\n ")
        if not _looks_like_leader(stripped[:24]):
            detect_format(head)  # the clearer message
            raise NotMarcError("it is not ISO 2709: the first record has no valid leader")
    elif fmt != "marcxml":
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "iso2709":
        return _iso2709(head, handle, skip, parse)
    return _marcxml(head, handle, skip)


# --- ISO 2709 -----------------------------------------------------------------------------


def _iso2709(head, handle, skip, parse=True):
    buf = bytearray(head)
    base = 0  # file offset of buf[0]
    pos = 0
    eof = False
    number = 0

    def fill(need_end):
        nonlocal eof
        while not eof and len(buf) < need_end:
            block = handle.read(BLOCK)
            if not block:
                eof = True
            else:
                buf.extend(block)

    while True:
        # drop consumed bytes now and then: memory stays bounded
        if pos > BLOCK:
            del buf[:pos]
            base += pos
            pos = 0
        fill(pos + 24)
        while pos < len(buf) and buf[pos] in b"\r\n\x00 ":
            pos += 1
            fill(pos + 24)
        if pos >= len(buf):
            return
        number += 1
        offset = base + pos
        header = bytes(buf[pos : pos + 5])
        declared = int(header) if header.isdigit() else None
        if declared is not None and declared >= 25:
            fill(pos + declared)
            if len(buf) - pos < declared:
                yield RawRecord(
                    number,
                    offset,
                    error=f"truncated: the file ends {len(buf) - pos} bytes into a record "
                    f"of {declared} bytes",
                )
                return
            if buf[pos + declared - 1] == RECORD_END:
                chunk = bytes(buf[pos : pos + declared])
                pos += declared
                if number > skip:
                    if parse:
                        yield _parse_iso(number, offset, chunk)
                    else:
                        yield RawRecord(number, offset, data=chunk)
                continue
        # The length is wrong or unreadable: find the real end of this record.
        end = _find_end(buf, pos, fill)
        if end is None:
            yield RawRecord(
                number,
                offset,
                error="truncated: no record terminator before the end of the file",
            )
            return
        actual = end + 1 - pos
        if actual > MAX_RECORD:
            reason = f"record is {actual:,} bytes, over the MARC limit of 99,999 bytes"
        elif declared is None:
            reason = f"record length {header.decode('ascii', 'replace')!r} is not a number"
        else:
            reason = f"record length in the leader is {declared} but the record is {actual}"
        pos = end + 1
        if number > skip:
            yield RawRecord(number, offset, error=reason)


def _find_end(buf, pos, fill):
    start = pos
    while True:
        end = buf.find(b"\x1d", start)
        if end >= 0:
            return end
        start = len(buf)
        if start - pos > MAX_SCAN:
            return None
        before = len(buf)
        fill(len(buf) + BLOCK)
        if len(buf) == before:
            return None


def _check_structure(chunk):
    """Leader and directory sanity; returns a reason or ''."""
    try:
        chunk[:24].decode("ascii")
    except UnicodeDecodeError:
        return "leader is not ASCII"
    if not chunk[12:17].isdigit():
        return "base address in the leader is not a number"
    base_address = int(chunk[12:17])
    length = len(chunk)
    if base_address <= 24 or base_address >= length:
        return f"bad base address {base_address}"
    if chunk[base_address - 1] != FIELD_END:
        return "bad directory: no field terminator at the base address"
    directory = chunk[24 : base_address - 1]
    if not directory:
        return "bad directory: the record has no fields"
    if len(directory) % 12:
        return f"bad directory: length {len(directory)} is not a multiple of 12"
    for i in range(0, len(directory), 12):
        entry = directory[i : i + 12]
        tag = entry[:3].decode("ascii", "replace")
        if not _TAG.match(tag) or not entry[3:12].isdigit():
            return f"bad directory entry {i // 12 + 1}: {entry.decode('ascii', 'replace')!r}"
        flen, foff = int(entry[3:7]), int(entry[7:12])
        end = base_address + foff + flen
        if flen == 0 or end > length - 1 or chunk[end - 1] != FIELD_END:
            return (
                f"bad directory entry {i // 12 + 1} (tag {tag}): field at {foff}+{flen} "
                "does not end with a field terminator"
            )
    return ""


def marc8_problem(data):
    """Why ``data`` is not valid MARC-8 (a reason with byte position), or '' if it is."""
    if b"\x1b" not in data:  # the common case: only ANSEL (G1) characters to check
        for i, b in enumerate(data):
            if b >= 0x80 and b not in _ANSEL and b not in _C1_ALLOWED:
                return f"byte 0x{b:02X} at {i} is not a MARC-8 character"
        return ""
    g0_multibyte = False
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == 0x1B:
            nxt = data[i + 1 : i + 2]
            j = i + 2
            if nxt in (b"(", b",", b"$", b")", b"-"):
                if nxt == b"$" and data[j : j + 1] in (b",", b")", b"-", b"("):
                    j += 1
                if data[j : j + 1] == b"!":
                    j += 1
                final = data[j] if j < n else None
                if final not in _MARC8_FINALS:
                    return f"broken MARC-8 escape sequence at byte {i}"
                if nxt in (b"(", b",", b"$") and data[i + 1 : i + 3] != b"$)":
                    g0_multibyte = final == 0x31
                i = j + 1
                continue
            if nxt in (b"g", b"b", b"p", b"s"):
                g0_multibyte = False
                i += 2
                continue
            return f"broken MARC-8 escape sequence at byte {i}"
        if b in (RECORD_END, FIELD_END, 0x1F):
            g0_multibyte = False
            i += 1
            continue
        if g0_multibyte:
            i += 3
            continue
        if b >= 0x80 and b not in _ANSEL and b not in _C1_ALLOWED:
            return f"byte 0x{b:02X} at {i} is not a MARC-8 character"
        i += 1
    return ""


def _utf8_problem(chunk):
    try:
        chunk.decode("utf-8")
        return ""
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}"


def _parse_iso(number, offset, chunk):
    problem = _check_structure(chunk)
    if problem:
        return RawRecord(number, offset, error=problem)
    warning = ""
    if chunk.isascii():
        force_utf8 = True
    elif chunk[9:10] == b"a":
        utf8 = _utf8_problem(chunk)
        if not utf8:
            force_utf8 = True
        elif not marc8_problem(chunk):
            force_utf8 = False
            chunk = chunk[:9] + b" " + chunk[10:]
            warning = "leader/09 says UTF-8 but the data is MARC-8: converted from MARC-8"
        else:
            return RawRecord(number, offset, error=utf8)
    else:
        if b"\x1b" not in chunk and not _utf8_problem(chunk):
            force_utf8 = True
            warning = "leader/09 says MARC-8 but the data is UTF-8: read as UTF-8"
        else:
            problem = marc8_problem(chunk)
            if problem:
                return RawRecord(number, offset, error=problem)
            force_utf8 = False
    try:
        record = Record(
            chunk,
            to_unicode=True,
            force_utf8=force_utf8,
            hide_utf8_warnings=True,
            utf8_handling="strict",
        )
    except UnicodeDecodeError as exc:
        return RawRecord(number, offset, error=f"invalid UTF-8: {exc.reason}")
    except Exception as exc:  # pymarc raises many kinds; each one rejects this record
        return RawRecord(number, offset, error=f"unreadable record: {exc or type(exc).__name__}")
    leader = str(record.leader)
    record.leader = Leader(leader[:9] + "a" + leader[10:])
    return RawRecord(number, offset, record=record, warning=warning)


# --- MARCXML ------------------------------------------------------------------------------


class _XmlState:
    def __init__(self, parser):
        self.parser = parser
        self.number = 0
        self.root_checked = False
        self.done = []  # finished RawRecords, handed out after each feed
        self.current = None
        self.text = []
        self.field = None
        self.sub_code = None
        self.ctrl_tag = None
        self.errors = []
        self.leader = None

    def start(self, name, attrs):
        local = name.rsplit(" ", 1)[-1]
        ns = name.rsplit(" ", 1)[0] if " " in name else ""
        if not self.root_checked:
            self.root_checked = True
            if local not in ("collection", "record") or ns not in ("", MARCXML_NS):
                raise NotMarcError(f"it is XML but not MARCXML (the root element is <{local}>)")
        if local == "record":
            self.number += 1
            self.current = []
            self.errors = []
            self.leader = None
            self.offset = self.parser.CurrentByteIndex
        elif self.current is None:
            return
        elif local in ("leader", "controlfield", "subfield"):
            self.text = []
            if local == "controlfield":
                self.ctrl_tag = attrs.get("tag")
            if local == "subfield":
                self.sub_code = attrs.get("code")
        elif local == "datafield":
            tag = attrs.get("tag")
            self.field = (tag, attrs.get("ind1", " ") or " ", attrs.get("ind2", " ") or " ", [])

    def chars(self, data):
        self.text.append(data)

    def end(self, name):
        local = name.rsplit(" ", 1)[-1]
        if self.current is None:
            return
        text = "".join(self.text)
        if local == "leader":
            self.leader = text
        elif local == "controlfield":
            tag = self.ctrl_tag
            if not tag or not _TAG.match(tag):
                self.errors.append(f"controlfield without a valid tag ({tag!r})")
            else:
                self.current.append(Field(tag=tag, data=text))
        elif local == "subfield":
            code = self.sub_code
            if not code or len(code) != 1:
                self.errors.append(f"subfield without a valid code ({code!r})")
            elif self.field is not None:
                self.field[3].append(Subfield(code=code, value=text))
        elif local == "datafield":
            tag, ind1, ind2, subs = self.field
            self.field = None
            if not tag or not _TAG.match(tag):
                self.errors.append(f"datafield without a valid tag ({tag!r})")
            elif not subs:
                self.errors.append(f"datafield {tag} has no subfields")
            else:
                self.current.append(
                    Field(tag=tag, indicators=Indicators(ind1[:1], ind2[:1]), subfields=subs)
                )
        elif local == "record":
            self.done.append(self._finish())
            self.current = None
        self.text = []

    def _finish(self):
        if self.errors:
            return RawRecord(self.number, self.offset, error="; ".join(self.errors[:3]))
        if not self.current:
            return RawRecord(self.number, self.offset, error="record has no fields")
        leader = (self.leader or "").strip("\n")
        warning = ""
        if len(leader) != 24:
            warning = "missing or malformed leader replaced by a default"
            leader = DEFAULT_LEADER
        record = Record(leader=leader[:9] + "a" + leader[10:], force_utf8=True)
        record.leader = Leader(leader[:9] + "a" + leader[10:])
        record.fields = self.current
        return RawRecord(self.number, self.offset, record=record, warning=warning)


def _marcxml(head, handle, skip):
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    state = _XmlState(parser)
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.chars
    block = head
    final = False
    while True:
        if not block:
            final = True
        try:
            parser.Parse(block, final)
        except expat.ExpatError as exc:
            if not state.root_checked:
                raise NotMarcError(f"it is not well-formed XML ({exc})") from None
            yield from (r for r in state.done if r.number > skip)
            state.done = []
            yield RawRecord(
                state.number + (1 if state.current is None else 0),
                parser.ErrorByteIndex,
                error=f"XML is not well-formed ({expat.ErrorString(exc.code)} at line "
                f"{exc.lineno}); the rest of the file cannot be read",
            )
            return
        for raw in state.done:
            if raw.number > skip:
                yield raw
        state.done = []
        if final:
            if not state.root_checked:
                raise NotMarcError("it is empty")
            return
        block = handle.read(BLOCK // 4)


def sniff_path(path):
    with Path(path).open("rb") as handle:
        return detect_format(handle.read(4096))
