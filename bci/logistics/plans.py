"""Route plans kept in the database, and drivers' scans against them.

``store_plan`` keeps a planned day (``planning.DayPlan``) as one ``RoutePlan`` with a
``PlanStop`` per stop: the planned arrival (ETA: the service start the driver sheet
prints) and the delivery window as aware datetimes of that day. Planning the same depot
and day again replaces the plan until a driver has scanned one of its stops; from then on
the plan is what the vans are driving and is kept.

A driver's scan at a location records when the van arrived there: the explicit
``arrive`` scan, and every crate collected or delivered there (``note_arrival``). The
first scan at a stop wins. ``plan_progress`` compares arrivals with the ETAs: a stop is on
time when reached no later than ETA + ``eta_tolerance_minutes`` (depot setting, default
15), late otherwise.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError
from bci.core.events import record_event
from bci.organisations.queries import resolve_setting

from .models import PlanStop, RoutePlan
from .planning import PlanningInputError
from .render import svg_map

TOLERANCE_MINUTES = 15


class PlanInProgress(DomainError):
    code = "plan_in_progress"
    message = _(
        "The plan of %(depot)s for %(day)s is kept: drivers have already scanned "
        "%(count)s of its stops, so it cannot be replaced."
    )
    status = 409


class PlanBusy(DomainError):
    code = "plan_busy"
    message = _("The plan of %(depot)s for %(day)s was stored at the same moment; try again.")
    status = 409


class NotInPlan(DomainError):
    code = "not_in_plan"
    message = _("%(at)s is not a stop of any van route planned for %(day)s.")
    status = 404


# --- storing a plan -----------------------------------------------------------------------


def local_time(day, minutes):
    """``minutes`` after midnight of ``day`` as an aware datetime in the local timezone."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=round(minutes))
    return timezone.make_aware(naive)


def _user(by):
    return by if getattr(by, "pk", None) and hasattr(by, "get_username") else None


def _label(by):
    user = _user(by)
    return (user.get_username() if user else str(by or ""))[:150]


@transaction.atomic
def store_plan(day_plan, *, by=None, now=None):
    """Keep ``day_plan`` (a ``planning.DayPlan``) as the depot's plan for its day.

    Replaces an earlier plan of that depot and day unless a driver has scanned one of its
    stops (``PlanInProgress``)."""
    now = now or timezone.now()
    depot, day = day_plan.input.depot, day_plan.input.day
    problem, plan, summary = day_plan.input.problem, day_plan.plan, day_plan.summary
    existing = RoutePlan.objects.select_for_update().filter(depot=depot, day=day).first()
    if existing is not None:
        scanned = existing.stops.filter(arrived_at__isnull=False).count()
        if scanned:
            raise PlanInProgress(depot=depot.code, day=day.isoformat(), count=scanned)
        existing.stops.all().delete()
    route_plan = existing or RoutePlan(depot=depot, day=day)
    route_plan.created_at = now
    route_plan.created_by = _user(by)
    route_plan.method = (plan.method or "")[:32]
    route_plan.km = round(plan.km, 1)
    route_plan.hours = round(plan.hours, 2)
    route_plan.cost = Decimal(str(round(plan.cost(problem), 2))) if plan.routes else Decimal(0)
    route_plan.crates = sum(p.deliver + p.collect for r in plan.routes for p in r.stops)
    route_plan.summary = summary
    route_plan.map_svg = svg_map(problem, plan) if problem.stops else ""
    try:
        with transaction.atomic():
            route_plan.save()
    except IntegrityError:
        raise PlanBusy(depot=depot.code, day=day.isoformat()) from None
    rows = []
    for number, route in enumerate(plan.routes, 1):
        for seq, p in enumerate(route.stops, 1):
            stop = problem.stop(p.code)
            rows.append(
                PlanStop(
                    plan=route_plan,
                    route=number,
                    seq=seq,
                    node=day_plan.input.nodes[p.code],
                    eta=local_time(day, p.start),
                    window_opens=local_time(day, stop.opens),
                    window_closes=local_time(day, stop.closes),
                    deliver=p.deliver,
                    collect=p.collect,
                )
            )
    PlanStop.objects.bulk_create(rows)
    record_event(
        "route_plan.stored",
        subject=route_plan,
        by=by,
        where=depot,
        now=now,
        day=day.isoformat(),
        routes=len(plan.routes),
        stops=len(rows),
        replaced=existing is not None,
    )
    return route_plan


def stored_plan(depot, day):
    """The kept plan of ``depot`` on ``day`` with its stops (and their nodes), or None."""
    return (
        RoutePlan.objects.filter(depot=depot, day=day)
        .select_related("depot", "created_by")
        .prefetch_related(
            Prefetch(
                "stops", queryset=PlanStop.objects.select_related("node").order_by("route", "seq")
            )
        )
        .first()
    )


# --- drivers' scans -----------------------------------------------------------------------


