"""Key figures of the logistics (KPIs) for a period and a set of nodes.

Pure reads with a fixed number of queries whatever the volume: nothing is read per hold,
transit or depot. ``nodes`` is the caller's visible scope (a Node queryset, e.g.
``restrict(Node.objects.all(), user, LOGISTICS_VIEW, via="")``) or None for everything.

Hold lead time: which timestamps
--------------------------------
DOMAIN.md's target: "an in-province hold is on the pick-up shelf within 2 working days of
the copy being found; national IBL +1-2 days".

- *Copy found* is the capture: staff scan the copy (from the pick list, or at a check-in)
  and circulation puts it in transit to the pick-up branch. That instant is the hold's
  transit's ``created_at`` (reference ``hold:<id>``), written in the same transaction as
  the ``hold.in_transit`` event. ``Hold.copy_assigned_at`` is *not* used: it is when the
  targeter promised some copy on some shelf, rewritten on every retarget and again at
  capture; how long staff take to find a copy on the pick list is not transport.
- *On the shelf* is the ``hold.ready`` event at the pick-up branch. ``Hold.ready_at`` keeps
  only the last time and is cleared when the copy goes missing; the event log keeps every
  time a hold reached the shelf, so a hold counts once per arrival in the period.
- The transit of an arrival: the latest received transit of that hold (``hold:<id>``)
  carrying the same copy (the event's ``item``) and received no later than the event
  (and at most 14 days before it; circulation receives the transit and shelves the
  hold in one transaction).
- *Filled locally* (no such transit: the copy was found at the pick-up branch itself):
  counted apart as ``local`` and left out of the median, p90 and % within target, whose
  subject is transport (they would all be zero and flatter it).
- *Working days* are Monday to Friday, less the days the pick-up branch is closed by a
  closure on itself or an ancestor (public holidays sit on the network). Opening hours are
  not read: vans run Monday to Friday, whatever a branch's Saturday hours. The lead time in
  working days counts the working days after the day the copy was found up to and
  including the day it reached the shelf: found Monday, on the shelf Wednesday = 2; found
  Friday (or Saturday), on the shelf Tuesday = 2; the same day = 0.
- *Target*: node setting ``hold_lead_target_days`` (default 2) resolved on the pick-up
  branch, nearest ancestor wins; a hold that came in through national IBL (transit reason
  ``ibl_in``) gets ``hold_lead_national_extra_days`` more (default 2).
- *Percentiles*: the median is the middle value (mean of the two middle ones); p90 is the
  nearest rank, the ceil(0.9 n)-th smallest value, so it is always an observed value.

Volumes and transit lead time place a transit at its destination's organisation, or at
its origin's when the destination belongs to none (a depot, the national hub: IBL out,
returns to a supplier); the scope is judged on that same node.
"""

import datetime as dt
import math
import statistics
from collections import defaultdict

from django.db.models import Count, FloatField, Func, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _

from bci.core.errors import InvalidInput
from bci.core.models import Event
from bci.organisations.models import Closure, Node, NodeSetting

from .models import NationalShipment, RoutePlan, Transit

TARGET_KEY = "hold_lead_target_days"
NATIONAL_EXTRA_KEY = "hold_lead_national_extra_days"
TARGET_DAYS = 2
NATIONAL_EXTRA_DAYS = 2
DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366
LOOKBACK = dt.timedelta(days=14)  # how long before reaching the shelf a transit is looked for
NO_ORGANISATION_KINDS = (Node.Kind.DEPOT, Node.Kind.HUB, Node.Kind.POI, Node.Kind.NETWORK)


# --- period ------------------------------------------------------------------------------


