"""What a plan looks like on paper: an SVG map of the day's routes, a printable driver sheet
per van, and a JSON record of the plan (``plan_summary``). The plan itself is kept in the
database (``plans.store_plan``: the summary, the map and a row per stop); ``bci
plan-routes`` also writes these files (``write_plan_files``) for printing and sharing."""

import json
import math
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.template.loader import render_to_string

from .routing.check import hhmm

COLOURS = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
]


def svg_map(problem, plan=None, *, width=800, height=600, pad=30):
    """The depot, every stop, and each van's route as a coloured line (SVG text).

    Unserved stops are drawn as red crosses. Equirectangular projection: fine at the scale
    of a province.
    """
    places = [problem.depot, *problem.stops]
    lats = [p.lat for p in places]
    lons = [p.lon for p in places]
    kx = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lons) - min(lons)) * kx, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)

    def xy(p):
        return (
            pad + (p.lon - min(lons)) * kx * scale,
            height - pad - (p.lat - min(lats)) * scale,
        )

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="route map">',
        f'<rect width="{width}" height="{height}" fill="#fbfbf8"/>',
    ]
    if plan is not None:
        for n, route in enumerate(plan.routes):
            colour = COLOURS[n % len(COLOURS)]
            points = [problem.depot, *(problem.stop(s.code) for s in route.stops), problem.depot]
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, points))
            out.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                f'stroke-width="2" stroke-opacity="0.8"><title>{escape(route.van)} '
                f"{n + 1}: {len(route.stops)} stops, {route.km:.0f} km</title></polyline>"
            )
    unserved = set(plan.unserved) if plan is not None else set()
    for s in problem.stops:
        x, y = xy(s)
        label = escape(f"{s.code} {s.name}".strip())
        if s.code in unserved:
            out.append(
                f'<path d="M{x - 5:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 5:.1f} '
                f'M{x - 5:.1f},{y + 5:.1f} L{x + 5:.1f},{y - 5:.1f}" stroke="#c00" '
                f'stroke-width="2.5"><title>{label}: not served</title></path>'
            )
        else:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#333"><title>{label}: '
                f"{s.deliver} crates off, {s.collect} on</title></circle>"
            )
        out.append(
            f'<text x="{x + 6:.1f}" y="{y - 4:.1f}" font-size="9" font-family="sans-serif" '
            f'fill="#444">{escape(s.code)}</text>'
        )
    x, y = xy(problem.depot)
    out.append(
        f'<rect x="{x - 7:.1f}" y="{y - 7:.1f}" width="14" height="14" fill="#000">'
        f"<title>{escape(problem.depot.code)}</title></rect>"
    )
    out.append("</svg>")
    return "\n".join(out)


def route_rows(problem, route, names):
    """One dict per stop of ``route`` with what a driver needs, in visiting order."""
    load = route.load_out
    rows = []
    for n, p in enumerate(route.stops, 1):
        stop = problem.stop(p.code)
        load += p.collect - p.deliver
        rows.append(
            {
                "n": n,
                "code": p.code,
                "name": names.get(p.code, stop.name),
                "eta": hhmm(p.arrival),
                "start": hhmm(p.start),
                "departure": hhmm(p.departure),
                "window": f"{hhmm(stop.opens)}-{hhmm(stop.closes)}",
                "off": p.deliver,
                "on": p.collect,
                "load": load,
                "km": round(p.km_from_previous, 1),
            }
        )
    return rows


def plan_summary(problem, plan, *, baseline=None, check=None, day_input=None):
    """A JSON-able record of the plan: what the command prints, ``RoutePlan.summary`` keeps
    (the page shows it) and plan.json holds."""
    names = {c: n.name for c, n in (day_input.nodes.items() if day_input else [])}
    vans = {v.name: v for v in problem.vans}
    routes = []
    for n, route in enumerate(plan.routes, 1):
        van = vans[route.van]
        routes.append(
            {
                "number": n,
                "van": route.van,
                "capacity": van.capacity,
                "start": hhmm(route.start),
                "end": hhmm(route.end),
                "km": round(route.km, 1),
                "hours": round(route.hours, 2),
                "load_out": route.load_out,
                "crates_back": sum(p.collect for p in route.stops),
                "cost": round(
                    route.km * van.cost_per_km + route.hours * van.cost_per_hour + van.fixed_cost,
                    2,
                ),
                "stops": route_rows(problem, route, names),
            }
        )
    summary = {
        "depot": problem.depot.code,
        "day": day_input.day.isoformat() if day_input else "",
        "method": plan.method,
        "seconds": round(plan.seconds, 2),
        "stops": len(problem.stops),
        "vans": len(plan.routes),
        "km": round(plan.km, 1),
        "hours": round(plan.hours, 2),
        "cost": round(plan.cost(problem), 2),
        "crates_out": sum(s.deliver for s in problem.stops),
        "crates_back": sum(s.collect for s in problem.stops),
        "unserved": list(plan.unserved),
        "routes": routes,
        "check": list(check or []),
    }
    if baseline is not None:
        summary["baseline"] = {
            "vans": len(baseline.routes),
            "km": round(baseline.km, 1),
            "hours": round(baseline.hours, 2),
            "cost": round(baseline.cost(problem), 2),
            "unserved": list(baseline.unserved),
        }
        base_cost = baseline.cost(problem)
        summary["saving"] = {
            "km": round(baseline.km - plan.km, 1),
            "km_percent": round((baseline.km - plan.km) / baseline.km * 100, 1)
            if baseline.km
            else 0.0,
            "cost": round(base_cost - plan.cost(problem), 2),
            "cost_percent": round((base_cost - plan.cost(problem)) / base_cost * 100, 1)
            if base_cost
            else 0.0,
        }
    if day_input is not None:
        summary["skipped"] = [vars(s) for s in day_input.skipped]
        summary["warnings"] = list(day_input.warnings)
    return summary


def plans_dir(depot_code, day):
    return Path(settings.VAR_DIR) / "plans" / depot_code / day.isoformat()


def write_plan_files(out, problem, plan, summary):
    """plan.json, map.svg and one driver sheet per van (van-N.html) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    (out / "map.svg").write_text(svg_map(problem, plan), encoding="utf-8")
    written = [out / "plan.json", out / "map.svg"]
    for route in summary["routes"]:
        path = out / f"van-{route['number']}.html"
        path.write_text(
            render_to_string("logistics/driver_sheet.html", {"plan": summary, "route": route}),
            encoding="utf-8",
        )
        written.append(path)
    return written
