"""SIP2 (3M Standard Interchange Protocol 2.00) messages: pure parse and format.

No Django here. The modules, from the wire inwards:

- ``codec``: ``Message``, ``make()``, ``encode()``, ``parse()``, checksums. ``parse()``
  turns the bytes of one message (terminator optional) into a ``Message`` or raises
  ``ParseError`` with a clear reason; it never raises anything else. ``encode()`` turns a
  ``Message`` back into bytes, adding the error-detection trailer
  (``AY<sequence>AZ<checksum>``) when asked.
- ``specs``: the layout of every message type (``SPECS``), the supported-messages field.
- ``fields``: field ids and names, fixed-field kinds and their validators, sanitising.
- ``dates``: SIP dates ``YYYYMMDDZZZZHHMMSS`` (ZZZZ is four blanks for local time).
- ``codes``: code tables (circulation status, fee type, media type, alert type, ...).
- ``redaction``: loggable forms of raw messages, secrets hidden.

Layout of a message: two-digit code, fixed-length fields in a fixed order, then
variable-length fields ``<2-char id><value>|``. The checksum is the 16-bit two's
complement of the sum of the message's bytes up to and including ``AZ``, written as four
upper-case hex digits.
"""
