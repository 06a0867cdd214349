"""A fast estimate of what serving a set of stops costs: Clarke-Wright savings.

Cost allocation asks "what would this coalition of libraries pay alone?" thousands of
times; a full PyVRP solve per coalition would take hours. Savings (with capacity for
simultaneous drop-off and collection and the shift length; windows are not modelled) is
the classic cheap estimate, within a few percent of good solutions on instances like
ours, and consistent from one coalition to the next, which is what a cost key needs.
"""

import numpy as np


class CostEstimator:
    """Precomputes distances once for a day's problem; ``cost(codes)`` estimates euros."""

    def __init__(self, problem):
        self.problem = problem
        self.codes = [s.code for s in problem.stops]
        self.index = {c: i + 1 for i, c in enumerate(self.codes)}  # 0 is the depot
        places = [problem.depot.code, *self.codes]
        n = len(places)
        self.km = np.zeros((n, n))
        for i, a in enumerate(places):
            for j, b in enumerate(places):
                if i != j:
                    self.km[i, j] = problem.km(a, b)
        self.minutes = self.km / problem.speed_kmh * 60.0
        stops = problem.stops
        self.deliver = np.array([0] + [s.deliver for s in stops])
        self.collect = np.array([0] + [s.collect for s in stops])
        self.service = np.array([0.0] + [problem.service_minutes(s) for s in stops])
        self.van = min(problem.vans, key=lambda v: v.cost_per_km)  # one van type
        self.cache = {}
        # The savings of every pair of stops, best first, computed once: a coalition's
        # pairs are this list restricted to its stops (the same order a per-call stable
        # sort of its own pairs gives, at a fraction of the cost).
        n = len(self.codes)
        a, b = np.triu_indices(n, k=1)
        a, b = a + 1, b + 1
        savings = self.km[0, a] + self.km[b, 0] - self.km[a, b]
        order = np.argsort(-savings, kind="stable")
        keep = savings[order] > 0
        self._pair_a, self._pair_b = a[order][keep], b[order][keep]
        self._km_rows = self.km.tolist()
        self._min_rows = self.minutes.tolist()
        self._net = (self.collect - self.deliver).tolist()

    def cost(self, codes):
        key = frozenset(codes)
        if key not in self.cache:
            self.cache[key] = self._solve(sorted(self.index[c] for c in key))
        return self.cache[key]

    def _route_ok(self, route):
        van = self.van
        load = int(self.deliver[route].sum())
        if load > van.capacity:
            return False
        for i in route:
            load += int(self.collect[i] - self.deliver[i])
            if load > van.capacity:
                return False
        legs = self.minutes[0, route[0]] + self.minutes[route[-1], 0]
        legs += sum(self.minutes[a, b] for a, b in zip(route, route[1:], strict=False))
        return legs + self.service[route].sum() <= van.shift_end - van.shift_start

    def _solve(self, idx):
        if not idx:
            return 0.0
        van = self.van
        km_rows, service = self._km_rows, self.service
        total = 0.0
        for route in self.routes(idx):
            km = km_rows[0][route[0]] + km_rows[route[-1]][0]
            km += sum(km_rows[x][y] for x, y in zip(route, route[1:], strict=False))
            hours = (km / self.problem.speed_kmh * 60 + service[route].sum()) / 60
            total += km * van.cost_per_km + hours * van.cost_per_hour + van.fixed_cost
        return total

    def routes(self, idx):
        """Clarke-Wright savings over the stop indexes ``idx``: a list of routes. A route's
        crate load and driving time are kept as running figures (crates out, net change,
        the highest net change from either end, minutes both ways), so testing a merge
        costs O(1) instead of walking the merged route (``_route_ok``, which the tests
        hold every route to)."""
        van = self.van
        capacity, shift = van.capacity, van.shift_end - van.shift_start
        mins, net = self._min_rows, self._net
        deliver, service = self.deliver.tolist(), self.service.tolist()
        member = np.zeros(len(self.codes) + 1, dtype=bool)
        member[idx] = True
        both = member[self._pair_a] & member[self._pair_b]
        routes = {i: [i] for i in idx}  # route id -> stops; each stop starts alone
        owner = {i: i for i in idx}
        # route id -> [crates out, net change, max prefix, max suffix, minutes forward,
        # minutes backward, service minutes]
        figures = {
            i: [deliver[i], net[i], max(0, net[i]), max(0, net[i]), 0.0, 0.0, service[i]]
            for i in idx
        }
        for i, j in zip(self._pair_a[both].tolist(), self._pair_b[both].tolist(), strict=True):
            ri, rj = owner[i], owner[j]
            if ri == rj:
                continue
            r1, r2 = routes[ri], routes[rj]
            # Join only at route ends: ...i + j... in whichever orientation fits (the first
            # orientation whose ends meet is the one tried).
            if r1[-1] == i and r2[0] == j:
                left, flip_l, right, flip_r = ri, False, rj, False
            elif r1[-1] == i and r2[-1] == j:
                left, flip_l, right, flip_r = ri, False, rj, True
            elif r1[0] == i and r2[0] == j:
                left, flip_l, right, flip_r = ri, True, rj, False
            elif r2[-1] == j and r1[0] == i:
                left, flip_l, right, flip_r = rj, False, ri, False
            else:
                continue
            fl, fr = _oriented(figures[left], flip_l), _oriented(figures[right], flip_r)
            lroute = routes[left][::-1] if flip_l else routes[left]
            rroute = routes[right][::-1] if flip_r else routes[right]
            link = mins[lroute[-1]][rroute[0]]
            back = mins[rroute[0]][lroute[-1]]
            merged_fig = [
                fl[0] + fr[0],
                fl[1] + fr[1],
                max(fl[2], fl[1] + fr[2]),
                max(fr[3], fr[1] + fl[3]),
                fl[4] + link + fr[4],
                fr[5] + back + fl[5],
                fl[6] + fr[6],
            ]
            first, last = lroute[0], rroute[-1]
            minutes = mins[0][first] + mins[last][0] + merged_fig[4] + merged_fig[6]
            if merged_fig[0] + merged_fig[2] > capacity or minutes > shift:
                continue
            merged = lroute + rroute
            routes[ri] = merged
            figures[ri] = merged_fig
            del routes[rj], figures[rj]
            for s in merged:
                owner[s] = ri
        return list(routes.values())


def _oriented(fig, flip):
    """A route's running figures, read from its other end when ``flip``."""
    if not flip:
        return fig
    out, net, pre, suf, fwd, bwd, service = fig
    return [out, net, suf, pre, bwd, fwd, service]
