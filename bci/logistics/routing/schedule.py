"""Timing one van's visit sequence: the same arithmetic for the baseline and for ETAs."""

from .problem import PlannedStop, VanRoute


def timed_route(problem, van, codes, *, start=None):
    """Drive ``codes`` in order from the depot and back; wait for windows that are not
    open yet. Returns a VanRoute (windows and capacity are not checked here)."""
    depot = problem.depot.code
    if start is None:  # leave so as to reach the first stop as it opens, not to wait there
        start = van.shift_start
        if codes:
            first = problem.stop(codes[0])
            start = max(start, first.opens - problem.minutes(depot, codes[0]))
    t = start
    route_start = t
    here = depot
    km = 0.0
    planned = []
    for code in codes:
        stop = problem.stop(code)
        leg = problem.km(here, code)
        km += leg
        arrival = t + problem.minutes(here, code)
        begin = max(arrival, stop.opens)
        t = begin + problem.service_minutes(stop)
        planned.append(PlannedStop(code, arrival, begin, t, stop.deliver, stop.collect, leg))
        here = code
    km += problem.km(here, depot)
    end = t + problem.minutes(here, depot)
    load_out = sum(problem.stop(c).deliver for c in codes)
    return VanRoute(van.name, planned, km, route_start, end, load_out)
