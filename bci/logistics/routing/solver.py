"""Solve a day's routes with PyVRP (iterated local search for VRPs with time windows and
simultaneous pickup and delivery)."""

import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pyvrp

from .check import check_plan
from .problem import Plan
from .schedule import timed_route

# PyVRP works in integers: metres, seconds, and a money unit chosen so that a metre by the
# cheapest van costs 1. Keeping costs small keeps PyVRP's load and time-window penalties in
# scale (micro-euros made it return overloaded routes).
_M_PER_KM = 1000
_S_PER_MIN = 60
# Iterated local search with a shorter late-acceptance history than PyVRP's default (300):
# on the 250-branch benchmark, 30 CPU-s runs reached the minimum van count with 3 seeds of
# 3 (default: 0 of 3) and ended 0.6-1.3 % above a 300 CPU-s run (default: 1.8-3.5 %).
# Other settings tried did no better (docs/performance.md, Routes).
_PARAMS = pyvrp.SolveParams(ils=pyvrp.IteratedLocalSearchParams(history_length=100))
# Parallel searches (see _search) for limits from _PARALLEL_FROM seconds: a helper
# process takes ~0.5 s to start and load PyVRP.
_PARALLEL_FROM = 5.0
_MAX_WORKERS = 4
_HELPER_MIN_SECONDS = 1.0  # a helper with less time left than this gives up
_HANDOFF = 0.1  # a helper stops this long before the deadline to hand its answer over
_GRACE = 2.0  # seconds after the deadline a helper's answer is still waited for
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))  # of bci
_COST = pyvrp.CostEvaluator([0], 0, 0)  # objective only, no penalties


def _build_data(problem, *, optional):
    euro = _M_PER_KM / min(v.cost_per_km for v in problem.vans)  # money units per euro
    model = pyvrp.Model()
    d = problem.depot
    depot_loc = model.add_location(d.lon, d.lat, name=d.code)
    depot = model.add_depot(
        depot_loc, tw_early=d.opens * _S_PER_MIN, tw_late=d.closes * _S_PER_MIN, name=d.code
    )
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
    # Edges as two matrices in one go (Model.add_edge per pair cost 0.5 s for 250 stops).
    km, minutes = problem.matrices()
    return model.data().replace(
        distance_matrices=[np.rint(km * _M_PER_KM).astype(np.int64)],
        duration_matrices=[np.rint(minutes * _S_PER_MIN).astype(np.int64)],
    )


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


class _Clock:
    """Elapsed seconds since creation: wall clock, or this process's CPU time (benchmarks
    on a shared machine measure the solver's own work with ``clock="cpu"``)."""

    def __init__(self, kind="wall"):
        if kind not in ("wall", "cpu"):
            raise ValueError(f"clock must be 'wall' or 'cpu', not {kind!r}")
        self.kind = kind
        self._now = time.perf_counter if kind == "wall" else time.process_time
        self._t0 = self._now()

    def __call__(self):
        return self._now() - self._t0


class _Until:
    """PyVRP stopping criterion: stop at ``end`` seconds on ``clock``."""

    def __init__(self, clock, end):
        self.clock, self.end = clock, end

    def __call__(self, best_cost):
        return self.clock() >= self.end


def _solve(data, stop, seed, initial=None):
    return pyvrp.solve(
        data,
        stop,
        seed=seed,
        display=False,
        collect_stats=False,
        params=_PARAMS,
        initial_solution=initial,
    )


def _cost(solution):
    return _COST.cost(solution)


def _visits(solution):
    return [
        ([a.idx for a in r.schedule() if a.is_client()], r.vehicle_type())
        for r in solution.routes()
    ]


def _helper_run(path):
    """A helper's work (see ``_search``): reads (problem data, clock, limit, seed) from the
    pickle at ``path``, searches until just before the wall-clock deadline ``limit``
    (time.time()) or for ``limit`` CPU seconds, and returns the best solution's routes,
    pickled; None when too little time is left to be of use."""
    with open(path, "rb") as fh:
        data, clock, limit, seed = pickle.load(fh)
    end = limit - time.time() - _HANDOFF if clock == "wall" else limit
    if end < _HELPER_MIN_SECONDS:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        best = _solve(data, _Until(_Clock(clock), end), seed).best
    return pickle.dumps(_visits(best))


