"""Benchmark: a month's transport cost allocation for 40 organisations (issue: logistics).

    uv run python bench/allocation.py [--branches 150] [--organisations 40] [--days 21]
        [--plan-seconds 5] [--samples 1000] [--seed 1] [--workers 2] [--repeat-samples 100]

A synthetic province (``routing.synthetic.synthetic_month``: 120 x 100 km, one depot, the
branches shared among the organisations by neighbourhood, large branches visited daily and
small ones on two set weekdays, 1-6 crates each way, vans of 40 crates). Each working day
is planned with PyVRP (``plan_routes``, checked by the independent checker); then the month
is allocated with every method, Shapley sampled over ``--samples`` seeded random orders
(antithetic pairs) on the Clarke-Wright coalition estimate, the days spread over
``--workers`` processes. Prints wall-clock and CPU seconds (this process and its workers),
the sampled Shapley value's standard error per organisation, the organisations each
method charges above their stand-alone cost; then (unless ``--repeat-samples 0``) two
allocations with the same seed and ``--repeat-samples`` orders, one in worker processes
and one in a single process, compared figure for figure: same seed, same numbers,
whatever the number of workers.
"""

import argparse
import os
import resource
import statistics
import time

from bci.logistics.routing import check_plan, plan_routes
from bci.logistics.routing.allocation import METHODS, Day, allocate
from bci.logistics.routing.synthetic import synthetic_month


def cpu_seconds():
    """CPU time of this process and of its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Clock:
    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()

    def lap(self):
        return time.perf_counter() - self.wall, cpu_seconds() - self.cpu


def plan_month(problems, owner, seconds, seed):
    days = []
    for problem in problems:
        plan = plan_routes(problem, time_limit=seconds, seed=seed)
        errors = check_plan(problem, plan)
        assert not errors, f"a plan failed the check: {errors[:3]}"
        assert not plan.unserved, f"unserved stops: {plan.unserved}"
        served = {s.code: owner[s.code] for s in problem.stops}
        days.append(Day(problem, served, plan.cost(problem)))
    return days


def report(result, wall, cpu):
    orgs = result.organisations
    shapley, error = result.shares["shapley"], result.shapley_error
    relative = sorted(error[o] / shapley[o] * 100 for o in orgs)
    print(
        f"\nallocation: {wall:.1f} s wall, {cpu:.1f} s CPU; Shapley sampled over "
        f"{result.shapley_orders} orders"
    )
    print(f"month's route cost            EUR {result.total:,.2f}")
    print(
        f"Shapley standard error        EUR {min(error.values()):.2f}-{max(error.values()):.2f}"
        f" per organisation; {statistics.median(relative):.2f} % of the share (median),"
        f" {relative[-1]:.2f} % (largest)"
    )
    methods = "".join(f"{m:>16}" for m in METHODS)
    print(f"\n{'org':<6}{'crates':>7}{'alone':>10}{methods}    +/-")
    for o in orgs:
        line = f"{o:<6}{result.volume[o]:>7}{result.standalone[o]:>10.0f}"
        for m in METHODS:
            flag = "*" if o in result.over_standalone(m) else " "
            line += f"{result.shares[m][o]:>15.0f}{flag}"
        print(line + f"{error[o]:>7.1f}")
    print("(* = charged more than serving the organisation alone would cost, 0.5 % tolerance)")
    for m in METHODS:
        over = result.over_standalone(m)
        worst = max((result.shares[m][o] / result.standalone[o] - 1) * 100 for o in orgs)
        print(
            f"{m:>16}: {len(over):>2} of {len(orgs)} organisations above stand-alone"
            f" (highest share / stand-alone: {worst:+.1f} %)"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=150)
    parser.add_argument("--organisations", type=int, default=40)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--plan-seconds", type=float, default=5.0)
    parser.add_argument("--samples", type=int, default=1000, help="Shapley orders")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--repeat-samples", type=int, default=100, help="orders of the reproducibility runs"
    )
    args = parser.parse_args()

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    problems, owner = synthetic_month(
        args.branches, args.organisations, days=args.days, seed=args.seed
    )
    stops = [len(p.stops) for p in problems]
    print(
        f"{args.branches} branches, {args.organisations} organisations, {args.days} working"
        f" days, {min(stops)}-{max(stops)} stops a day"
    )
    clock = Clock()
    days = plan_month(problems, owner, args.plan_seconds, args.seed)
    wall, cpu = clock.lap()
    print(
        f"planning {args.days} days, {args.plan_seconds:g} s each:"
        f" {wall:.1f} s wall, {cpu:.1f} s CPU"
    )

    clock = Clock()
    last = [0.0]

    def progress(done, total):
        if time.perf_counter() - last[0] > 60 or done == total:
            last[0] = time.perf_counter()
            print(f"  {done}/{total} days evaluated, {clock.lap()[0]:.0f} s", flush=True)

    result = allocate(
        days, samples=args.samples, seed=args.seed, workers=args.workers, progress=progress
    )
    wall, cpu = clock.lap()
    report(result, wall, cpu)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")

    if args.repeat_samples:
        n = args.repeat_samples
        first = allocate(days, samples=n, seed=args.seed, workers=args.workers)
        clock = Clock()
        again = allocate(days, samples=n, seed=args.seed, workers=1)
        wall, cpu = clock.lap()
        same = again.shares == first.shares and again.shapley_error == first.shapley_error
        print(
            f"\nreproducibility: {n} orders, seed {args.seed}, {args.workers} workers and then"
            f" 1 process ({wall:.1f} s wall, {cpu:.1f} s CPU): identical figures:"
            f" {'yes' if same else 'NO'}"
        )
        assert same, "the same seed gave different figures"


if __name__ == "__main__":
    main()
