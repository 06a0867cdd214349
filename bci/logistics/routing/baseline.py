"""The fixed-route practice: sweep the stops by bearing around the depot into routes.

This is how routes were drawn before optimisation (a van per sector of the province), so
planners can see what optimising saves on the same day.
"""

import math
import time

from .problem import Plan
from .schedule import timed_route


def _bearing(problem, stop):
    d = problem.depot
    return math.atan2(stop.lat - d.lat, (stop.lon - d.lon) * math.cos(math.radians(d.lat)))


def _fits(problem, van, codes):
    stops = [problem.stop(c) for c in codes]
    load = sum(s.deliver for s in stops)
    if load > van.capacity:
        return False
    for s in stops:  # simultaneous pick-up and delivery: load after each stop
        load += s.collect - s.deliver
        if load > van.capacity:
            return False
    route = timed_route(problem, van, codes)
    if route.end > van.shift_end:
        return False
    return all(p.start <= problem.stop(p.code).closes for p in route.stops)


def sweep_plan(problem):
    started = time.perf_counter()
    order = sorted(problem.stops, key=lambda s: _bearing(problem, s))
    vans = [v for v in problem.vans for _ in range(v.count)]
    routes, unserved, current, van_no = [], [], [], 0
    for stop in order:
        if van_no >= len(vans):
            unserved.append(stop.code)
            continue
        if _fits(problem, vans[van_no], [*current, stop.code]):
            current.append(stop.code)
            continue
        if current:
            routes.append(timed_route(problem, vans[van_no], current))
            van_no += 1
        current = []
        if van_no < len(vans) and _fits(problem, vans[van_no], [stop.code]):
            current = [stop.code]
        else:
            unserved.append(stop.code)
    if current:
        routes.append(timed_route(problem, vans[van_no], current))
    return Plan(
        routes=routes, unserved=unserved, method="sweep", seconds=time.perf_counter() - started
    )
