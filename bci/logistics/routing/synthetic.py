"""Synthetic provinces for tests and benchmarks (seeded, reproducible)."""

import math
import random

from .problem import Depot, Problem, Stop, VanType

_KM_PER_DEG_LAT = 111.32


def synthetic_province(
    n_branches,
    *,
    seed=1,
    width_km=120.0,
    height_km=100.0,
    crates=(1, 6),
    window=(9 * 60, 17 * 60),
    vans=None,
    van_capacity=40,
    service_per_stop=5.0,
    service_per_crate=0.0,
):
    """``n_branches`` branches spread over a width x height km province (in towns: clustered
    around a few centres, as real branches are), the depot in the middle, 1-6 crates each
    way per branch, one delivery window for all."""
    rng = random.Random(seed)
    lat0, lon0 = 51.8, 5.2
    km_per_deg_lon = _KM_PER_DEG_LAT * math.cos(math.radians(lat0))
    centres = [
        (rng.uniform(0, width_km), rng.uniform(0, height_km))
        for _ in range(max(3, n_branches // 8))
    ]
    stops = []
    for i in range(n_branches):
        if rng.random() < 0.6:
            cx, cy = rng.choice(centres)
            x = min(width_km, max(0.0, rng.gauss(cx, 4.0)))
            y = min(height_km, max(0.0, rng.gauss(cy, 4.0)))
        else:
            x, y = rng.uniform(0, width_km), rng.uniform(0, height_km)
        stops.append(
            Stop(
                code=f"B{i + 1:03d}",
                lat=lat0 + y / _KM_PER_DEG_LAT,
                lon=lon0 + x / km_per_deg_lon,
                deliver=rng.randint(*crates),
                collect=rng.randint(*crates),
                opens=window[0],
                closes=window[1],
            )
        )
    depot = Depot(
        "DEPOT",
        lat0 + height_km / 2 / _KM_PER_DEG_LAT,
        lon0 + width_km / 2 / km_per_deg_lon,
        opens=6 * 60,
        closes=20 * 60,
    )
    if vans is None:
        need = math.ceil(
            max(sum(s.deliver for s in stops), sum(s.collect for s in stops)) / van_capacity
        )
        vans = [
            VanType(
                name="van",
                count=need + max(2, need // 2),
                capacity=van_capacity,
                shift_start=7 * 60,
                shift_end=18 * 60,
            )
        ]
    return Problem(
        depot=depot,
        stops=stops,
        vans=vans,
        service_per_stop=service_per_stop,
        service_per_crate=service_per_crate,
    )


def synthetic_month(
    n_branches,
    n_organisations,
    *,
    days=21,
    seed=1,
    daily_share=0.3,
    crates=(1, 6),
    van_capacity=40,
    **province,
):
    """A month of working days on one synthetic province, for cost allocation.

    The branches and depot of ``synthetic_province`` stay put; each branch belongs to one
    of ``n_organisations`` library organisations (each organisation's main branch is a
    branch drawn at random, every other branch joins the nearest main branch, so an
    organisation's branches are neighbours); a ``daily_share`` of the branches (the large
    ones) is visited every working day, the others on two set weekdays; crates change
    every day. Returns ``(problems, owner)``: one Problem per day (Monday first) and
    {branch code: organisation code}.
    """
    if not 1 <= n_organisations <= n_branches:
        raise ValueError("need between 1 and n_branches organisations")
    base = synthetic_province(
        n_branches, seed=seed, crates=crates, van_capacity=van_capacity, **province
    )
    rng = random.Random(seed * 7919 + n_organisations)
    mains = rng.sample(base.stops, n_organisations)
    org_of_main = {s.code: f"ORG{k + 1:02d}" for k, s in enumerate(mains)}
    owner = {}
    for stop in base.stops:
        nearest = min(mains, key=lambda m: (m.lat - stop.lat) ** 2 + (m.lon - stop.lon) ** 2)
        owner[stop.code] = org_of_main[nearest.code]
    large = {s.code for s in base.stops if s.code in org_of_main or rng.random() < daily_share}
    weekdays = {s.code: set(rng.sample(range(5), 2)) for s in base.stops}
    problems = []
    for day in range(days):
        stops = [
            Stop(
                code=s.code,
                lat=s.lat,
                lon=s.lon,
                deliver=rng.randint(*crates),
                collect=rng.randint(*crates),
                opens=s.opens,
                closes=s.closes,
            )
            for s in base.stops
            if s.code in large or day % 5 in weekdays[s.code]
        ]
        need = math.ceil(
            max(sum(s.deliver for s in stops), sum(s.collect for s in stops)) / van_capacity
        )
        van = base.vans[0]
        vans = [
            VanType(
                name=van.name,
                count=need + max(2, need // 2),
                capacity=van_capacity,
                shift_start=van.shift_start,
                shift_end=van.shift_end,
            )
        ]
        problems.append(
            Problem(
                depot=base.depot,
                stops=stops,
                vans=vans,
                service_per_stop=base.service_per_stop,
                service_per_crate=base.service_per_crate,
            )
        )
    return problems, owner
