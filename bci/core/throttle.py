"""Counting failures in Django's cache, so guessing is slowed the same way at every door.

The cache is per process by default; a deployment with several processes sets CACHE_URL
to a shared cache (see docs/operations.md).
"""

import hashlib

from django.core.cache import cache

# Wrong PINs per card, counted together by every door that checks a PIN (OPAC login and
# PIN change, SIP2 kiosks): an attacker gets PIN_LIMIT guesses per card per window, total.
PIN_BY_CARD = "pin-card"
PIN_LIMIT = 5
PIN_WINDOW = 15 * 60


def _key(bucket, value):
    return f"throttle:{bucket}:{hashlib.sha256(str(value).encode()).hexdigest()[:32]}"


def hit(bucket, value, window):
    """Count one more in ``bucket`` for ``value``; returns the count in this window."""
    key = _key(bucket, value)
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        return 1


def count(bucket, value):
    return cache.get(_key(bucket, value), 0)


def reset(bucket, value):
    cache.delete(_key(bucket, value))


def pin_locked(card):
    return count(PIN_BY_CARD, card) >= PIN_LIMIT


def pin_failed(card):
    hit(PIN_BY_CARD, card, PIN_WINDOW)


def pin_ok(card):
    reset(PIN_BY_CARD, card)
