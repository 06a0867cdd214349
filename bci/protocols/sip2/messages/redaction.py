"""Loggable forms of SIP2 messages: secrets hidden, non-printables escaped."""

from __future__ import annotations

import re

from .codec import Message
from .fields import SECRET_FIELDS

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