def parse_period(start_text=None, end_text=None, *, today=None):
    """(start, end) dates, both included, from ``?from=&to=`` text; default: the last
    30 days up to today. Bad input raises InvalidInput with a clear message."""
    today = today or timezone.localdate()

    def day(text, default, name):
        if not text:
            return default
        try:
            return dt.date.fromisoformat(str(text).strip())
        except ValueError:
            raise InvalidInput(
                _("%(name)s is not a date (YYYY-MM-DD): %(text)s") % {"name": name, "text": text}
            ) from None

    end = day(end_text, today, "to")
    start = day(start_text, end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), "from")
    if start > end:
        raise InvalidInput(_("The period starts after it ends."))
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(_("A period spans at most %(n)s days.") % {"n": MAX_PERIOD_DAYS})
    return start, end


def _bounds(start, end):
    """Aware datetimes [start 00:00, day after end 00:00) in the local time zone."""
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return first, after


# --- small helpers -----------------------------------------------------------------------


def median(values):
    return statistics.median(values) if values else None


def p90(values):
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)), 1) - 1]


def _hours(delta):
    return delta.total_seconds() / 3600


def _round(value, digits=1):
    return None if value is None else round(value, digits)


class _Tree:
    """Every node of the network in one query (a deployment has about a thousand): ids,
    codes, names, paths, and each node's organisation, without a query per node."""

    def __init__(self):
        rows = Node.objects.values_list("id", "code", "name", "path", "kind")
        self.nodes = {
            r[0]: {"id": r[0], "code": r[1], "name": r[2], "path": r[3], "kind": r[4]} for r in rows
        }
        self.by_code = {n["code"]: n for n in self.nodes.values()}
        self._org_keys = {}

    def ancestors(self, node_id):
        """Ids root first, the node itself last."""
        path = self.nodes[node_id]["path"]
        return [int(part) for part in path.strip("/").split("/") if part]

    def organisation(self, node_id):
        for ancestor in reversed(self.ancestors(node_id)):
            if self.nodes.get(ancestor, {}).get("kind") == Node.Kind.ORGANISATION:
                return self.nodes[ancestor]
        return None

    def resolve(self, node_id, values, default):
        """Nearest-ancestor-wins over ``values`` ({node id: value})."""
        for ancestor in reversed(self.ancestors(node_id)):
            if ancestor in values:
                return values[ancestor]
        return default

    def org_key(self, node_id):
        """(code, name) of the node's organisation, ("", "") when it has none."""
        if node_id not in self._org_keys:
            org = self.organisation(node_id) if node_id in self.nodes else None
            self._org_keys[node_id] = (org["code"], org["name"]) if org else ("", "")
        return self._org_keys[node_id]


def _in_scope(qs, field, nodes):
    return qs if nodes is None else qs.filter(**{f"{field}__in": nodes})


def _transit_scope(nodes):
    """Transits placed (see the module doc) at a node in ``nodes``."""
    if nodes is None:
        return Q()
    return Q(to_node__in=nodes) & ~Q(to_node__kind__in=NO_ORGANISATION_KINDS) | Q(
        to_node__kind__in=NO_ORGANISATION_KINDS, from_node__in=nodes
    )


def _positive_int(value, default):
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
    )


# --- hold lead time ----------------------------------------------------------------------


def working_days_after(found, ready, closed=frozenset()):
    """Working days (Mon-Fri, not in ``closed``) d with found < d <= ready."""
    count, day = 0, found + dt.timedelta(days=1)
    while day <= ready:
        if day.weekday() < 5 and day not in closed:
            count += 1
        day += dt.timedelta(days=1)
    return count


def _arrivals(first, after, nodes):
    """hold.ready events in the period at a pick-up branch in scope."""
    qs = Event.objects.filter(kind="hold.ready", occurred_at__gte=first, occurred_at__lt=after)
    if nodes is not None:
        qs = qs.filter(location_code__in=nodes.values("code"))
    qs = qs.annotate(item=KeyTextTransform("item", "data"))
    return list(qs.values_list("subject_id", "occurred_at", "location_code", "item"))


