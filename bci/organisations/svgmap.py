"""A plain SVG map of network locations: pure geometry, no Django, no I/O.

Coordinates are drawn in an equirectangular projection: x follows longitude scaled by the
cosine of the map's middle latitude, y follows latitude. Over a region the size of three
Dutch provinces that is indistinguishable from a proper map projection and needs no tiles,
no JavaScript and no network access.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BBox:
    south: float
    north: float
    west: float
    east: float

    def extended(self, lat: float, lon: float) -> "BBox":
        return BBox(
            south=min(self.south, lat),
            north=max(self.north, lat),
            west=min(self.west, lon),
            east=max(self.east, lon),
        )


# Utrecht, Noord-Brabant and Limburg together (rounded outwards to the next 0.01 degree).
PROVINCES_BBOX = BBox(south=50.75, north=52.31, west=4.07, east=6.23)

# Drawing order and size per location kind: large places under small ones would hide them,
# so the biggest markers are drawn first.
KIND_RADIUS = {
    "main": 6.0,
    "poi_depot": 6.0,
    "hub": 6.0,
    "branch": 4.5,
    "service_point": 3.5,
    "school": 3.5,
    "pickup_point": 3.0,
}
DEFAULT_RADIUS = 4.0


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    r: float
    kind: str
    title: str
    url: str
    highlight: bool = False


@dataclass
class SvgMap:
    width: int
    height: int
    points: list[MapPoint] = field(default_factory=list)
    gridlines: list[dict] = field(default_factory=list)
    legend: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, label, count)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


@dataclass(frozen=True)
class Place:
    """What the map needs from a location."""

    latitude: float
    longitude: float
    kind: str
    title: str
    url: str
    highlight: bool = False


class Projection:
    def __init__(self, bbox: BBox, width: int, padding: float):
        self.bbox = bbox
        self.padding = padding
        mid_lat = math.radians((bbox.north + bbox.south) / 2)
        self.x_factor = math.cos(mid_lat)
        span_x = max((bbox.east - bbox.west) * self.x_factor, 1e-6)
        span_y = max(bbox.north - bbox.south, 1e-6)
        self.scale = (width - 2 * padding) / span_x
        self.width = width
        self.height = round(span_y * self.scale + 2 * padding)

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        x = self.padding + (lon - self.bbox.west) * self.x_factor * self.scale
        y = self.padding + (self.bbox.north - lat) * self.scale
        return round(x, 1), round(y, 1)


def build_map(
    places: Iterable[Place],
    *,
    width: int = 640,
    padding: float = 12.0,
    bbox: BBox = PROVINCES_BBOX,
    kind_labels: dict[str, str] | None = None,
    fit: bool = False,
    min_span: float = 0.2,
) -> SvgMap:
    """Project ``places`` onto a ``width`` pixels wide map of ``bbox``.

    The box grows to take in any place outside it, so nothing is ever drawn off the map.
    With ``fit`` the box is instead the places' own, widened to at least ``min_span``
    degrees each way (a local map around one location). Places without coordinates must
    be left out by the caller.
    """
    places = list(places)
    if fit and places:
        bbox = fitted_bbox(places, min_span=min_span)
    for place in places:
        bbox = bbox.extended(place.latitude, place.longitude)
    project = Projection(bbox, width, padding)
    points = []
    for place in sorted(places, key=lambda p: (p.highlight, -KIND_RADIUS.get(p.kind, 0))):
        x, y = project(place.latitude, place.longitude)
        r = KIND_RADIUS.get(place.kind, DEFAULT_RADIUS)
        points.append(
            MapPoint(
                x=x,
                y=y,
                r=r * 1.5 if place.highlight else r,
                kind=place.kind,
                title=place.title,
                url=place.url,
                highlight=place.highlight,
            )
        )
    gridlines = []
    step = 0.5 if bbox.north - bbox.south > 1 else 0.1
    for lat in _steps(bbox.south, bbox.north, step):
        _, y = project(lat, bbox.west)
        gridlines.append(
            {"x1": 0, "y1": y, "x2": width, "y2": y, "label": f"{lat:.1f}°N" if step >= 0.5 else ""}
        )
    for lon in _steps(bbox.west, bbox.east, step):
        x, _ = project(bbox.north, lon)
        gridlines.append({"x1": x, "y1": 0, "x2": x, "y2": project.height, "label": ""})
    labels = kind_labels or {}
    counts: dict[str, int] = {}
    for place in places:
        counts[place.kind] = counts.get(place.kind, 0) + 1
    legend = [
        (kind, labels.get(kind, kind), counts[kind]) for kind in KIND_RADIUS if kind in counts
    ] + [(kind, labels.get(kind, kind), n) for kind, n in counts.items() if kind not in KIND_RADIUS]
    return SvgMap(
        width=width, height=project.height, points=points, gridlines=gridlines, legend=legend
    )


def fitted_bbox(places, *, min_span: float) -> BBox:
    lats = [p.latitude for p in places]
    lons = [p.longitude for p in places]
    mid_lat, mid_lon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    half_lat = max((max(lats) - min(lats)) * 0.6, min_span / 2)
    half_lon = max((max(lons) - min(lons)) * 0.6, min_span / 2)
    return BBox(
        south=mid_lat - half_lat,
        north=mid_lat + half_lat,
        west=mid_lon - half_lon,
        east=mid_lon + half_lon,
    )


def _steps(low: float, high: float, step: float):
    value = math.ceil(low / step) * step
    while value <= high:
        yield round(value, 6)
        value += step
