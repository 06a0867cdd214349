"""Daily van route planning for a POI depot: pure Python, no Django.

``problem`` describes a day (depot, stops with crates to drop and collect, time windows,
vans); ``solver.plan_routes`` solves it with PyVRP; ``baseline.sweep_plan`` computes the
old fixed-route practice for comparison; ``check.check_plan`` verifies any plan
independently of the solver. The Django side (which branches, which crates) builds a
``Problem`` from the database.
"""

from .baseline import sweep_plan
from .check import check_plan
from .problem import Depot, Plan, PlannedStop, Problem, Stop, VanRoute, VanType
from .solver import plan_routes

__all__ = [
    "Depot",
    "Plan",
    "PlannedStop",
    "Problem",
    "Stop",
    "VanRoute",
    "VanType",
    "check_plan",
    "plan_routes",
    "sweep_plan",
]
