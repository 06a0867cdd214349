"""Sharing a period's transport cost among library organisations.

Methods, side by side (all in euros, each summing to the period's actual cost):

- ``volume``: by crates sent and received;
- ``distance``: by each organisation's stand-alone route cost;
- ``volume_distance``: the volume-and-distance key BiSC uses since 2017: crates x the
  road distance from the depot to the organisation's branches;
- ``shapley``: the Shapley value of the transport game (what each organisation adds to
  every coalition, averaged over all orders), exact up to ``EXACT_LIMIT`` organisations
  and sampled beyond (seeded; the standard error is reported);
- ``fair_share``: the old split, equal per organisation or by population.

Each organisation's stand-alone cost (serving only its branches) is shown with every
method; a method that charges an organisation more than that is flagged: pooling must pay
off for everyone. Coalition costs come from the Clarke-Wright estimate (``estimate.py``);
shares are scaled to the actual planned cost so that the bill adds up.
"""

import itertools
import math
import random
from dataclasses import dataclass, field

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


def allocate(days, *, population=None, samples=200, seed=0, progress=None):
    """Allocate the cost of ``days`` (a list of Day) among the organisations they serve."""
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
        shapley, error = _shapley_sampled(orgs, game, samples, seed, progress)
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
        orgs, total, volume, standalone, shares, {o: e * scale for o, e in error.items()}, exact
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


def _shapley_sampled(orgs, game, samples, seed, progress):
    """Monte Carlo over random orders (each order also taken reversed: antithetic pairs
    lower the variance). Returns the mean marginal cost and its standard error."""
    rng = random.Random(seed)
    sums = {o: 0.0 for o in orgs}
    squares = {o: 0.0 for o in orgs}
    taken = 0
    while taken < samples:
        order = orgs[:]
        rng.shuffle(order)
        for sequence in (order, order[::-1]):
            coalition, before = [], 0.0
            for o in sequence:
                coalition.append(o)
                after = game(coalition)
                sums[o] += after - before
                squares[o] += (after - before) ** 2
                before = after
            taken += 1
            if progress:
                progress(taken, samples)
    mean = {o: sums[o] / taken for o in orgs}
    error = {o: math.sqrt(max(0.0, squares[o] / taken - mean[o] ** 2) / taken) for o in orgs}
    return mean, error
