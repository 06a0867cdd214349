"""Route planning: PyVRP plans, the sweep baseline, and the independent checker."""

import dataclasses
import math
import pickle
import sys
import time

import pytest
import pyvrp

from bci.logistics.routing import (
    Depot,
    Plan,
    PlannedStop,
    Problem,
    Stop,
    VanRoute,
    VanType,
    check_plan,
    plan_routes,
    solver,
    sweep_plan,
)
from bci.logistics.routing.schedule import timed_route
from bci.logistics.routing.synthetic import synthetic_province


def _min_vans(problem):
    cap = problem.vans[0].capacity
    return math.ceil(
        max(sum(s.deliver for s in problem.stops), sum(s.collect for s in problem.stops)) / cap
    )


def test_plan_serves_every_stop_and_passes_the_independent_check():
    problem = synthetic_province(30, seed=3)
    plan = plan_routes(problem, time_limit=1)
    assert plan.unserved == []
    assert check_plan(problem, plan) == []
    visited = sorted(p.code for r in plan.routes for p in r.stops)
    assert visited == sorted(s.code for s in problem.stops)
    for route in plan.routes:  # ETAs ascend and respect windows
        starts = [p.start for p in route.stops]
        assert starts == sorted(starts)
        assert all(
            problem.stop(p.code).opens <= p.start <= problem.stop(p.code).closes
            for p in route.stops
        )


def test_optimised_plan_beats_the_sweep_baseline_and_uses_the_minimum_vans():
    problem = synthetic_province(40, seed=5)
    plan = plan_routes(problem, time_limit=2)
    baseline = sweep_plan(problem)
    assert check_plan(problem, baseline) == []
    assert plan.km < baseline.km
    assert plan.cost(problem) < baseline.cost(problem)
    # Wide windows and long shifts: capacity alone decides the fleet.
    assert len(plan.routes) == _min_vans(problem)


def test_an_overloaded_day_gives_the_best_partial_plan_with_unserved_stops_listed():
    problem = synthetic_province(20, seed=7, crates=(5, 6))
    problem.vans = [dataclasses.replace(problem.vans[0], count=1)]
    plan = plan_routes(problem, time_limit=1)
    assert plan.unserved, "one van of 40 crates cannot carry 100+ crates"
    assert check_plan(problem, plan) == []
    served = {p.code for r in plan.routes for p in r.stops}
    assert served.isdisjoint(plan.unserved)
    assert len(served) + len(plan.unserved) == 20
    assert sweep_plan(problem).unserved  # the baseline degrades the same way


def test_a_stop_larger_than_any_van_is_listed_not_crashed_on():
    depot = Depot("D", 52.0, 5.0)
    stops = [Stop("BIG", 52.1, 5.1, deliver=50), Stop("OK", 52.05, 5.05, deliver=3)]
    problem = Problem(depot, stops, [VanType(count=2, capacity=40)])
    plan = plan_routes(problem, time_limit=0.5)
    assert plan.unserved == ["BIG"]
    assert check_plan(problem, plan) == []


def test_time_windows_are_kept_and_waiting_happens_before_opening():
    depot = Depot("D", 52.0, 5.0)
    stops = [
        Stop("EARLY", 52.02, 5.0, deliver=1, opens=9 * 60, closes=10 * 60),
        Stop("LATE", 52.04, 5.0, deliver=1, opens=14 * 60, closes=15 * 60),
    ]
    problem = Problem(depot, stops, [VanType(count=1)])
    plan = plan_routes(problem, time_limit=0.5)
    assert check_plan(problem, plan) == []
    (route,) = plan.routes
    assert [p.code for p in route.stops] == ["EARLY", "LATE"]
    assert route.stops[1].start == 14 * 60


