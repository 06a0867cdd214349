"""Stateless, tamper-evident resumption tokens.

A token carries everything the next page needs: the verb and the selective-harvesting
arguments, the keyset position (datestamp with microseconds and id of the last record
sent), the cursor, the complete list size and an expiry. It is signed with the project's
SECRET_KEY (django.core.signing), so a harvester cannot forge or alter one, and the server
keeps no state: tokens survive restarts and work on any worker.
"""

import datetime as dt

from django.core import signing
from django.utils import timezone

SALT = "bci.protocols.oaipmh.resumption"


class BadToken(Exception):
    """The token is forged, altered, expired or for another request."""


def encode(*, verb, prefix, set_spec, from_arg, until_arg, after, cursor, size, lifetime, now=None):
    now = now or timezone.now()
    expires = (now + lifetime).replace(microsecond=0)
    stamp, pk = after
    payload = {
        "v": verb,
        "p": prefix,
        "s": set_spec,
        "f": from_arg,
        "u": until_arg,
        "a": stamp.astimezone(dt.UTC).isoformat(),
        "i": pk,
        "c": cursor,
        "n": size,
        "x": int(expires.timestamp()),
    }
    return signing.dumps(payload, salt=SALT, compress=True), expires


def decode(token, *, verb, now=None):
    """The token's payload, or BadToken."""
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise BadToken("The resumption token is not one this repository issued.") from exc
    try:
        if payload["v"] != verb:
            raise BadToken(f"The resumption token belongs to {payload['v']}, not {verb}.")
        if payload["x"] < now.timestamp():
            raise BadToken("The resumption token has expired; start the list again.")
        payload["after"] = (dt.datetime.fromisoformat(payload["a"]), int(payload["i"]))
        int(payload["c"]), int(payload["n"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadToken("The resumption token is malformed.") from exc
    return payload
