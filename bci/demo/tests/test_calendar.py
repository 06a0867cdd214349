"""Generated opening hours and the public holidays of the demo."""

import datetime as dt

import pytest

from bci.demo.holidays import closed_holidays, easter_sunday, kings_day
from bci.demo.hours import weekly_schedule, weekly_total


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2019, dt.date(2019, 4, 21)),
        (2024, dt.date(2024, 3, 31)),
        (2025, dt.date(2025, 4, 20)),
        (2026, dt.date(2026, 4, 5)),
        (2027, dt.date(2027, 3, 28)),
        (2038, dt.date(2038, 4, 25)),
    ],
)
def test_easter(year, easter):
    assert easter_sunday(year) == easter


def test_holidays_2026_and_2027():
    assert dict((name, day) for day, name in closed_holidays(2026)) == {
        "Nieuwjaarsdag": dt.date(2026, 1, 1),
        "Eerste Paasdag": dt.date(2026, 4, 5),
        "Tweede Paasdag": dt.date(2026, 4, 6),
        "Koningsdag": dt.date(2026, 4, 27),
        "Hemelvaartsdag": dt.date(2026, 5, 14),
        "Eerste Pinksterdag": dt.date(2026, 5, 24),
        "Tweede Pinksterdag": dt.date(2026, 5, 25),
        "Eerste Kerstdag": dt.date(2026, 12, 25),
        "Tweede Kerstdag": dt.date(2026, 12, 26),
    }
    days_2027 = {name: day for day, name in closed_holidays(2027)}
    assert days_2027["Tweede Paasdag"] == dt.date(2027, 3, 29)
    assert days_2027["Hemelvaartsdag"] == dt.date(2027, 5, 6)
    assert days_2027["Tweede Pinksterdag"] == dt.date(2027, 5, 17)
    assert "Bevrijdingsdag" not in days_2027  # only in lustrum years
    assert dt.date(2030, 5, 5) in {day for day, _ in closed_holidays(2030)}


def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday():
    assert kings_day(2025) == dt.date(2025, 4, 26)
    assert kings_day(2026) == dt.date(2026, 4, 27)


CODES = [f"ORG-BRANCH-{n}" for n in range(60)]


@pytest.mark.parametrize(
    "kind", ["main", "branch", "service_point", "school", "pickup_point", "poi_depot", "hub"]
)
def test_generated_hours_are_valid_for_every_code(kind):
    for code in CODES:
        periods = weekly_schedule(kind, code)
        assert periods == weekly_schedule(kind, code)  # deterministic
        for day, opens, closes, _staffed in periods:
            assert 0 <= day <= 6 and opens < closes
        by_day = {}
        for day, opens, closes, _staffed in sorted(periods):
            assert by_day.get(day, dt.time(0)) <= opens, f"{kind} {code}: overlap on day {day}"
            by_day[day] = closes


def test_hours_follow_the_dutch_definitions_and_vary():
    staffed = {
        kind: [weekly_total(weekly_schedule(kind, c), staffed_only=True) for c in CODES]
        for kind in ("main", "branch", "service_point")
    }
    assert all(4 <= h <= 15 for h in staffed["service_point"])  # servicepunt: 4-15 h
    assert all(h >= 15 for h in staffed["branch"])  # vestiging: >= 15 h staffed
    assert min(staffed["main"]) > max(staffed["service_point"])
    for kind in staffed:
        assert len(set(staffed[kind])) > 1, f"{kind} hours do not vary"
    main_days = {d for c in CODES for d, *_ in weekly_schedule("main", c)}
    assert main_days == {0, 1, 2, 3, 4, 5}
    evenings = [
        c for c in CODES if any(cl.hour >= 20 for _, _, cl, _ in weekly_schedule("main", c))
    ]
    assert evenings == CODES
    depot = weekly_schedule("poi_depot", "X")
    assert [(d, o.hour, c.hour) for d, o, c, _ in depot] == [(d, 7, 17) for d in range(5)]