def test_checker_finds_overload_missed_windows_double_visits_and_missing_stops():
    depot = Depot("D", 52.0, 5.0)
    stops = [
        Stop("A", 52.1, 5.0, deliver=30, collect=5),
        Stop("B", 52.2, 5.0, deliver=20, opens=9 * 60, closes=9 * 60 + 1),
        Stop("C", 52.3, 5.0, deliver=1),
    ]
    van = VanType(count=1, capacity=40, shift_start=8 * 60, shift_end=9 * 60 + 30)
    problem = Problem(depot, stops, [van])
    route = timed_route(problem, van, ["A", "B", "A"])
    route.start = 8 * 60
    found = "\n".join(check_plan(problem, Plan(routes=[route])))
    assert "leaves the depot with 80 crates, capacity 40" in found
    assert "A is visited 2 times" in found
    assert "C is neither visited nor listed as unserved" in found
    assert "after the shift ends" in found


def test_checker_refuses_a_plan_that_lies_about_its_distance():
    problem = synthetic_province(5, seed=1)
    plan = plan_routes(problem, time_limit=0.5)
    plan.routes[0].km /= 2
    assert any("claims" in p for p in check_plan(problem, plan))


def test_an_imported_matrix_overrides_haversine():
    depot = Depot("D", 52.0, 5.0)
    problem = Problem(
        depot,
        [Stop("A", 52.1, 5.0, deliver=1)],
        [VanType()],
        matrix={("D", "A"): (40.0, 50.0), ("A", "D"): (42.0, 55.0)},
    )
    plan = plan_routes(problem, time_limit=0.2)
    assert math.isclose(plan.km, 82.0)
    assert check_plan(problem, plan) == []


def test_empty_day_is_an_empty_plan():
    problem = Problem(Depot("D", 52.0, 5.0), [], [VanType()])
    assert plan_routes(problem).routes == []
    assert check_plan(problem, sweep_plan(problem)) == []


def test_planned_stop_shape():
    stop = PlannedStop("A", 1.0, 2.0, 3.0, 1, 0, 4.0)
    route = VanRoute("van", [stop], 4.0, 0.0, 120.0, 1)
    assert route.hours == 2.0


def test_time_limit_on_the_cpu_clock_and_a_clear_error_for_an_unknown_clock():
    problem = synthetic_province(20, seed=2)
    plan = plan_routes(problem, time_limit=0.3, clock="cpu")
    assert plan.unserved == [] and check_plan(problem, plan) == []
    with pytest.raises(ValueError, match="clock must be 'wall' or 'cpu'"):
        plan_routes(problem, time_limit=0.3, clock="sundial")


def test_matrices_match_the_pairwise_distances_and_an_imported_matrix():
    problem = synthetic_province(12, seed=4)
    problem.matrix = {("B001", "B002"): (99.0, 120.0)}
    km, minutes = problem.matrices()
    codes = [problem.depot.code] + [s.code for s in problem.stops]
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            assert km[i, j] == pytest.approx(problem.km(a, b), abs=1e-9)
            assert minutes[i, j] == pytest.approx(problem.minutes(a, b), abs=1e-9)
    assert km[1, 2] == 99.0 and km[2, 1] != 99.0


def test_a_helper_search_returns_routes_the_parent_can_rebuild(tmp_path):
    problem = synthetic_province(15, seed=6)
    data = solver._build_data(problem, optional=False)
    path = tmp_path / "helper.pickle"
    with open(path, "wb") as fh:
        pickle.dump((data, "wall", time.time() + solver._HELPER_MIN_SECONDS + 0.5, 3), fh)
    routes = [pyvrp.Route(data, v, t) for v, t in pickle.loads(solver._helper_run(path))]
    rebuilt = pyvrp.Solution(data, routes)
    assert rebuilt.is_feasible() and rebuilt.num_clients() == 15
    with open(path, "wb") as fh:  # too late to start: no answer rather than a late one
        pickle.dump((data, "wall", time.time(), 3), fh)
    assert solver._helper_run(path) is None


def test_parallel_searches_give_a_checked_plan_even_when_helpers_fail(monkeypatch):
    problem = synthetic_province(25, seed=8)
    for clock in ("wall", "cpu"):
        plan = plan_routes(problem, time_limit=2, workers=2, clock=clock)
        assert plan.unserved == [] and check_plan(problem, plan) == []
    monkeypatch.setattr(sys, "executable", "/bin/false")  # every helper fails at once
    plan = plan_routes(problem, time_limit=0.5, workers=3)
    assert plan.unserved == [] and check_plan(problem, plan) == []