@transaction.atomic
def record_arrival(*, at, by=None, now=None, required=True):
    """A driver's scan at location ``at``: the van of today's plan stopping there arrived.

    The first scan wins: a later one returns the stop as it was. Without a stop at ``at``
    in today's plans, ``NotInPlan`` (or None when ``required`` is False: a crate scan at a
    depot or at an unplanned stop records no arrival)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    plan_ids = list(
        PlanStop.objects.filter(plan__day=day, node=at).values_list("plan_id", flat=True)
    )
    if not plan_ids:
        if required:
            raise NotInPlan(at=at.code, day=day.isoformat())
        return None
    # Lock the plans first (store_plan locks the plan too): an arrival and a new plan of
    # the same day never cross.
    list(RoutePlan.objects.select_for_update().filter(pk__in=plan_ids).order_by("pk"))
    stops = list(
        PlanStop.objects.filter(plan_id__in=plan_ids, node=at)
        .select_related("plan__depot", "node")
        .order_by("eta", "pk")
    )
    if not stops:  # the plan was replaced meanwhile without this stop
        if required:
            raise NotInPlan(at=at.code, day=day.isoformat())
        return None
    reached = [s for s in stops if s.arrived_at is not None]
    if reached:
        return reached[0]
    stop = stops[0]
    stop.arrived_at, stop.arrived_by = now, _label(by)
    stop.save(update_fields=["arrived_at", "arrived_by"])
    record_event(
        "route_plan.arrived",
        subject=stop.plan,
        by=by,
        where=at,
        now=now,
        depot=stop.plan.depot.code,
        day=day.isoformat(),
        route=stop.route,
        seq=stop.seq,
        eta=stop.eta.isoformat(),
    )
    return stop


def note_arrival(*, at, by=None, now=None):
    """A crate collected or delivered at ``at`` also tells that the van got there."""
    return record_arrival(at=at, by=by, now=now, required=False)


# --- ETAs met -----------------------------------------------------------------------------


def eta_tolerance(depot):
    """Minutes a van may arrive after its ETA and still count as on time."""
    value = resolve_setting(depot, "eta_tolerance_minutes", TOLERANCE_MINUTES)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlanningInputError(
            message=f"setting 'eta_tolerance_minutes' of {depot.code} must be a number of "
            f"minutes, not {value!r}"
        )
    if value < 0 or math.isnan(value) or math.isinf(value):
        raise PlanningInputError(
            message=f"setting 'eta_tolerance_minutes' of {depot.code} must not be negative"
        )
    return value


ON_TIME, LATE, NOT_REACHED = "on_time", "late", "not_reached"


@dataclass
class StopProgress:
    stop: PlanStop
    status: str  # on_time, late, not_reached
    delay_minutes: int | None  # arrival - ETA in whole minutes (negative: early)
    overdue: bool = False  # not reached and already past ETA + tolerance


@dataclass
class Tally:
    reached: int = 0
    on_time: int = 0
    late: int = 0
    not_reached: int = 0

    @property
    def on_time_share(self):
        """Percentage of the stops reached that were on time; None before any arrival."""
        return round(self.on_time * 100 / self.reached) if self.reached else None

    def add(self, progress):
        self.reached += progress.status != NOT_REACHED
        self.on_time += progress.status == ON_TIME
        self.late += progress.status == LATE
        self.not_reached += progress.status == NOT_REACHED


@dataclass
class PlanProgress:
    plan: RoutePlan
    tolerance: float
    stops: list = field(default_factory=list)  # StopProgress in route and stop order
    routes: dict = field(default_factory=dict)  # route number -> Tally
    total: Tally = field(default_factory=Tally)

    def stop(self, route, seq):
        return next((p for p in self.stops if (p.stop.route, p.stop.seq) == (route, seq)), None)


def stop_progress(stop, *, tolerance, now):
    if stop.arrived_at is None:
        overdue = now > stop.eta + dt.timedelta(minutes=tolerance)
        return StopProgress(stop, NOT_REACHED, None, overdue)
    late = stop.arrived_at > stop.eta + dt.timedelta(minutes=tolerance)
    delay = math.ceil((stop.arrived_at - stop.eta).total_seconds() / 60)  # started minutes
    return StopProgress(stop, LATE if late else ON_TIME, delay)


def plan_progress(route_plan, *, now=None):
    """Per stop and per van: reached, on time, late, not yet reached, the delay."""
    now = now or timezone.now()
    tolerance = eta_tolerance(route_plan.depot)
    result = PlanProgress(plan=route_plan, tolerance=tolerance)
    for stop in route_plan.stops.all():
        progress = stop_progress(stop, tolerance=tolerance, now=now)
        result.stops.append(progress)
        result.routes.setdefault(stop.route, Tally()).add(progress)
        result.total.add(progress)
    return result


def _hhmm(value):
    return timezone.localtime(value).strftime("%H:%M") if value else ""


def plan_with_actuals(route_plan, progress):
    """The stored summary (as the command printed it) with each stop's actual arrival and
    each van's tally: what the day page and the driver sheets show."""
    summary = dict(route_plan.summary)
    routes = []
    for route in summary.get("routes", []):
        route = dict(route)
        rows = []
        for row in route.get("stops", []):
            row = dict(row)
            p = progress.stop(route["number"], row["n"])
            if p is not None:
                row.update(
                    arrived=_hhmm(p.stop.arrived_at),
                    arrived_by=p.stop.arrived_by,
                    status=p.status,
                    delay=p.delay_minutes,
                    overdue=p.overdue,
                )
            rows.append(row)
        route["stops"] = rows
        route["tally"] = progress.routes.get(route["number"], Tally())
        routes.append(route)
    summary["routes"] = routes
    summary["tally"] = progress.total
    summary["tolerance"] = progress.tolerance
    return summary
