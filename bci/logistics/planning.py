"""Build a day's routing ``Problem`` for a POI depot from the database.

Which branches: the lending locations of the depot's POI that belong to this depot (the
``depot`` setting names it; without one, the POI's nearest depot), visited when they have
crates to deliver or collect that day or when their fixed visit pattern says so.

Which crates: the state of the transits at the start of the day (local midnight), rebuilt
from their timestamps so that a past day (cost allocation) and tomorrow (planning) use the
same rule:

- to collect at a branch: transits *from* it created before the day and not yet
  dispatched (the item waits at the branch);
- to deliver to a branch: transits *to* it dispatched before the day and not yet received
  (the item is at the depot, sorted onward).

Items become crates at ``crate_items`` items a crate (setting, default 35), rounded up.

Settings read (nearest ancestor wins, ``bci.organisations.queries.resolve_setting``):

==========================  ==================================================  ============
key                         meaning                                             default
==========================  ==================================================  ============
``crate_items``             items in one crate                                  35
``van_visit_days``          fixed visit weekdays (0 = Monday)                   by kind
``delivery_window``         ["HH:MM", "HH:MM"] instead of the opening hours     opening hours
``depot``                   code of the depot that serves the location          nearest
``vans`` (on the depot)     list of van types (see ``DEFAULT_VANS``)            3 vans of 40
``route_speed_kmh``         average road speed                                  50
``route_detour_factor``     road km / straight-line km                          1.3
``route_service_per_stop``  minutes at each stop                                5
``route_service_per_crate`` minutes per crate handled                           0.5
==========================  ==================================================  ============

Default visit patterns: main branches Monday to Friday, branches Monday, Wednesday and
Friday, service points on Tuesday, school locations on Thursday, pick-up points only when
they have crates.

Nothing is silently dropped: a location without coordinates, without opening hours or
closed that day is listed in ``DayInput.skipped`` with the reason, and in ``warnings``
when crates wait for it.
"""

import csv
import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bci.core.errors import InvalidInput
from bci.organisations.models import Node, OpeningHours
from bci.organisations.queries import hours_on, resolve_setting

from .models import Transit
from .routing import Depot, Problem, Stop, VanType
from .routing.problem import haversine_km


class PlanningInputError(InvalidInput):
    """A setting, file or code the planner cannot use; the message names it."""

    code = "planning_input"
    message = _("The route planning input is not valid.")


CRATE_ITEMS = 35
DEFAULT_VISIT_DAYS = {
    Node.Kind.MAIN_BRANCH: [0, 1, 2, 3, 4],
    Node.Kind.BRANCH: [0, 2, 4],
    Node.Kind.SERVICE_POINT: [1],
    Node.Kind.SCHOOL: [3],
    Node.Kind.PICKUP_POINT: [],
}
DEFAULT_VANS = [
    {
        "name": "bestelbus",
        "count": 3,
        "capacity": 40,
        "shift_start": "07:00",
        "shift_end": "17:00",
        "cost_per_km": 0.35,
        "cost_per_hour": 35.0,
        "fixed_cost": 100.0,
    }
]


@dataclass
class Skipped:
    code: str
    name: str
    reason: str
    crates: int = 0


@dataclass
class DayInput:
    """Everything the planner needs about one depot's day, plus what it left out and why."""

    depot: Node
    day: dt.date
    problem: Problem | None
    nodes: dict = field(default_factory=dict)  # stop code -> Node
    owner: dict = field(default_factory=dict)  # stop code -> organisation code
    items: dict = field(default_factory=dict)  # stop code -> {"deliver": n, "collect": n}
    funding: dict = field(default_factory=dict)  # organisation code -> {"ibl": n, "paid": n}
    skipped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


# --- parsing settings ---------------------------------------------------------------------


def parse_hhmm(value, *, what):
    """ "08:30" -> 510 minutes after midnight; anything else is a PlanningInputError."""
    try:
        hours, minutes = str(value).split(":")
        h, m = int(hours), int(minutes)
    except (TypeError, ValueError):
        raise PlanningInputError(message=f"{what}: {value!r} is not a time like 08:30") from None
    if not (0 <= h <= 24 and 0 <= m < 60) or h * 60 + m > 24 * 60:
        raise PlanningInputError(message=f"{what}: {value!r} is not a time of day")
    return h * 60 + m


