"""Pure circulation rules: no database, no clock. Services pass everything in."""

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# Built-in defaults when nothing is configured anywhere in the tree (DOMAIN.md):
# three weeks, renewable twice, 10 items, EUR 0.20 a day capped at EUR 5 per item,
# blocked at EUR 10 owed, free holds, 7 days on the hold shelf.
DEFAULT_RULE = {
    "loan_period_days": 21,
    "renewals_allowed": 2,
    "max_items": 10,
    "max_items_of_type": None,  # no separate limit per material type
    "fine_per_day": Decimal("0.20"),
    "fine_cap": Decimal("5.00"),
    "fine_free": False,
    "hold_fee": Decimal("0.00"),
    "pickup_window_days": 7,
    "short_loan": False,
    "fee_block_limit": Decimal("10.00"),
}


@dataclass(frozen=True)
class ResolvedRule:
    loan_period_days: int
    renewals_allowed: int
    max_items: int | None
    max_items_of_type: int | None
    fine_per_day: Decimal
    fine_cap: Decimal | None
    fine_free: bool
    hold_fee: Decimal
    pickup_window_days: int
    short_loan: bool
    fee_block_limit: Decimal | None
    # field -> id of the rule row it came from (None: built-in default); for explanations
    sources: dict = field(default_factory=dict, compare=False)


def specificity(rule_category, rule_material_type):
    """On one node: category and type > category only > type only > any."""
    return (2 if rule_category else 0) + (1 if rule_material_type else 0)


def resolve_rule(rows, *, category, material_type):
    """Resolve the terms for ``category`` x ``material_type`` from candidate rule rows.

    ``rows``: objects with ``node_depth`` (or ``node.depth``), ``patron_category``,
    ``material_type`` and the rule fields (None = not set here). ``material_type`` None
    resolves the patron-wide terms: only rows without a material type count.
    Nearest node first; on one node the most specific row first; per field the first
    row that sets it wins; the built-in default otherwise.
    """

    def depth(row):
        return row.node_depth if hasattr(row, "node_depth") else row.node.depth

    matching = [
        row
        for row in rows
        if row.patron_category in ("", category)
        and (
            row.material_type == ""
            if material_type is None
            else row.material_type in ("", material_type)
        )
    ]
    matching.sort(
        key=lambda r: (-depth(r), -specificity(r.patron_category, r.material_type), r.pk or 0)
    )
    values, sources = {}, {}
    for name, default in DEFAULT_RULE.items():
        values[name], sources[name] = default, None
        for row in matching:
            value = getattr(row, name)
            if value is not None:
                values[name], sources[name] = value, row.pk
                break
    return ResolvedRule(**values, sources=sources)


def due_date(start, period_days, open_day=None):
    """``start`` + period, moved forward to a day the branch is open.

    ``open_day(day)`` returns the first open day on or after ``day`` (or None when the
    branch has no calendar, in which case the plain date stands).
    """
    day = start + dt.timedelta(days=period_days)
    if open_day is not None:
        return open_day(day) or day
    return day


def days_late(due, returned_on):
    """Calendar days past the due date (fines count calendar days)."""
    return max(0, (returned_on - due).days)


def money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def fine_for(days, *, fine_per_day, fine_cap=None, fine_free=False, already_charged=0):
    """The overdue fine for ``days`` late, capped per item (minus what was charged
    before on the same loan, e.g. at an overdue renewal)."""
    if fine_free or days <= 0 or not fine_per_day:
        return Decimal("0.00")
    amount = money(Decimal(fine_per_day) * days)
    if fine_cap is not None:
        amount = min(amount, money(fine_cap))
    return max(Decimal("0.00"), amount - money(already_charged))


def renewals_left(*, renewals_allowed, renewals):
    return max(0, renewals_allowed - renewals)


def over_limit(count, limit):
    """Would one more item break ``limit`` (None = unlimited)?"""
    return limit is not None and count + 1 > limit


def fees_block(outstanding, limit):
    return limit is not None and outstanding >= limit > 0


# --- copy selection (the targeter's pure parts) ------------------------------------------

SAME_BRANCH, SAME_ORGANISATION, SAME_POI, OTHER_POI = (
    "same_branch",
    "same_organisation",
    "same_poi",
    "other_poi",
)

# Extra transport days after the van leaves the source branch, before the van that
# serves the pick-up branch can bring it (overnight sorting at the depot; via the
# national hub between provinces). A documented estimate, not a route plan.
TRANSPORT_DAYS = {SAME_BRANCH: 0, SAME_ORGANISATION: 1, SAME_POI: 2, OTHER_POI: 3}

DEFAULT_WEIGHTS = {
    "per_day": 10.0,  # each day until the copy is on the pick-up shelf
    "per_km": 0.1,  # distance between branches
    "same_branch": 0.0,
    "same_organisation": 2.0,
    "same_poi": 5.0,
    "other_poi": 15.0,
    "per_pick": 0.5,  # each copy already on the source branch's pick list (spreads load)
}


def relation(source_path, source_org_id, source_poi_id, dest_path, dest_org_id, dest_poi_id):
    if source_path == dest_path:
        return SAME_BRANCH
    if source_org_id is not None and source_org_id == dest_org_id:
        return SAME_ORGANISATION
    if source_poi_id is not None and source_poi_id == dest_poi_id:
        return SAME_POI
    return OTHER_POI


def haversine_km(lat1, lon1, lat2, lon2):
    if None in (lat1, lon1, lat2, lon2):
        return 0.0
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def next_weekday_in(day, weekdays, *, horizon=14):
    """First day on or after ``day`` whose weekday is in ``weekdays`` (day itself if none)."""
    if not weekdays:
        return day
    for offset in range(horizon):
        candidate = day + dt.timedelta(days=offset)
        if candidate.weekday() in weekdays:
            return candidate
    return day


def estimate_arrival(*, today, rel, pull_day, source_van_days, dest_van_days, dest_open_day):
    """When a copy could stand on the pick-up shelf.

    ``pull_day``: first day the source branch is open (staff pull the copy); the copy
    leaves on the next van visit after that, travels ``TRANSPORT_DAYS[rel]`` days, and is
    delivered on the pick-up branch's next van day, then shelved on its next open day
    (``dest_open_day(day)``).
    """
    if rel == SAME_BRANCH:
        return dest_open_day(pull_day)
    leaves = next_weekday_in(pull_day + dt.timedelta(days=1), source_van_days)
    delivered = next_weekday_in(leaves + dt.timedelta(days=TRANSPORT_DAYS[rel]), dest_van_days)
    return dest_open_day(delivered)


def copy_score(*, arrival, today, rel, km, picks, weights):
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    days = max(0, (arrival - today).days)
    return days * w["per_day"] + w[rel] + km * w["per_km"] + picks * w["per_pick"]
