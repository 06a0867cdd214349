"""Streaming MARC readers: ISO 2709 and MARCXML, constant memory, one result per record.

Each reader yields ``RawRecord(number, offset, record, error, warning)``: ``record`` is a
pymarc Record (Unicode, leader/09 = 'a') or None with ``error`` saying why the record was
rejected. A bad record never stops the file unless the file cannot be read past it
(truncated end, XML not well-formed); a file that is not MARC at all raises NotMarcError
before anything is yielded.

Encoding (ISO 2709): see ``iso2709``.

Modules: ``files`` (format detection, ``open_records``/``read_records``), ``iso2709`` and
``marcxml`` (the two readers), ``encoding`` (MARC-8 and UTF-8 checks), ``records``
(``RawRecord``, ``NotMarcError`` and the constants they share).
"""

from .files import open_records, read_records
from .records import NotMarcError, RawRecord

__all__ = ["NotMarcError", "RawRecord", "open_records", "read_records"]