def _minutes(t):
    return t.hour * 60 + t.minute


def parse_vans(raw, *, depot_code):
    """The depot's ``vans`` setting -> [VanType]; every field checked."""
    if not isinstance(raw, list) or not raw:
        raise PlanningInputError(
            message=f"setting 'vans' on {depot_code} must be a non-empty list of van types"
        )
    vans, names = [], set()
    for n, entry in enumerate(raw, 1):
        what = f"setting 'vans' on {depot_code}, van type {n}"
        if not isinstance(entry, dict):
            raise PlanningInputError(message=f"{what}: must be an object")
        unknown = set(entry) - set(DEFAULT_VANS[0])
        if unknown:
            raise PlanningInputError(message=f"{what}: unknown field(s) {sorted(unknown)}")
        merged = {**DEFAULT_VANS[0], **entry}
        try:
            count, capacity = int(merged["count"]), int(merged["capacity"])
            costs = [float(merged[k]) for k in ("cost_per_km", "cost_per_hour", "fixed_cost")]
        except (TypeError, ValueError):
            raise PlanningInputError(
                message=f"{what}: count, capacity and costs must be numbers"
            ) from None
        if count < 1 or capacity < 1:
            raise PlanningInputError(message=f"{what}: count and capacity must be at least 1")
        if any(c < 0 or math.isnan(c) for c in costs) or costs[0] <= 0:
            raise PlanningInputError(
                message=f"{what}: costs must not be negative, cost per km above zero"
            )
        start = parse_hhmm(merged["shift_start"], what=f"{what} shift_start")
        end = parse_hhmm(merged["shift_end"], what=f"{what} shift_end")
        if end <= start:
            raise PlanningInputError(message=f"{what}: the shift must end after it starts")
        name = str(merged["name"]) or f"van{n}"
        if name in names:
            raise PlanningInputError(message=f"{what}: name {name!r} is used twice")
        names.add(name)
        vans.append(VanType(name, count, capacity, start, end, *costs))
    return vans


def _number(node, key, default):
    """The setting ``key`` of ``node`` as a float, and the raw value for messages."""
    value = resolve_setting(node, key, default)
    try:
        return float(value), value
    except (TypeError, ValueError):
        raise PlanningInputError(
            message=f"setting {key!r} must be a number, not {value!r}"
        ) from None


def _positive_number(node, key, default):
    number, value = _number(node, key, default)
    if not number > 0 or math.isinf(number):
        raise PlanningInputError(message=f"setting {key!r} must be above zero, not {value!r}")
    return number


def _non_negative(node, key, default):
    number, _value = _number(node, key, default)
    if number < 0 or math.isinf(number):
        raise PlanningInputError(message=f"setting {key!r} must not be negative")
    return number


def visit_days(node):
    value = resolve_setting(node, "van_visit_days", None)
    if value is None:
        return DEFAULT_VISIT_DAYS.get(node.kind, [])
    if not isinstance(value, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in value):
        raise PlanningInputError(
            message=f"setting 'van_visit_days' of {node.code} must be a list of weekdays 0-6"
        )
    return value


def crate_items(node):
    value = resolve_setting(node, "crate_items", CRATE_ITEMS)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PlanningInputError(
            message=f"setting 'crate_items' of {node.code} must be a whole number above zero"
        )
    return value


def read_matrix(path):
    """A distance matrix CSV (from_code,to_code,km,minutes) -> {(a, b): (km, minutes)}."""
    matrix = {}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            needed = {"from_code", "to_code", "km", "minutes"}
            if reader.fieldnames is None or not needed <= set(reader.fieldnames):
                raise PlanningInputError(
                    message=f"{path}: the header must name from_code,to_code,km,minutes"
                )
            for line, row in enumerate(reader, 2):
                try:
                    km, minutes = float(row["km"]), float(row["minutes"])
                except (TypeError, ValueError):
                    raise PlanningInputError(
                        message=f"{path} line {line}: km and minutes must be numbers"
                    ) from None
                if km < 0 or minutes < 0 or math.isnan(km) or math.isnan(minutes):
                    raise PlanningInputError(
                        message=f"{path} line {line}: km and minutes must not be negative"
                    )
                a, b = (row["from_code"] or "").strip(), (row["to_code"] or "").strip()
                if not a or not b:
                    raise PlanningInputError(message=f"{path} line {line}: a code is missing")
                matrix[(a, b)] = (km, minutes)
    except OSError as exc:
        raise PlanningInputError(message=f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error):
        raise PlanningInputError(message=f"{path}: not a UTF-8 CSV file") from None
    return matrix


