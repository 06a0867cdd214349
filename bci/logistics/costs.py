"""A period's transport cost shared among library organisations (the Django side of
``routing.allocation``): plan every working day of every depot of a POI, then allocate.

The subsidised IBL stream, paid transport inside one organisation, supplier deliveries
(new stock) and rotating collections are reported apart: each organisation's share is
split by the items of each stream it sent and received in the period
(``Transit.funding``). Visits made only for the fixed visit pattern, with no
items, carry no stream; their part is reported as ``unattributed``.
"""

import calendar
import csv
import datetime as dt
from dataclasses import dataclass, field

from bci.organisations.models import Node

from .models import Transit
from .planning import PlanningInputError, plan_day
from .routing.allocation import METHODS, Day, allocate

STREAMS = tuple(Transit.Funding.values)  # ibl, paid, supplier, rotation


@dataclass
class PeriodCosts:
    poi: Node
    first: dt.date
    last: dt.date
    days: list = field(default_factory=list)  # routing.allocation.Day
    funding: dict = field(default_factory=dict)  # org code -> {stream: items}, ibl/paid always
    names: dict = field(default_factory=dict)  # org code -> name
    warnings: list = field(default_factory=list)
    allocation: object = None


def parse_month(text):
    try:
        year, month = (int(p) for p in text.split("-"))
        first = dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise PlanningInputError(message=f"--month {text!r} is not YYYY-MM") from None
    return first, dt.date(year, month, calendar.monthrange(year, month)[1])


def find_poi(code):
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise PlanningInputError(message=f"no POI with code {code!r}")
    if node.kind != Node.Kind.POI:
        raise PlanningInputError(message=f"{code} is a {node.get_kind_display()}, not a POI")
    return node


def period_costs(
    poi, first, last, *, time_limit=1.0, samples=200, seed=0, progress=None, workers=1
):
    """Plan each day of each of the POI's depots from ``first`` to ``last`` and allocate
    (a sampled Shapley value's days in ``workers`` processes: the same figures)."""
    depots = list(
        Node.objects.filter(path__startswith=poi.path, kind=Node.Kind.DEPOT, is_active=True)
    )
    if not depots:
        raise PlanningInputError(message=f"{poi.code} has no depot")
    result = PeriodCosts(poi, first, last)
    day = first
    while day <= last:
        for depot in depots:
            planned = plan_day(depot, day, time_limit=time_limit, seed=seed)
            problem = planned.input.problem
            for w in planned.input.warnings:
                if "is closed on" not in w:
                    result.warnings.append(f"{day.isoformat()} {w}")
            if not problem.stops:
                continue
            served = {
                c: o for c, o in planned.input.owner.items() if c not in planned.plan.unserved
            }
            if planned.plan.unserved:
                result.warnings.append(
                    f"{day.isoformat()} {depot.code}: not served {', '.join(planned.plan.unserved)}"
                )
            if not served:
                continue
            problem.stops = [s for s in problem.stops if s.code in served]
            result.days.append(Day(problem, served, planned.plan.cost(problem)))
            for org, streams in planned.input.funding.items():
                mine = result.funding.setdefault(org, {"ibl": 0, "paid": 0})
                for stream, items in streams.items():
                    mine[stream] = mine.get(stream, 0) + items
        if progress:
            progress(day)
        day += dt.timedelta(days=1)
    if not result.days:
        raise PlanningInputError(
            message=f"{poi.code} has no planned routes between {first} and {last}"
        )
    orgs = Node.objects.filter(code__in={o for d in result.days for o in d.owner.values()})
    result.names = {o.code: o.name for o in orgs}
    population = {o.code: o.population for o in orgs if o.population}
    result.allocation = allocate(
        result.days,
        population=population if len(population) == len(orgs) else None,
        samples=samples,
        seed=seed,
        workers=workers,
    )
    return result


def stream_split(costs, org, amount):
    """{stream: euros} of ``amount`` charged to ``org``, by its items per funding stream,
    plus ``unattributed`` (visits without items)."""
    streams = costs.funding.get(org, {})
    items = sum(streams.get(s, 0) for s in STREAMS)
    if not items:
        return {**{s: 0.0 for s in STREAMS}, "unattributed": amount}
    return {**{s: amount * streams.get(s, 0) / items for s in STREAMS}, "unattributed": 0.0}


def rows(costs):
    """One dict per organisation with every method, its stand-alone cost and flags."""
    a = costs.allocation
    out = []
    for org in a.organisations:
        row = {"organisation": org, "name": costs.names.get(org, ""), "crates": a.volume[org]}
        for stream in STREAMS:
            row[f"items_{stream}"] = costs.funding.get(org, {}).get(stream, 0)
        row["standalone"] = round(a.standalone[org], 2)
        for method in METHODS:
            amount = a.shares[method][org]
            row[method] = round(amount, 2)
            for part, euros in stream_split(costs, org, amount).items():
                row[f"{method}_{part}"] = round(euros, 2)
            row[f"{method}_over_standalone"] = org in a.over_standalone(method)
        row["shapley_error"] = round(a.shapley_error.get(org, 0.0), 2)
        out.append(row)
    return out


def write_csv(path, table):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
