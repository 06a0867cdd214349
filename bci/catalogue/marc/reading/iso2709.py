"""The ISO 2709 reader: records found by their length and terminator in a buffer of
bounded size, each checked (leader, directory, encoding) before pymarc parses it.

Encoding: leader/09 is honoured ('a' UTF-8, blank MARC-8), with two mislabellings
detected: a record labelled MARC-8 whose bytes are valid UTF-8 (and carry no MARC-8
escapes) is read as UTF-8; a record labelled UTF-8 whose bytes are not UTF-8 but are valid
MARC-8 is converted from MARC-8. Both add a warning.
"""

from pymarc import Leader, Record

from .encoding import marc8_problem, utf8_problem
from .records import BLOCK, FIELD_END, RECORD_END, TAG, RawRecord

MAX_RECORD = 99_999
MAX_SCAN = 16 << 20  # give up looking for a record end after this many bytes


def read_iso2709(head, handle, skip, parse=True):
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
                        yield parse_iso(number, offset, chunk)
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
        if not TAG.match(tag) or not entry[3:12].isdigit():
            return f"bad directory entry {i // 12 + 1}: {entry.decode('ascii', 'replace')!r}"
        flen, foff = int(entry[3:7]), int(entry[7:12])
        end = base_address + foff + flen
        if flen == 0 or end > length - 1 or chunk[end - 1] != FIELD_END:
            return (
                f"bad directory entry {i // 12 + 1} (tag {tag}): field at {foff}+{flen} "
                "does not end with a field terminator"
            )
    return ""


def parse_iso(number, offset, chunk):
    problem = _check_structure(chunk)
    if problem:
        return RawRecord(number, offset, error=problem)
    warning = ""
    if chunk.isascii():
        force_utf8 = True
    elif chunk[9:10] == b"a":
        utf8 = utf8_problem(chunk)
        if not utf8:
            force_utf8 = True
        elif not marc8_problem(chunk):
            force_utf8 = False
            chunk = chunk[:9] + b" " + chunk[10:]
            warning = "leader/09 says UTF-8 but the data is MARC-8: converted from MARC-8"
        else:
            return RawRecord(number, offset, error=utf8)
    else:
        if b"\x1b" not in chunk and not utf8_problem(chunk):
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