# --- which locations, which crates --------------------------------------------------------


def depot_locations(depot):
    """Active lending locations served by ``depot``: its POI's, split between the POI's
    depots by the ``depot`` setting or, without one, by distance."""
    poi = depot.poi
    if poi is None:
        raise PlanningInputError(message=f"{depot.code} is not under a POI")
    depots = list(
        Node.objects.filter(path__startswith=poi.path, kind=Node.Kind.DEPOT, is_active=True)
    )
    locations = Node.objects.filter(
        path__startswith=poi.path, kind__in=Node.Kind.lending_kinds(), is_active=True
    ).order_by("code")
    mine = []
    for node in locations:
        chosen = resolve_setting(node, "depot", None)
        if chosen is None and len(depots) > 1 and node.has_coordinates:
            placed = [d for d in depots if d.has_coordinates]
            if placed:
                chosen = min(
                    placed,
                    key=lambda d: haversine_km(
                        node.latitude, node.longitude, d.latitude, d.longitude
                    ),
                ).code
        if chosen is None or chosen == depot.code:
            mine.append(node)
    return mine


def waiting_items(node_ids, day):
    """{node_id: {"deliver": [transit], "collect": [transit]}} at the start of ``day``."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    alive = Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=start)
    collect = Transit.objects.filter(
        alive,
        Q(dispatched_at__isnull=True) | Q(dispatched_at__gte=start),
        Q(received_at__isnull=True) | Q(received_at__gte=start),
        from_node_id__in=node_ids,
        created_at__lt=start,
    )
    deliver = Transit.objects.filter(
        alive,
        Q(received_at__isnull=True) | Q(received_at__gte=start),
        to_node_id__in=node_ids,
        dispatched_at__lt=start,
    )
    # A lost transit carries no timestamp of its loss: it leaves every day's count.
    collect, deliver = collect.exclude(status="lost"), deliver.exclude(status="lost")
    waiting = {n: {"deliver": [], "collect": []} for n in node_ids}
    for t in collect.only("id", "from_node_id", "to_node_id", "funding"):
        waiting[t.from_node_id]["collect"].append(t)
    for t in deliver.only("id", "from_node_id", "to_node_id", "funding"):
        waiting[t.to_node_id]["deliver"].append(t)
    return waiting


def _window(node, day, service_minutes):
    """(opens, closes) for service to start in, or a reason why there is none."""
    fixed = resolve_setting(node, "delivery_window", None)
    if fixed is not None:
        if not isinstance(fixed, list) or len(fixed) != 2:
            raise PlanningInputError(
                message=f'setting \'delivery_window\' of {node.code} must be ["HH:MM", "HH:MM"]'
            )
        opens = parse_hhmm(fixed[0], what=f"delivery_window of {node.code}")
        closes = parse_hhmm(fixed[1], what=f"delivery_window of {node.code}")
        if closes <= opens:
            raise PlanningInputError(
                message=f"delivery_window of {node.code} must end after it starts"
            )
        return (opens, closes), None
    periods = hours_on(node, day)
    if not periods:
        if not OpeningHours.objects.filter(node=node).exists():
            return None, "no opening hours (and no delivery_window)"
        return None, "closed that day"
    # The longest opening period; service starts early enough to end before closing.
    opens, closes = max(((_minutes(o), _minutes(c)) for o, c in periods), key=lambda p: p[1] - p[0])
    return (opens, max(opens, closes - math.ceil(service_minutes))), None


def build_day(depot, day, *, matrix=None):
    """The routing problem of ``depot`` (a poi_depot Node) on ``day``."""
    if depot.kind != Node.Kind.DEPOT:
        raise PlanningInputError(message=f"{depot.code} is not a POI depot")
    if not depot.has_coordinates:
        raise PlanningInputError(message=f"depot {depot.code} has no coordinates")
    vans = parse_vans(resolve_setting(depot, "vans", DEFAULT_VANS), depot_code=depot.code)
    per_stop = _non_negative(depot, "route_service_per_stop", 5.0)
    per_crate = _non_negative(depot, "route_service_per_crate", 0.5)
    result = DayInput(depot=depot, day=day, problem=None)
    depot_hours = hours_on(depot, day)
    has_hours = OpeningHours.objects.filter(node=depot).exists()
    if (has_hours and not depot_hours) or (not has_hours and day.weekday() >= 5):
        # Vans run on the depot's working days (Monday to Friday when it has no hours).
        result.warnings.append(f"depot {depot.code} is closed on {day.isoformat()}: no routes")
        result.problem = Problem(
            depot=Depot(depot.code, depot.latitude, depot.longitude), stops=[], vans=vans
        )
        return result
    locations = depot_locations(depot)
    waiting = waiting_items([n.pk for n in locations], day)
    stops = []
    for node in locations:
        items = waiting[node.pk]
        per = crate_items(node)
        deliver = math.ceil(len(items["deliver"]) / per)
        collect = math.ceil(len(items["collect"]) / per)
        scheduled = day.weekday() in visit_days(node)
        if not (deliver or collect or scheduled):
            continue
        crates = deliver + collect
        if not node.has_coordinates:
            result.skipped.append(Skipped(node.code, node.name, "no coordinates", crates))
            result.warnings.append(
                f"{node.code} {node.name}: no coordinates, not planned ({crates} crates wait)"
            )
            continue
        window, why = _window(node, day, per_stop + per_crate * crates)
        if window is None:
            result.skipped.append(Skipped(node.code, node.name, why, crates))
            if crates or why != "closed that day":
                result.warnings.append(
                    f"{node.code} {node.name}: {why}, not planned ({crates} crates wait)"
                )
            continue
        stops.append(
            Stop(
                node.code, node.latitude, node.longitude, deliver, collect, *window, name=node.name
            )
        )
        org = node.organisation
        org_code = org.code if org else node.code
        result.nodes[node.code] = node
        result.owner[node.code] = org_code
        result.items[node.code] = {
            "deliver": len(items["deliver"]),
            "collect": len(items["collect"]),
        }
        stream = result.funding.setdefault(org_code, {"ibl": 0, "paid": 0})
        for t in items["deliver"] + items["collect"]:
            stream[t.funding] = stream.get(t.funding, 0) + 1  # ibl, paid, supplier, rotation
    if depot_hours:
        d_open, d_close = _minutes(depot_hours[0][0]), _minutes(depot_hours[-1][1])
    else:
        d_open = min(v.shift_start for v in vans)
        d_close = max(v.shift_end for v in vans)
    d_close = max(d_close, max(v.shift_end for v in vans))
    d_open = min(d_open, min(v.shift_start for v in vans))
    result.problem = Problem(
        depot=Depot(depot.code, depot.latitude, depot.longitude, opens=d_open, closes=d_close),
        stops=stops,
        vans=vans,
        speed_kmh=_positive_number(depot, "route_speed_kmh", 50.0),
        detour_factor=_positive_number(depot, "route_detour_factor", 1.3),
        service_per_stop=per_stop,
        service_per_crate=per_crate,
        matrix=matrix,
    )
    return result


def next_working_day(day):
    """The next day from Monday to Friday after ``day`` (holidays: the depot's hours)."""
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def find_depot(code):
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise PlanningInputError(message=f"no location with code {code!r}")
    if node.kind != Node.Kind.DEPOT:
        raise PlanningInputError(message=f"{code} is a {node.get_kind_display()}, not a POI depot")
    return node


@dataclass
class DayPlan:
    input: DayInput
    plan: object  # routing.Plan
    baseline: object  # routing.Plan (sweep)
    check: list  # problems found by the independent check; [] = the plan holds
    summary: dict


def plan_day(depot, day, *, time_limit=10.0, matrix=None, seed=0):
    """Build, solve, compare with the sweep baseline and check one depot's day."""
    from .render import plan_summary
    from .routing import check_plan, plan_routes, sweep_plan

    day_input = build_day(depot, day, matrix=matrix)
    problem = day_input.problem
    plan = plan_routes(problem, time_limit=time_limit, seed=seed)
    baseline = sweep_plan(problem)
    problems = check_plan(problem, plan)
    summary = plan_summary(problem, plan, baseline=baseline, check=problems, day_input=day_input)
    return DayPlan(day_input, plan, baseline, problems, summary)
