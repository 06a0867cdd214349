"""Opening MARC files: format detection, then the ISO 2709 or MARCXML reader."""

import io
from pathlib import Path

from .iso2709 import read_iso2709
from .marcxml import read_marcxml
from .records import NotMarcError


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
        return read_iso2709(head, handle, skip, parse)
    return read_marcxml(head, handle, skip)


def sniff_path(path):
    with Path(path).open("rb") as handle:
        return detect_format(handle.read(4096))