def _helper_main():
    """Entry point of a helper process: ``_helper_run`` on the path given as argument,
    its answer on stdout."""
    answer = _helper_run(sys.argv[1])
    if answer is None:
        sys.exit(1)
    sys.stdout.buffer.write(answer)
    sys.stdout.flush()
    os._exit(0)  # skip the interpreter's teardown: the caller is waiting


def _default_workers(time_limit):
    if time_limit < _PARALLEL_FROM:
        return 1
    return max(1, min(_MAX_WORKERS, len(os.sched_getaffinity(0))))


def _start_helper(folder, data, clock, limit, seed):
    path = os.path.join(folder, f"seed{seed}.pickle")
    with open(path, "wb") as fh:
        pickle.dump((data, clock, limit, seed), fh)
    code = f"from {__name__} import _helper_main; _helper_main()"
    # Its own interpreter, not multiprocessing: spawning would re-run the caller's main
    # script, which need not be guarded by ``if __name__ == "__main__"``.
    return subprocess.Popen(
        [sys.executable, "-c", code, path],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, *sys.path]))},
    )


def _search(data, timer, time_limit, seed, workers):
    """PyVRP's search, once per worker with seeds ``seed``, ``seed + 1``, ...: this process
    runs one, helper processes the others, all until the same wall-clock deadline (or,
    on the CPU clock, each for the CPU seconds left, as if every search had a core of its
    own); the cheapest feasible result wins. A helper that fails costs its run, never the
    plan."""
    if workers <= 1:
        return _solve(data, _Until(timer, time_limit), seed).best
    if timer.kind == "wall":
        limit = deadline = time.time() + time_limit - timer()
    else:
        limit, deadline = time_limit - timer(), None
    with tempfile.TemporaryDirectory(prefix="bci-routes-") as folder:
        helpers = [
            _start_helper(folder, data, timer.kind, limit, seed + k) for k in range(1, workers)
        ]
        results = [_solve(data, _Until(timer, time_limit), seed).best]
        for helper in helpers:
            wait = None if deadline is None else max(0, deadline - time.time()) + _GRACE
            try:
                out, _ = helper.communicate(timeout=wait)
                if helper.returncode == 0:
                    routes = [pyvrp.Route(data, v, t) for v, t in pickle.loads(out)]
                    results.append(pyvrp.Solution(data, routes))
            except (subprocess.TimeoutExpired, pickle.UnpicklingError, EOFError, ValueError):
                helper.kill()
                helper.communicate()
    feasible = [r for r in results if r.is_feasible()]
    return min(feasible, key=_cost) if feasible else results[0]


def plan_routes(problem, *, time_limit=10.0, seed=0, clock="wall", workers=None):
    """The best plan PyVRP finds within ``time_limit`` seconds.

    When the vans cannot serve every stop (too many crates, windows too tight) the plan
    serves as many as it can and lists the rest in ``Plan.unserved``; it never raises for
    an infeasible day. ``clock="cpu"`` counts the limit in CPU seconds of this process
    instead of wall-clock seconds (for benchmarks on a busy machine). ``workers`` runs
    that many searches side by side in separate processes (default: one per CPU, at most
    four, for limits of 5 s and more; one otherwise).
    """
    timer = _Clock(clock)
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
        if optional:
            best = _solve(_build_data(problem, optional=True), _Until(timer, time_limit), seed).best
        else:
            if workers is None:
                workers = _default_workers(time_limit)
            best = _search(_build_data(problem, optional=False), timer, time_limit, seed, workers)
        if not best.is_feasible() and not optional:
            # Windows or shifts bind harder than capacity shows: serve what can be served.
            remaining = max(0.1, time_limit - timer())
            best = _solve(
                _build_data(problem, optional=True), _Until(_Clock(clock), remaining), seed
            ).best
    plan = _to_plan(problem, best, time.perf_counter() - started, "pyvrp")
    if not best.is_feasible():
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
