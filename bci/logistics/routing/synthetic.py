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
