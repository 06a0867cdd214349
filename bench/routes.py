"""Benchmark: daily van routes on synthetic provinces (issue: logistics).

    uv run python bench/routes.py [--sizes 150,250] [--seconds 30] [--ref-seconds 300]

For each size: a 120 x 100 km province, one depot in the middle, vans of 40 crates, 1-6
crates each way per branch, 09:00-17:00 windows, 5 minutes service per stop. Prints the time
to a first feasible plan, the objective after --seconds against a --ref-seconds reference
run, the saving in km against the sweep (fixed-route) baseline, and the van count against
the capacity lower bound. Every plan is verified by the independent checker.
"""

import argparse
import math
import time

from bci.logistics.routing import check_plan, plan_routes, sweep_plan
from bci.logistics.routing.synthetic import synthetic_province


def first_feasible_seconds(problem, limits=(0.1, 0.25, 0.5, 1.0, 2.0)):
    for limit in limits:
        started = time.perf_counter()
        plan = plan_routes(problem, time_limit=limit)
        took = time.perf_counter() - started
        if not plan.unserved and not check_plan(problem, plan):
            return took, plan
    return None, None


def run(size, seconds, ref_seconds, seed):
    problem = synthetic_province(size, seed=seed)
    lower = math.ceil(
        max(sum(s.deliver for s in problem.stops), sum(s.collect for s in problem.stops))
        / problem.vans[0].capacity
    )
    first_s, first = first_feasible_seconds(problem)
    plan = plan_routes(problem, time_limit=seconds, seed=seed)
    ref = plan_routes(problem, time_limit=ref_seconds, seed=seed)
    base = sweep_plan(problem)
    for name, p in (("plan", plan), ("reference", ref), ("sweep", base)):
        errors = check_plan(problem, p)
        assert not errors, f"{name} failed the check: {errors[:3]}"
    gap = (plan.cost(problem) - ref.cost(problem)) / ref.cost(problem) * 100
    saving = (base.km - plan.km) / base.km * 100
    print(
        f"\n== {size} branches (seed {seed}), {sum(s.deliver for s in problem.stops)} crates out,"
        f" {sum(s.collect for s in problem.stops)} back"
    )
    print(
        f"first feasible plan       {first_s:.2f} s" if first_s else "first feasible: none in 2 s"
    )
    if first:
        print(
            f"  its cost / km / vans    EUR {first.cost(problem):,.0f} / {first.km:,.0f} km"
            f" / {len(first.routes)}"
        )
    print(
        f"after {seconds:>4.0f} s               EUR {plan.cost(problem):,.0f} / {plan.km:,.0f} km"
        f" / {len(plan.routes)} vans / {plan.hours:.1f} h"
    )
    print(
        f"reference {ref_seconds:>4.0f} s          EUR {ref.cost(problem):,.0f} / {ref.km:,.0f} km"
        f" / {len(ref.routes)} vans"
    )
    print(f"gap to reference          {gap:+.2f} %")
    print(
        f"sweep baseline            EUR {base.cost(problem):,.0f} / {base.km:,.0f} km"
        f" / {len(base.routes)} vans"
    )
    print(f"km saved against sweep    {saving:.1f} %")
    print(f"vans used / lower bound   {len(plan.routes)} / {lower}")
    print("checker                   all plans verified")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="150,250")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ref-seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args.seconds, args.ref_seconds, args.seed)


if __name__ == "__main__":
    main()
