"""Demo: a route plan per depot for the next working day, from the demo's transits, kept in
the database (the planner's pages and the API read it there)."""

from django.utils import timezone

from bci.logistics.planning import next_working_day, plan_day
from bci.logistics.plans import PlanInProgress, store_plan
from bci.organisations.models import Node

TIME_LIMIT = 0.5  # seconds a depot: enough for the demo network (at most ~40 stops)


def run(*, console, now):
    """Logistics: route plans per depot for the next working day."""
    day = next_working_day(timezone.localdate(now))
    parts = []
    for depot in Node.objects.filter(kind=Node.Kind.DEPOT, is_active=True).order_by("code"):
        result = plan_day(depot, day, time_limit=TIME_LIMIT)
        s = result.summary
        try:
            store_plan(result, by="bci demo", now=now)
        except PlanInProgress:
            # Drivers already scanned at its stops: the demo keeps the plan they drive.
            parts.append(f"{depot.code}: plan kept (drivers have scanned)")
            continue
        parts.append(f"{depot.code}: {s['stops']} stops, {s['vans']} vans, {s['km']} km")
    return f"{day.isoformat()}: " + "; ".join(parts) if parts else "no depots"
