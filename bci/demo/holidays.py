"""Dutch public holidays on which the demo network is closed.

Easter is computed with the anonymous Gregorian algorithm (Meeus/Jones/Butcher), which is
exact for every Gregorian year; the other movable feasts follow from Easter.

Choices (libraries decide for themselves; these are the common practice):

- Closed: Nieuwjaarsdag, Eerste and Tweede Paasdag, Koningsdag (27 April, or 26 April when
  the 27th is a Sunday), Hemelvaartsdag, Eerste and Tweede Pinksterdag, Eerste and Tweede
  Kerstdag.
- Bevrijdingsdag (5 May) only in lustrum years (2025, 2030, ...), when it is a national day
  off for most employers; in other years most libraries open, and so does the demo.
- Goede Vrijdag is not a day off for most employers and most libraries open: not closed.
- Oudejaarsdag (31 December): libraries close early, not all day; a Closure is a whole day,
  so it is not modelled.
"""

import datetime as dt


def easter_sunday(year):
    """Easter Sunday of ``year`` (Gregorian calendar), e.g. 2026 -> 5 April 2026."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    lunar = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * lunar) // 451
    month, day = divmod(h + lunar - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def kings_day(year):
    day = dt.date(year, 4, 27)
    return day - dt.timedelta(days=1) if day.weekday() == 6 else day


def closed_holidays(year):
    """[(date, Dutch name)] of the days the demo network is closed in ``year``, by date."""
    easter = easter_sunday(year)
    days = [
        (dt.date(year, 1, 1), "Nieuwjaarsdag"),
        (easter, "Eerste Paasdag"),
        (easter + dt.timedelta(days=1), "Tweede Paasdag"),
        (kings_day(year), "Koningsdag"),
        (easter + dt.timedelta(days=39), "Hemelvaartsdag"),
        (easter + dt.timedelta(days=49), "Eerste Pinksterdag"),
        (easter + dt.timedelta(days=50), "Tweede Pinksterdag"),
        (dt.date(year, 12, 25), "Eerste Kerstdag"),
        (dt.date(year, 12, 26), "Tweede Kerstdag"),
    ]
    if year % 5 == 0:
        days.append((dt.date(year, 5, 5), "Bevrijdingsdag"))
    return sorted(days)


def demo_holiday_years(today):
    """2026 and 2027 (the demo's reference years) plus this year and next."""
    return sorted({2026, 2027, today.year, today.year + 1})