def _hold_transits(first, after, nodes):
    """{hold reference: [(item barcode, created_at, received_at, reason)]} of the hold
    transits received from LOOKBACK before the period to its end (one query, no list of
    ids: a transit is received in the same transaction as its hold reaches the shelf)."""
    qs = Transit.objects.filter(
        status=Transit.Status.RECEIVED,
        received_at__gte=first - LOOKBACK,
        received_at__lt=after,
        reference__startswith="hold:",
    )
    found = defaultdict(list)
    rows = _in_scope(qs, "to_node", nodes).values_list(
        "reference", "item__barcode", "created_at", "received_at", "reason"
    )
    for ref, barcode, created, received, reason in rows:
        found[ref].append((barcode, created, received, reason))
    return found


def _closed_days(tree, branch_ids, start, end):
    """{branch id: set of closed dates in [start, end]} from closures on it or above."""
    ancestors = {b: tree.ancestors(b) for b in branch_ids}
    wanted = {a for ids in ancestors.values() for a in ids}
    by_node = defaultdict(set)
    rows = Closure.objects.filter(
        node_id__in=wanted, end_date__gte=start, start_date__lte=end
    ).values_list("node_id", "start_date", "end_date")
    for node_id, first, last in rows:
        day = max(first, start)
        while day <= min(last, end):
            by_node[node_id].add(day)
            day += dt.timedelta(days=1)
    return {b: set().union(*(by_node[a] for a in ids)) for b, ids in ancestors.items()}


def _settings(tree, branch_ids, key):
    wanted = {a for b in branch_ids for a in tree.ancestors(b)}
    return dict(
        NodeSetting.objects.filter(key=key, node_id__in=wanted).values_list("node_id", "value")
    )


def _lead_summary(samples, local, code, name):
    days = [s["days"] for s in samples]
    hours = [s["hours"] for s in samples]
    within = sum(1 for s in samples if s["days"] <= s["target"])
    return {
        "organisation": code,
        "name": name,
        "holds": len(samples),
        "local": local,
        "within_target": within,
        "within_target_pct": _round(100 * within / len(samples)) if samples else None,
        "median_days": median(days),
        "p90_days": p90(days),
        "median_hours": _round(median(hours)),
        "p90_hours": _round(p90(hours)),
        "targets": sorted({s["target"] for s in samples}),
    }


def hold_lead_times(start, end, *, nodes=None, tree=None):
    """Per organisation of the pick-up branch: lead time from copy found to on the shelf."""
    tree = tree or _Tree()
    first, after = _bounds(start, end)
    arrivals = [a for a in _arrivals(first, after, nodes) if a[2] in tree.by_code]
    transits = _hold_transits(first, after, nodes)
    matched = []  # (branch id, found, ready, reason)
    local = defaultdict(int)
    for hold_id, ready, code, item in arrivals:
        branch = tree.by_code[code]["id"]
        candidates = [
            t for t in transits.get(f"hold:{hold_id}", []) if t[0] == item and t[2] <= ready
        ]
        if not candidates:
            local[tree.org_key(branch)] += 1
            continue
        _barcode, created, _received, reason = max(candidates, key=lambda t: t[2])
        matched.append((branch, created, ready, reason))
    branches = {m[0] for m in matched}
    zone = timezone.get_current_timezone()  # once: localdate() looks it up on every call
    earliest = min((m[1].astimezone(zone).date() for m in matched), default=start)
    closed = _closed_days(tree, branches, earliest, end)
    settings = {key: _settings(tree, branches, key) for key in (TARGET_KEY, NATIONAL_EXTRA_KEY)}
    targets = {}  # (branch, national) -> working days
    for branch in branches:
        target = _positive_int(tree.resolve(branch, settings[TARGET_KEY], TARGET_DAYS), TARGET_DAYS)
        extra = tree.resolve(branch, settings[NATIONAL_EXTRA_KEY], NATIONAL_EXTRA_DAYS)
        targets[branch, False] = target
        targets[branch, True] = target + _positive_int(extra, NATIONAL_EXTRA_DAYS)
    days_between = {}  # (branch, found day, ready day) -> working days: computed once
    per_org = defaultdict(list)
    for branch, found, ready, reason in matched:
        span = (branch, found.astimezone(zone).date(), ready.astimezone(zone).date())
        if span not in days_between:
            days_between[span] = working_days_after(span[1], span[2], closed[branch])
        sample = {
            "days": days_between[span],
            "hours": _hours(ready - found),
            "target": targets[branch, reason == Transit.Reason.IBL_IN],
        }
        per_org[tree.org_key(branch)].append(sample)
    keys = sorted(set(per_org) | set(local))
    rows = [_lead_summary(per_org[k], local[k], *k) for k in keys]
    everything = [s for k in keys for s in per_org[k]]
    return {"rows": rows, "total": _lead_summary(everything, sum(local.values()), "", "")}


