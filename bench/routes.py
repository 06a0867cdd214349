"""Benchmark: daily van routes on synthetic provinces (issue 6: logistics).

    uv run python bench/routes.py [--branches 150,250] [--seconds 30] [--ref-seconds 300]
        [--seed 1] [--solver-seeds 1,2,3] [--clock wall|cpu] [--workers N] [--first-only]

For each size: a 120 x 100 km province, one depot in the middle, vans of 40 crates, 1-6
crates each way per branch, 09:00-17:00 windows, 5 minutes service per stop (instance seed
``--seed``). Prints the time to a first feasible plan, the objective after --seconds
(once per solver seed) against a --ref-seconds reference run (--ref-seconds 0 skips it),
the saving in km against the sweep (fixed-route) baseline, and the van count against the
capacity lower bound. Every plan is verified by the independent checker.

The machine's load average is printed before and after each size, and every run reports
wall-clock and CPU seconds. On a shared machine ``--clock cpu`` counts the solver's time
limits in CPU seconds of this process, which is what an idle core would give it; the
issue's targets are wall-clock on a quiet machine (the default). Runs of 5 s and more
use one search per CPU (``plan_routes``' default); on the CPU clock each search gets the
limit in CPU seconds of its own, i.e. the quiet machine with that many cores.
"""

import argparse
import math
import os
import platform
import statistics
import time
from importlib.metadata import version

from bci.logistics.routing import check_plan, plan_routes, sweep_plan
from bci.logistics.routing.synthetic import synthetic_province

FIRST_PLAN_LIMITS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0)


def load():
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} CPUs"


def timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def verified(problem, plan, name):
    errors = check_plan(problem, plan)
    if errors:
        raise SystemExit(f"{name} failed the independent check: {errors[:3]}")
    return plan


def first_feasible(problem, clock):
    """The shortest time limit (of FIRST_PLAN_LIMITS) that gives a complete, checked plan;
    the time reported is the whole call: building the model, solving, timing the routes."""
    for limit in FIRST_PLAN_LIMITS:
        plan, wall, cpu = timed(plan_routes, problem, time_limit=limit, clock=clock)
        if not plan.unserved and not check_plan(problem, plan):
            return limit, plan, wall, cpu
    return None, None, None, None


def describe(problem, plan):
    return (
        f"EUR {plan.cost(problem):,.0f} / {plan.km:,.0f} km / {len(plan.routes)} vans"
        f" / {plan.hours:.1f} h"
    )


def run(size, args):
    problem = synthetic_province(size, seed=args.seed)
    out = sum(s.deliver for s in problem.stops)
    back = sum(s.collect for s in problem.stops)
    lower = math.ceil(max(out, back) / problem.vans[0].capacity)
    print(f"\n== {size} branches (instance seed {args.seed}), {out} crates out, {back} back")
    print(f"before: {load()}")

    limit, first, wall, cpu = first_feasible(problem, args.clock)
    if first is None:
        print(f"first feasible plan       none within {FIRST_PLAN_LIMITS[-1]} s")
    else:
        print(
            f"first feasible plan       {wall:.2f} s wall, {cpu:.2f} s CPU"
            f" (time limit {limit} s): {describe(problem, first)}"
        )
    if args.first_only:
        print(f"after:  {load()}")
        return

    base = verified(problem, sweep_plan(problem), "sweep")
    print(f"sweep baseline            {describe(problem, base)}")

    ref = None
    if args.ref_seconds > 0:
        ref, wall, cpu = timed(
            plan_routes,
            problem,
            time_limit=args.ref_seconds,
            seed=0,
            clock=args.clock,
            workers=args.workers,
        )
        verified(problem, ref, "reference")
        print(
            f"reference {args.ref_seconds:g} s {args.clock:<4}     {describe(problem, ref)}"
            f"   ({wall:.0f} s wall, {cpu:.0f} s CPU in this process)"
        )

    gaps = []
    for solver_seed in args.solver_seeds:
        plan, wall, cpu = timed(
            plan_routes,
            problem,
            time_limit=args.seconds,
            seed=solver_seed,
            clock=args.clock,
            workers=args.workers,
        )
        verified(problem, plan, f"plan (seed {solver_seed})")
        line = f"{args.seconds:g} s {args.clock}, seed {solver_seed:<3} {describe(problem, plan)}"
        if ref is not None:
            gap = (plan.cost(problem) - ref.cost(problem)) / ref.cost(problem) * 100
            gaps.append(gap)
            line += f"   gap {gap:+.2f} %"
        saving = (base.km - plan.km) / base.km * 100
        print(
            f"{line}   km saved vs sweep {saving:.1f} %   vans {len(plan.routes)}"
            f" (lower bound {lower})   ({wall:.1f} s wall, {cpu:.1f} s CPU in this process)"
        )
    if len(gaps) > 1:
        print(
            f"gap to reference          median {statistics.median(gaps):+.2f} %,"
            f" worst {max(gaps):+.2f} % over {len(gaps)} seeds"
        )
    print("checker                   every plan above verified")
    print(f"after:  {load()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", "--sizes", dest="sizes", default="150,250")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ref-seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=1, help="instance seed")
    parser.add_argument(
        "--solver-seeds", default="1,2,3", help="comma-separated solver seeds for the --seconds run"
    )
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="parallel searches per run (default: the solver's, one per CPU up to 4)",
    )
    parser.add_argument("--first-only", action="store_true", help="only the first plan")
    args = parser.parse_args()
    args.solver_seeds = [int(s) for s in args.solver_seeds.split(",") if s]
    print(
        f"{platform.node()}: Python {platform.python_version()}, PyVRP {version('pyvrp')},"
        f" {os.cpu_count()} CPUs; time limits on the {args.clock} clock;"
        f" workers per run: {args.workers or 'solver default'}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args)


if __name__ == "__main__":
    main()
