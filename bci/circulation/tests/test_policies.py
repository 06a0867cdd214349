import datetime as dt
from decimal import Decimal
from types import SimpleNamespace as NS

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bci.circulation import policies as p


def row(pk, depth, category="", material_type="", **fields):
    values = dict.fromkeys(p.DEFAULT_RULE)
    values.update(fields)
    return NS(
        pk=pk, node_depth=depth, patron_category=category, material_type=material_type, **values
    )


def test_builtin_defaults_when_nothing_configured():
    rule = p.resolve_rule([], category="standaard", material_type="book")
    assert rule.loan_period_days == 21
    assert rule.max_items == 10
    assert rule.fine_cap == Decimal("5.00")
    assert rule.sources["loan_period_days"] is None


def test_nearest_node_wins_over_specificity():
    rows = [
        row(1, 0, "jeugd", "dvd", loan_period_days=7),  # network, most specific
        row(2, 2, loan_period_days=28),  # organisation, any x any
    ]
    rule = p.resolve_rule(rows, category="jeugd", material_type="dvd")
    assert rule.loan_period_days == 28 and rule.sources["loan_period_days"] == 2


def test_most_specific_row_wins_on_one_node():
    rows = [
        row(1, 2, loan_period_days=21),
        row(2, 2, material_type="dvd", loan_period_days=7),
        row(3, 2, category="plus", loan_period_days=28),
        row(4, 2, category="plus", material_type="dvd", loan_period_days=14),
    ]
    assert p.resolve_rule(rows, category="plus", material_type="dvd").loan_period_days == 14
    assert p.resolve_rule(rows, category="plus", material_type="book").loan_period_days == 28
    assert p.resolve_rule(rows, category="basis", material_type="dvd").loan_period_days == 7
    assert p.resolve_rule(rows, category="basis", material_type="book").loan_period_days == 21


def test_unset_fields_fall_through_to_farther_rows():
    rows = [row(1, 0, fine_per_day=Decimal("0.25")), row(2, 3, fine_free=True)]
    rule = p.resolve_rule(rows, category="x", material_type="book")
    assert rule.fine_free is True and rule.fine_per_day == Decimal("0.25")


def test_patron_wide_terms_ignore_material_type_rows():
    rows = [row(1, 2, material_type="dvd", max_items=3), row(2, 0, max_items=20)]
    assert p.resolve_rule(rows, category="x", material_type=None).max_items == 20
    assert p.resolve_rule(rows, category="x", material_type="dvd").max_items == 3


def test_rows_of_other_categories_and_types_do_not_match():
    rows = [
        row(1, 3, category="jeugd", loan_period_days=7),
        row(2, 3, material_type="game", loan_period_days=7),
    ]
    assert p.resolve_rule(rows, category="plus", material_type="book").loan_period_days == 21


def test_due_date_moves_to_next_open_day():
    sunday_closed = lambda day: day + dt.timedelta(days=1) if day.weekday() == 6 else day  # noqa: E731
    start = dt.date(2026, 12, 6) - dt.timedelta(days=21)  # due on a Sunday
    assert p.due_date(start, 21, sunday_closed) == dt.date(2026, 12, 7)
    assert p.due_date(start, 21, lambda day: None) == dt.date(2026, 12, 6)


def test_fine_for_caps_and_fine_free():
    assert p.fine_for(3, fine_per_day=Decimal("0.20")) == Decimal("0.60")
    assert p.fine_for(100, fine_per_day=Decimal("0.20"), fine_cap=Decimal("5")) == Decimal("5.00")
    assert p.fine_for(100, fine_per_day=Decimal("0.20"), fine_cap=None) == Decimal("20.00")
    assert p.fine_for(10, fine_per_day=Decimal("0.20"), fine_free=True) == 0
    assert p.fine_for(0, fine_per_day=Decimal("0.20")) == 0
    assert p.fine_for(
        30, fine_per_day=Decimal("0.20"), fine_cap=Decimal("5"), already_charged=Decimal("4")
    ) == Decimal("1.00")


@given(
    days=st.integers(min_value=-5, max_value=1000),
    per_day=st.decimals(min_value=0, max_value=5, places=2),
    cap=st.decimals(min_value=0, max_value=50, places=2),
)
def test_fine_never_exceeds_cap_and_is_never_negative(days, per_day, cap):
    fine = p.fine_for(days, fine_per_day=per_day, fine_cap=cap)
    assert Decimal(0) <= fine <= cap


def test_days_late_and_renewals_left():
    assert p.days_late(dt.date(2026, 12, 1), dt.date(2026, 12, 4)) == 3
    assert p.days_late(dt.date(2026, 12, 5), dt.date(2026, 12, 4)) == 0
    assert p.renewals_left(renewals_allowed=2, renewals=1) == 1
    assert p.renewals_left(renewals_allowed=1, renewals=3) == 0


def test_limits_and_fee_block():
    assert p.over_limit(10, 10) and not p.over_limit(9, 10) and not p.over_limit(99, None)
    assert p.fees_block(Decimal("10"), Decimal("10"))
    assert not p.fees_block(Decimal("9.99"), Decimal("10"))
    assert not p.fees_block(Decimal("99"), None)


def test_haversine_houten_maastricht():
    km = p.haversine_km(52.03, 5.17, 50.85, 5.69)
    assert 130 < km < 140
    assert p.haversine_km(None, 5, 52, 5) == 0


@pytest.mark.parametrize(
    "rel, expected",
    [
        (p.SAME_BRANCH, dt.date(2026, 12, 2)),  # Wed: on the shelf today
        (p.SAME_ORGANISATION, dt.date(2026, 12, 4)),  # leaves Thu, delivered Fri
        (p.SAME_POI, dt.date(2026, 12, 7)),  # leaves Thu, +2 = Sat -> next van Mon
        (p.OTHER_POI, dt.date(2026, 12, 7)),  # leaves Thu, +3 = Sun -> Mon
    ],
)
def test_estimate_arrival(rel, expected):
    wed = dt.date(2026, 12, 2)
    arrival = p.estimate_arrival(
        today=wed,
        rel=rel,
        pull_day=wed,
        source_van_days={0, 1, 2, 3, 4},
        dest_van_days={0, 1, 2, 3, 4},
        dest_open_day=lambda d: d,
    )
    assert arrival == expected


def test_copy_score_orders_tiers():
    day = dt.date(2026, 12, 2)
    near = p.copy_score(arrival=day, today=day, rel=p.SAME_BRANCH, km=0, picks=0, weights={})
    far = p.copy_score(
        arrival=day + dt.timedelta(days=3),
        today=day,
        rel=p.OTHER_POI,
        km=130,
        picks=0,
        weights={},
    )
    busy = p.copy_score(arrival=day, today=day, rel=p.SAME_BRANCH, km=0, picks=10, weights={})
    assert near < busy < far