# --- volumes -----------------------------------------------------------------------------


def _empty_counts():
    return {
        "transits": 0,
        "funding": dict.fromkeys(Transit.Funding.values, 0),
        "reason": dict.fromkeys(Transit.Reason.values, 0),
    }


def transit_volumes(start, end, *, nodes=None, tree=None):
    """Transits created in the period per organisation, by funding and by reason."""
    tree = tree or _Tree()
    first, after = _bounds(start, end)
    qs = Transit.objects.filter(created_at__gte=first, created_at__lt=after)
    # two small GROUP BYs instead of one per pair of places: transits placed at their
    # destination, then those placed at their origin (see the module doc)
    at_destination = qs.exclude(to_node__kind__in=NO_ORGANISATION_KINDS)
    at_origin = qs.filter(to_node__kind__in=NO_ORGANISATION_KINDS)
    groups = [
        {**g, "node": g.pop(field)}
        for part, field in ((at_destination, "to_node_id"), (at_origin, "from_node_id"))
        for g in _in_scope(part, field.removesuffix("_id"), nodes)
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
    tree = tree or _Tree()
    first, after = _bounds(start, end)
    qs = _in_scope(
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
    tree = tree or _Tree()
    qs = _in_scope(RoutePlan.objects.filter(day__gte=start, day__lte=end), "depot", nodes)
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


class HoursBetween(Func):
    """Hours from the first datetime to the second as a float, computed in the database
    (SQLite and PostgreSQL, the two the project runs on)."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        (start, start_params), (end, end_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        if connection.vendor == "sqlite":
            sql = f"((julianday({end}) - julianday({start})) * 24.0)"
        else:
            sql = f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"
        return sql, (*start_params, *end_params)


def transit_lead_times(start, end, *, nodes=None):
    """Transits received in the period: hours from created to received, per funding
    stream (median and p90). The database counts them per tenth of an hour, so a month
    of a whole network comes back as a few thousand rows, not one per transit."""
    first, after = _bounds(start, end)
    groups = (
        Transit.objects.filter(
            status=Transit.Status.RECEIVED, received_at__gte=first, received_at__lt=after
        )
        .filter(_transit_scope(nodes))
        .annotate(tenths=Round(HoursBetween("created_at", "received_at") * 10))
        .values("funding", "tenths")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_stream = defaultdict(list)
    for g in groups:
        per_stream[g["funding"]].extend([g["tenths"] / 10] * g["n"])

    def summary(stream, hours):
        return {
            "stream": stream,
            "transits": len(hours),
            "median_hours": _round(median(hours)),
            "p90_hours": _round(p90(hours)),
        }

    out = [summary(s, per_stream[s]) for s in Transit.Funding.values if per_stream[s]]
    everything = [h for s in per_stream.values() for h in s]
    return {"rows": out, "total": summary("", everything)}


def logistics_kpis(start, end, *, nodes=None):
    """Every figure above for one period and scope, as plain data (pages and API)."""
    tree = _Tree()
    return {
        "period": {"from": start, "to": end},
        "hold_lead_time": hold_lead_times(start, end, nodes=nodes, tree=tree),
        "volumes": transit_volumes(start, end, nodes=nodes, tree=tree),
        "national_ibl": national_shipments(start, end, nodes=nodes, tree=tree),
        "km_per_crate": km_per_crate(start, end, nodes=nodes, tree=tree),
        "transit_lead_time": transit_lead_times(start, end, nodes=nodes),
    }
