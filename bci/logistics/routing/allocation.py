"""Sharing a period's transport cost among library organisations.

Methods, side by side (all in euros, each summing to the period's actual cost):

- ``volume``: by crates sent and received;
- ``distance``: by each organisation's stand-alone route cost;
- ``volume_distance``: the volume-and-distance key BiSC uses since 2017: crates x the
  road distance from the depot to the organisation's branches;
- ``shapley``: the Shapley value of the transport game (what each organisation adds to
  every coalition, averaged over all orders), exact up to ``EXACT_LIMIT`` organisations
  and sampled beyond: seeded random orders, each also taken reversed (antithetic pairs);
  the standard error per organisation is reported, computed over the pairs. The days of
  a sampled period can be spread over worker processes (``workers``): every day is
  evaluated along the same orders and the days are added up in their own order, so the
  figures do not depend on the number of workers;
- ``fair_share``: the old split, equal per organisation or by population.

Each organisation's stand-alone cost (serving only its branches) is shown with every
method; a method that charges an organisation more than that is flagged: pooling must pay
off for everyone. Coalition costs come from the Clarke-Wright estimate (``estimate.py``);
shares are scaled to the actual planned cost so that the bill adds up.
"""

import itertools
import math
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .estimate import CostEstimator

EXACT_LIMIT = 12
METHODS = ("volume", "distance", "volume_distance", "shapley", "fair_share")


@dataclass
class Day:
    """One day of a depot: the routing problem, which organisation owns each stop, and the
    cost of the routes actually driven (from the plan)."""

    problem: object
    owner: dict  # stop code -> organisation code
    actual_cost: float


@dataclass
class Allocation:
    organisations: list
    total: float
    volume: dict  # org -> crates sent + received
    standalone: dict  # org -> euros if served alone
    shares: dict  # method -> {org -> euros}
    shapley_error: dict = field(default_factory=dict)  # org -> standard error (sampled)
    shapley_exact: bool = True
    shapley_orders: int = 0  # random orders evaluated (sampled); 0 when exact

    def over_standalone(self, method, tolerance=0.005):
        """Organisations that ``method`` charges more than serving them alone would cost."""
        return [
            o
            for o in self.organisations
            if self.shares[method][o] > self.standalone[o] * (1 + tolerance)
        ]


def _scale(raw, total):
    s = sum(raw.values())
    if s <= 0:
        return {k: total / len(raw) for k in raw}
    return {k: v / s * total for k, v in raw.items()}


def allocate(days, *, population=None, samples=200, seed=0, progress=None, workers=1):
    """Allocate the cost of ``days`` (a list of Day) among the organisations they serve.

    ``samples`` orders (rounded up to a whole antithetic pair) when Shapley is sampled;
    ``progress(done, total)`` is called per day evaluated; ``workers`` > 1 evaluates the
    days in that many processes (same figures)."""
    orgs = sorted({o for d in days for o in d.owner.values()})
    total = sum(d.actual_cost for d in days)
    estimators = [CostEstimator(d.problem) for d in days]
    members = [{o: [c for c, w in d.owner.items() if w == o] for o in orgs} for d in days]

    def game(coalition):  # estimated cost of serving only ``coalition`` over the period
        return sum(
            est.cost([c for o in coalition for c in m[o]])
            for est, m in zip(estimators, members, strict=True)
        )

    grand = game(orgs)
    scale = total / grand if grand else 0.0
    standalone = {o: game([o]) * scale for o in orgs}
    volume, reach = {o: 0 for o in orgs}, {o: 0.0 for o in orgs}
    for d in days:
        for code, o in d.owner.items():
            stop = d.problem.stop(code)
            crates = stop.deliver + stop.collect
            volume[o] += crates
            reach[o] += crates * d.problem.km(d.problem.depot.code, code)

    if len(orgs) <= EXACT_LIMIT:
        shapley, error, exact = _shapley_exact(orgs, game), {}, True
    else:
        shapley, error = _shapley_sampled(orgs, days, members, samples, seed, progress, workers)
        exact = False
    if population:
        fair = _scale({o: float(population.get(o, 0)) for o in orgs}, total)
    else:
        fair = {o: total / len(orgs) for o in orgs} if orgs else {}
    shares = {
        "volume": _scale({o: float(v) for o, v in volume.items()}, total),
        "distance": _scale(standalone, total),
        "volume_distance": _scale(reach, total),
        "shapley": {o: v * scale for o, v in shapley.items()},
        "fair_share": fair,
    }
    return Allocation(
        orgs,
        total,
        volume,
        standalone,
        shares,
        {o: e * scale for o, e in error.items()},
        exact,
        0 if exact else 2 * math.ceil(samples / 2),
    )


def _shapley_exact(orgs, game):
    n = len(orgs)
    value = {o: 0.0 for o in orgs}
    cost = {}
    for size in range(n + 1):
        for coalition in itertools.combinations(orgs, size):
            cost[frozenset(coalition)] = game(coalition)
    for o in orgs:
        others = [x for x in orgs if x != o]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for coalition in itertools.combinations(others, size):
                s = frozenset(coalition)
                value[o] += weight * (cost[s | {o}] - cost[s])
    return value


def sample_orders(orgs, samples, seed):
    """Seeded random orders of ``orgs``, each followed by its reverse: ``samples`` rounded
    up to whole pairs."""
    rng = random.Random(seed)
    orders = []
    for _ in range(math.ceil(samples / 2)):
        order = list(orgs)
        rng.shuffle(order)
        orders += [order, order[::-1]]
    return orders


def day_marginals(problem, members, orgs, orders):
    """For one day: what each organisation adds to the cost of those before it, along
    every order; an array orders x organisations."""
    estimator = CostEstimator(problem)
    column = {o: k for k, o in enumerate(orgs)}
    out = np.zeros((len(orders), len(orgs)))
    for row, order in enumerate(orders):
        codes, before = [], 0.0
        for o in order:
            codes += members.get(o, ())
            after = estimator.cost(codes) if members.get(o) else before
            out[row, column[o]] = after - before
            before = after
    return out


def _day_job(args):
    return day_marginals(*args)


def _shapley_sampled(orgs, days, members, samples, seed, progress, workers=1):
    """Monte Carlo over random orders (each order also taken reversed: antithetic pairs
    lower the variance). Returns the mean marginal cost and its standard error, the
    latter over the pairs' means (the two orders of a pair are not independent)."""
    orders = sample_orders(orgs, samples, seed)
    jobs = [(d.problem, m, orgs, orders) for d, m in zip(days, members, strict=True)]
    total = np.zeros((len(orders), len(orgs)))
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = pool.map(_day_job, jobs)
            for done, marginals in enumerate(results, 1):
                total += marginals
                if progress:
                    progress(done, len(jobs))
    else:
        for done, job in enumerate(jobs, 1):
            total += _day_job(job)
            if progress:
                progress(done, len(jobs))
    pairs = total.reshape(len(orders) // 2, 2, len(orgs)).mean(axis=1)
    mean = pairs.mean(axis=0)
    if len(pairs) > 1:
        error = pairs.std(axis=0, ddof=1) / math.sqrt(len(pairs))
    else:  # one pair says nothing about its own spread
        error = np.full(len(orgs), math.nan)
    return (
        {o: float(mean[k]) for k, o in enumerate(orgs)},
        {o: float(error[k]) for k, o in enumerate(orgs)},
    )
