"""Encoding checks for ISO 2709 records: is this valid MARC-8, is this valid UTF-8?"""

from pymarc import marc8_mapping

from .records import FIELD_END, RECORD_END

_ANSEL = marc8_mapping.CODESETS[0x45]
_MARC8_FINALS = set(marc8_mapping.CODESETS) | {0x73}
_C1_ALLOWED = {0x88, 0x89, 0x8D, 0x8E}  # MARC-8 non-sorting marks and joiners


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


def utf8_problem(chunk):
    try:
        chunk.decode("utf-8")
        return ""
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}"
