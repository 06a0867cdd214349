"""Weekly opening hours for the demo, generated per location kind.

Real libraries publish their hours; the shared network CSV does not carry them, so the
demo makes plausible ones. Each location gets a pattern for its kind, varied by a hash of
its code so that the same code always gets the same hours (``hash()`` is salted per
process; sha256 is not):

- main branch: Monday to Saturday, evenings until 20:00 or 21:00 on weekdays;
- branch: five days (one weekday closed), one late evening, Saturday morning;
  about a third open staffless (self-service) in the morning before staff arrive;
- service point: two or three half days, 4-15 hours a week (the Dutch definition);
- school location: school hours on weekdays, Wednesday afternoon closed;
- self-service pick-up point: 07:00-22:00 every day except Sunday, unstaffed;
- POI depot and hub: Monday to Friday 07:00-17:00 (working hours, for route planning).
"""

import datetime as dt
import hashlib

MON, TUE, WED, THU, FRI, SAT = range(6)


def _t(text):
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _seed(code):
    return int.from_bytes(hashlib.sha256(code.encode()).digest()[:8], "big")


def weekly_schedule(kind, code):
    """[(weekday, opens, closes, staffed)] for a location of ``kind`` with ``code``.

    Periods on one day never overlap and always end after they start.
    """
    seed = _seed(code)

    def pick(options, salt):
        return options[(seed >> (salt * 5)) % len(options)]

    periods = []

    def add(day, opens, closes, staffed=True):
        periods.append((day, _t(opens), _t(closes), staffed))

    if kind == "main":
        opens = pick(["09:00", "10:00", "10:00", "11:00"], 1)
        late = pick(["20:00", "20:00", "21:00"], 2)
        monday_opens = pick(["12:00", "13:00", opens], 3)
        add(MON, monday_opens, late)
        for day in (TUE, WED, THU, FRI):
            add(day, opens, late)
        add(SAT, "10:00", pick(["16:00", "17:00"], 4))
    elif kind == "branch":
        closed_day = pick([MON, MON, WED], 1)
        opens = pick(["10:00", "13:00", "14:00"], 2)
        closes = pick(["17:00", "17:30", "18:00"], 3)
        evening = pick([TUE, THU, FRI], 4)
        staffless_mornings = pick([True, False, False], 5)
        for day in (MON, TUE, WED, THU, FRI):
            if day == closed_day:
                continue
            if staffless_mornings:
                add(day, "08:00", opens, staffed=False)
            add(day, opens, "20:00" if day == evening else closes)
        add(SAT, "10:00", pick(["13:00", "14:00"], 6))
    elif kind == "service_point":
        days = pick([(TUE, THU), (MON, WED, FRI), (WED, SAT), (TUE, THU, SAT)], 1)
        for day in days:
            if day == SAT:
                add(day, "10:00", "12:30")
            else:
                add(day, *pick([("14:00", "17:00"), ("09:30", "12:30"), ("13:30", "17:30")], 2))
    elif kind == "school":
        starts = pick(["08:15", "08:30"], 1)
        for day in (MON, TUE, THU, FRI):
            add(day, starts, pick(["14:30", "15:00", "15:15"], 2))
        add(WED, starts, "12:30")
    elif kind == "pickup_point":
        for day in (MON, TUE, WED, THU, FRI, SAT):
            add(day, "07:00", "22:00", staffed=False)
    elif kind in ("poi_depot", "hub"):
        for day in (MON, TUE, WED, THU, FRI):
            add(day, "07:00", "17:00")
    return periods


def weekly_total(periods, *, staffed_only=False):
    """Opening hours per week of ``periods`` as a float."""
    total = 0.0
    for _day, opens, closes, staffed in periods:
        if staffed_only and not staffed:
            continue
        total += (closes.hour * 60 + closes.minute - opens.hour * 60 - opens.minute) / 60
    return total
