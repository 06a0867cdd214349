"""Demo: a route plan per depot for the next working day, from the demo's transits, kept in
the database (the planner's pages and the API read it there)."""

from django.utils import timezone

from bci.logistics.planning import next_working_day, plan_day
from bci.logistics.plans import store_plan, stored_plan
from bci.organisations.models import Node

TIME_LIMIT = 0.5  # seconds a depot: enough for the demo network (at most ~40 stops)


def run(*, console, now):
    """Logistics: route plans per depot for the next working day."""
    day = next_working_day(timezone.localdate(now))
    parts = []
    for depot in Node.objects.filter(kind=Node.Kind.DEPOT, is_active=True).order_by("code"):
        # Seeding again keeps a plan already made for the day (idempotent, and drivers
        # may have scanned at its stops): plan again from the planner's page.
        kept = stored_plan(depot, day)
        if kept is None:
            kept = store_plan(plan_day(depot, day, time_limit=TIME_LIMIT), by="bci demo", now=now)
        s = kept.summary
        vans = "1 van" if s["vans"] == 1 else f"{s['vans']} vans"
        parts.append(f"{depot.code}: {s['stops']} stops, {vans}, {s['km']} km")
    return f"{day.isoformat()}: " + "; ".join(parts) if parts else "no depots"
