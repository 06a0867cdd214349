"""Solve a day's routes with PyVRP (hybrid genetic search for VRPs with time windows and
simultaneous pickup and delivery)."""

import time
import warnings

import pyvrp
from pyvrp.stop import MaxRuntime

from .check import check_plan
from .problem import Plan
from .schedule import timed_route

# PyVRP works in integers: metres, seconds, and a money unit chosen so that a metre by the
# cheapest van costs 1. Keeping costs small keeps PyVRP's load and time-window penalties in
# scale (micro-euros made it return overloaded routes).
_M_PER_KM = 1000
_S_PER_MIN = 60
# Iterated local search with a shorter late-acceptance history than PyVRP's default (300):
# on the 250-branch benchmark, 30 s runs reached the minimum van count with 3 seeds of 3
# (default: 0 of 3) and ended 0.2-1.2 % above a 300 s run (default: 1.8-3.5 %); with the
# machine busier the gain shrinks (docs/performance.md, Routes).
_PARAMS = pyvrp.SolveParams(ils=pyvrp.IteratedLocalSearchParams(history_length=100))


def _build_model(problem, *, optional):
    euro = _M_PER_KM / min(v.cost_per_km for v in problem.vans)  # money units per euro
    model = pyvrp.Model()
    d = problem.depot
    depot_loc = model.add_location(d.lon, d.lat, name=d.code)
    depot = model.add_depot(
        depot_loc, tw_early=d.opens * _S_PER_MIN, tw_late=d.closes * _S_PER_MIN, name=d.code
    )
    locations = [depot_loc]
    # Serving a stop is worth more than a van of its own driving there and back: the
    # solver leaves a stop out only when no van can take it.
    far = max(problem.km(d.code, s.code) for s in problem.stops)
    dear = max(problem.vans, key=lambda v: v.fixed_cost + v.cost_per_km * far)
    prize = round(
        euro
        * 2
        * (
            dear.fixed_cost
            + dear.cost_per_km * 2 * far
            + dear.cost_per_hour * (dear.shift_end - dear.shift_start) / 60
        )
    )
    for s in problem.stops:
        loc = model.add_location(s.lon, s.lat, name=s.code)
        locations.append(loc)
        model.add_client(
            loc,
            delivery=[s.deliver],
            pickup=[s.collect],
            service_duration=round(problem.service_minutes(s) * _S_PER_MIN),
            tw_early=s.opens * _S_PER_MIN,
            tw_late=s.closes * _S_PER_MIN,
            required=not optional,
            prize=prize if optional else 0,
            name=s.code,
        )
    for van in problem.vans:
        model.add_vehicle_type(
            num_available=van.count,
            capacity=[van.capacity],
            start_depot=depot,
            end_depot=depot,
            fixed_cost=round(van.fixed_cost * euro),
            tw_early=van.shift_start * _S_PER_MIN,
            tw_late=van.shift_end * _S_PER_MIN,
            unit_distance_cost=max(1, round(van.cost_per_km * euro / _M_PER_KM)),
            unit_duration_cost=round(van.cost_per_hour * euro / 3600),
            name=van.name,
        )
    codes = [d.code] + [s.code for s in problem.stops]
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            if i != j:
                model.add_edge(
                    locations[i],
                    locations[j],
                    distance=round(problem.km(a, b) * _M_PER_KM),
                    duration=round(problem.minutes(a, b) * _S_PER_MIN),
                )
    return model


def _to_plan(problem, solution, seconds, method):
    codes = [s.code for s in problem.stops]  # a client activity's idx counts clients only
    vans = problem.vans
    routes, served = [], set()
    for route in solution.routes():
        van = vans[route.vehicle_type()]
        visit_codes = [codes[a.idx] for a in route.schedule() if a.is_client()]
        served.update(visit_codes)
        routes.append(timed_route(problem, van, visit_codes))
    unserved = [s.code for s in problem.stops if s.code not in served]
    return Plan(routes=routes, unserved=unserved, method=method, seconds=seconds)


def plan_routes(problem, *, time_limit=10.0, seed=0):
    """The best plan PyVRP finds within ``time_limit`` seconds.

    When the vans cannot serve every stop (too many crates, windows too tight) the plan
    serves as many as it can and lists the rest in ``Plan.unserved``; it never raises for
    an infeasible day.
    """
    started = time.perf_counter()
    if not problem.stops:
        return Plan(routes=[], method="pyvrp")
    total_capacity = sum(v.count * v.capacity for v in problem.vans)
    overloaded = (
        max(sum(s.deliver for s in problem.stops), sum(s.collect for s in problem.stops))
        > total_capacity
    )
    too_big = [
        s.code
        for s in problem.stops
        if max(s.deliver, s.collect) > max(v.capacity for v in problem.vans)
    ]
    optional = overloaded or bool(too_big)
    with warnings.catch_warnings():
        # PyVRP warns when its penalties max out: expected on a day that cannot be served.
        warnings.simplefilter("ignore")
        result = _build_model(problem, optional=optional).solve(
            MaxRuntime(time_limit), seed=seed, display=False, collect_stats=False, params=_PARAMS
        )
        if not result.is_feasible() and not optional:
            # Windows or shifts bind harder than capacity shows: serve what can be served.
            remaining = max(0.1, time_limit - (time.perf_counter() - started))
            result = _build_model(problem, optional=True).solve(
                MaxRuntime(remaining), seed=seed, display=False, collect_stats=False, params=_PARAMS
            )
    plan = _to_plan(problem, result.best, time.perf_counter() - started, "pyvrp")
    if not result.is_feasible():
        _repair(problem, plan)
    return plan


def _repair(problem, plan):
    """Drop stops from violating routes until every route holds; list them as unserved.

    The solver's best answer to an impossible day can still break a constraint; a plan we
    hand to drivers never does.
    """
    vans = {v.name: v for v in problem.vans}
    for n, route in enumerate(plan.routes):
        codes = [p.code for p in route.stops]
        while codes:
            fixed = timed_route(problem, vans[route.van], codes)
            if not check_plan(problem, Plan(routes=[fixed], unserved=_others(problem, codes))):
                break
            heaviest = max(
                codes, key=lambda c: max(problem.stop(c).deliver, problem.stop(c).collect)
            )
            codes.remove(heaviest)
            plan.unserved.append(heaviest)
        plan.routes[n] = timed_route(problem, vans[route.van], codes)
    plan.routes = [r for r in plan.routes if r.stops]


def _others(problem, codes):
    inside = set(codes)
    return [s.code for s in problem.stops if s.code not in inside]
