"""The shape of a day's routing problem and of a plan. Times are minutes after midnight."""

import math
from dataclasses import dataclass, field

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Depot:
    code: str
    lat: float
    lon: float
    opens: int = 7 * 60
    closes: int = 18 * 60


@dataclass(frozen=True)
class Stop:
    """A branch to visit: crates to drop (from the depot) and to collect (to the depot)."""

    code: str
    lat: float
    lon: float
    deliver: int = 0
    collect: int = 0
    opens: int = 9 * 60  # delivery window: service must start within it
    closes: int = 17 * 60
    name: str = ""


@dataclass(frozen=True)
class VanType:
    name: str = "van"
    count: int = 1
    capacity: int = 40  # crates
    shift_start: int = 7 * 60
    shift_end: int = 17 * 60
    cost_per_km: float = 0.35
    cost_per_hour: float = 35.0
    fixed_cost: float = 100.0  # per van used per day: fewer vans is cheaper


@dataclass
class Problem:
    depot: Depot
    stops: list[Stop]
    vans: list[VanType]
    speed_kmh: float = 50.0
    detour_factor: float = 1.3  # road distance / straight-line distance
    service_per_stop: float = 5.0  # minutes
    service_per_crate: float = 0.5  # minutes
    # Optional imported matrix {(from_code, to_code): (km, minutes)}; haversine otherwise.
    matrix: dict | None = None

    def __post_init__(self):
        codes = [s.code for s in self.stops]
        if len(set(codes)) != len(codes):
            raise ValueError("each stop code may appear only once")
        self._places = {self.depot.code: self.depot, **{s.code: s for s in self.stops}}

    def km(self, a, b):
        """Road km between two codes (depot or stop)."""
        if a == b:
            return 0.0
        if self.matrix is not None and (a, b) in self.matrix:
            return self.matrix[(a, b)][0]
        pa, pb = self._places[a], self._places[b]
        return haversine_km(pa.lat, pa.lon, pb.lat, pb.lon) * self.detour_factor

    def minutes(self, a, b):
        if a == b:
            return 0.0
        if self.matrix is not None and (a, b) in self.matrix:
            return self.matrix[(a, b)][1]
        return self.km(a, b) / self.speed_kmh * 60.0

    def matrices(self):
        """Road km and driving minutes between all places, depot first then the stops in
        order, as two numpy arrays: the same figures as ``km``/``minutes``, computed in one
        vectorised pass (a Python call per pair took half a second for 250 stops)."""
        places = [self.depot, *self.stops]
        lat = np.radians([p.lat for p in places])
        lon = np.radians([p.lon for p in places])
        dp = lat[None, :] - lat[:, None]
        dl = lon[None, :] - lon[:, None]
        a = np.sin(dp / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dl / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a))) * self.detour_factor
        minutes = km / self.speed_kmh * 60.0
        if self.matrix:
            index = {p.code: i for i, p in enumerate(places)}
            for (a_code, b_code), (d_km, d_min) in self.matrix.items():
                i, j = index.get(a_code), index.get(b_code)
                if i is not None and j is not None and i != j:
                    km[i, j], minutes[i, j] = d_km, d_min
        np.fill_diagonal(km, 0.0)
        np.fill_diagonal(minutes, 0.0)
        return km, minutes

    def service_minutes(self, stop):
        return self.service_per_stop + self.service_per_crate * (stop.deliver + stop.collect)

    def stop(self, code):
        return self._places[code]


@dataclass
class PlannedStop:
    code: str
    arrival: float  # minutes after midnight
    start: float  # service start (after waiting for the window)
    departure: float
    deliver: int
    collect: int
    km_from_previous: float


@dataclass
class VanRoute:
    van: str
    stops: list[PlannedStop]
    km: float
    start: float
    end: float
    load_out: int  # crates on board leaving the depot

    @property
    def hours(self):
        return (self.end - self.start) / 60.0


@dataclass
class Plan:
    routes: list[VanRoute]
    unserved: list[str] = field(default_factory=list)
    method: str = ""
    seconds: float = 0.0

    @property
    def km(self):
        return sum(r.km for r in self.routes)

    @property
    def hours(self):
        return sum(r.hours for r in self.routes)

    def cost(self, problem):
        """Euros: distance, driver hours and the fixed daily cost of each van used."""
        by_name = {v.name: v for v in problem.vans}
        total = 0.0
        for r in self.routes:
            van = by_name[r.van]
            total += r.km * van.cost_per_km + r.hours * van.cost_per_hour + van.fixed_cost
        return total
