"""SIP2 dates: ``YYYYMMDDZZZZHHMMSS`` (ZZZZ is four blanks for local time)."""

from __future__ import annotations

import datetime as dt
import re

_TZ = re.compile(r"[A-Z0-9 ]{4}\Z")


def format_date(value: dt.datetime | dt.date | None) -> str:
    """``YYYYMMDDZZZZHHMMSS`` with ZZZZ blank (local time: pass local wall-clock values).
    A date becomes its end of day (23:59:59), as due dates are read by kiosks."""
    if value is None:
        return " " * 18
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59))
    return f"{value:%Y%m%d}    {value:%H%M%S}"


def parse_date(value: str) -> dt.datetime | None:
    """The naive datetime of a SIP date, or None when it is not a valid one."""
    if not isinstance(value, str) or len(value) != 18 or not value.isascii():
        return None
    day, zone, clock = value[:8], value[8:12], value[12:]
    if not (day.isdigit() and clock.isdigit() and _TZ.match(zone)):
        return None
    try:
        return dt.datetime(
            int(day[:4]), int(day[4:6]), int(day[6:8]),
            int(clock[:2]), int(clock[2:4]), int(clock[4:6]),
        )  # fmt: skip
    except ValueError:
        return None
