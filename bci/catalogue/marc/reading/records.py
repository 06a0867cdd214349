"""What the MARC readers share: the result of reading one record, the error for a file
that is not MARC, and the structural constants."""

import re
from dataclasses import dataclass

from pymarc import Record

RECORD_END = 0x1D
FIELD_END = 0x1E
BLOCK = 1 << 20
TAG = re.compile(r"^[0-9A-Za-z]{3}$")


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
