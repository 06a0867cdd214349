"""Transport figures: transits per stream, national IBL shipments, km per crate from the
stored route plans, transit lead time per stream."""

from collections import defaultdict

from django.db.models import Count, Sum
from django.db.models.functions import Round

from ..models import NationalShipment, RoutePlan, Transit
from .common import (
    NO_ORGANISATION_KINDS,
    HoursBetween,
    Tree,
    bounds,
    in_scope,
    median,
    p90,
    rounded,
    transit_scope,
)


def _empty_counts():
    return {
        "transits": 0,
        "funding": dict.fromkeys(Transit.Funding.values, 0),
        "reason": dict.fromkeys(Transit.Reason.values, 0),
    }


def transit_volumes(start, end, *, nodes=None, tree=None):
    """Transits created in the period per organisation, by funding and by reason."""
    tree = tree or Tree()
    first, after = bounds(start, end)
    qs = Transit.objects.filter(created_at__gte=first, created_at__lt=after)
    # two small GROUP BYs instead of one per pair of places: transits placed at their
    # destination, then those placed at their origin (see the module doc)
    at_destination = qs.exclude(to_node__kind__in=NO_ORGANISATION_KINDS)
    at_origin = qs.filter(to_node__kind__in=NO_ORGANISATION_KINDS)
    groups = [
        {**g, "node": g.pop(field)}
        for part, field in ((at_destination, "to_node_id"), (at_origin, "from_node_id"))
        for g in in_scope(part, field.removesuffix("_id"), nodes)
        .values(field, "funding", "reason")
        .annotate(n=Count("id"))
        .order_by()
    ]
    per_org = defaultdict(_empty_counts)
    total = _empty_counts()
    for g in groups:
        key = tree.org_key(g["node"])
        for counts in (per_org[key], total):
            counts["transits"] += g["n"]
            counts["funding"][g["funding"]] = counts["funding"].get(g["funding"], 0) + g["n"]
            counts["reason"][g["reason"]] = counts["reason"].get(g["reason"], 0) + g["n"]
    rows = [{"organisation": k[0], "name": k[1], **per_org[k]} for k in sorted(per_org)]
    return {"rows": rows, "total": {"organisation": "", "name": "", **total}}


def national_shipments(start, end, *, nodes=None, tree=None):
    """National IBL shipments created in the period, by direction, per organisation."""
    tree = tree or Tree()
    first, after = bounds(start, end)
    qs = in_scope(
        NationalShipment.objects.filter(created_at__gte=first, created_at__lt=after),
        "location",
        nodes,
    )
    groups = qs.values("location_id", "direction").annotate(n=Count("id"), cost=Sum("cost"))

    def empty(code="", name=""):
        return {"organisation": code, "name": name, "out": 0, "in": 0, "cost": 0.0}

    per_org, total = {}, empty()
    for g in groups.order_by():
        key = tree.org_key(g["location_id"])
        row = per_org.setdefault(key, empty(*key))
        for target in (row, total):
            target[g["direction"]] += g["n"]
            target["cost"] = round(target["cost"] + float(g["cost"] or 0), 2)
    return {"rows": [per_org[k] for k in sorted(per_org)], "total": total}


# --- routes and transit lead time --------------------------------------------------------


def km_per_crate(start, end, *, nodes=None, tree=None):
    """From the stored route plans of the period's days: km, crates and km a crate per
    depot and in total."""
    tree = tree or Tree()
    qs = in_scope(RoutePlan.objects.filter(day__gte=start, day__lte=end), "depot", nodes)
    groups = qs.values("depot_id").annotate(days=Count("id"), km=Sum("km"), crates=Sum("crates"))

    def row(code, name, days, km, crates):
        km = round(km or 0, 1)
        crates = crates or 0
        ratio = round(km / crates, 2) if crates else None
        return {
            "depot": code,
            "name": name,
            "days": days,
            "km": km,
            "crates": crates,
            "km_per_crate": ratio,
        }

    rows = []
    for g in groups.order_by():
        depot = tree.nodes.get(g["depot_id"], {"code": "", "name": ""})
        rows.append(row(depot["code"], depot["name"], g["days"], g["km"], g["crates"]))
    rows.sort(key=lambda r: r["depot"])
    total = row(
        "",
        "",
        sum(r["days"] for r in rows),
        sum(r["km"] for r in rows),
        sum(r["crates"] for r in rows),
    )
    return {"rows": rows, "total": total}


def transit_lead_times(start, end, *, nodes=None):
    """Transits received in the period: hours from created to received, per funding
    stream (median and p90). The database counts them per tenth of an hour, so a month
    of a whole network comes back as a few thousand rows, not one per transit."""
    first, after = bounds(start, end)
    groups = (
        Transit.objects.filter(
            status=Transit.Status.RECEIVED, received_at__gte=first, received_at__lt=after
        )
        .filter(transit_scope(nodes))
        .annotate(tenths=Round(HoursBetween("created_at", "received_at") * 10))
        .values("funding", "tenths")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_stream = defaultdict(list)
    for g in groups:
        per_stream[g["funding"]].extend([float(g["tenths"]) / 10] * g["n"])

    def summary(stream, hours):
        return {
            "stream": stream,
            "transits": len(hours),
            "median_hours": rounded(median(hours)),
            "p90_hours": rounded(p90(hours)),
        }

    out = [summary(s, per_stream[s]) for s in Transit.Funding.values if per_stream[s]]
    everything = [h for s in per_stream.values() for h in s]
    return {"rows": out, "total": summary("", everything)}
