"""The targeter: which copy serves which waiting hold.

Runs incrementally, inside the caller's transaction, whenever something changes the
picture for one record (a hold placed or cancelled, a copy returned, reshelved, lost or
found); ``retarget_all`` re-optimises everything for recovery (``bci retarget-holds``).

For one record, waiting holds are served first come, first served: the oldest hold picks
its best copy among all available copies not captured by another hold, then the next
one, and so on, so an older hold is never starved by a newer one. No candidate limit.
"Best" is the lowest score (policies.copy_score): the estimated days until the copy
stands on the pick-up shelf, a penalty per transport tier (same branch < same
organisation < same POI < other POI), the distance, and the number of copies already on
the source branch's pick list (spreads work across libraries). Weights come from the
``circulation.targeter_weights`` setting (nearest ancestor of the pick-up branch wins).
A hold keeps its current copy unless another is better by more than ``switch_margin``,
so pick lists do not churn.
"""

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from bci.catalogue.models import Item
from bci.core.models import Event
from bci.organisations.models import Closure, Node, OpeningHours
from bci.organisations.queries import resolve_setting

from . import policies
from .models import Hold

WEIGHTS_SETTING = "circulation.targeter_weights"
VAN_DAYS_SETTING = "logistics.van_weekdays"
DEFAULT_SWITCH_MARGIN = 5.0
BIG_BRANCH_KINDS = ("main", "branch")


class Context:
    """Per-run caches of node facts (calendars, van days, tree relations)."""

    def __init__(self, today, *, bulk=False):
        self.today = today
        self.bulk = bulk
        self._nodes = {}
        self._open = {}
        self._van = {}
        self._weights = {}
        self._picks = None
        self._weekdays = None
        self._closures = None
        self._base = {}

    def node(self, node_id):
        node = self._nodes.get(node_id)
        if node is None:
            node = Node.objects.get(pk=node_id)
            org, poi = node.organisation, node.poi
            node.org_id = org.pk if org else None
            node.poi_id = poi.pk if poi else None
            self._nodes[node_id] = node
        return node

    def _calendar(self, node_id):
        """(opening weekdays, closures) of a node: a bulk run reads every location's in
        two queries, an incremental one the node's own."""
        if self._weekdays is None:
            self._weekdays, self._closures = {}, {}
            if self.bulk:
                for nid, weekday in OpeningHours.objects.values_list("node_id", "weekday"):
                    self._weekdays.setdefault(nid, set()).add(weekday)
                for nid, start, end in Closure.objects.filter(end_date__gte=self.today).values_list(
                    "node_id", "start_date", "end_date"
                ):
                    self._closures.setdefault(nid, []).append((start, end))
        ancestors = self.node(node_id).ancestor_ids()
        if not self.bulk and node_id not in self._weekdays:
            self._weekdays[node_id] = set(
                OpeningHours.objects.filter(node_id=node_id).values_list("weekday", flat=True)
            )
            missing = [a for a in ancestors if a not in self._closures]
            for nid in missing:
                self._closures[nid] = []
            for nid, start, end in Closure.objects.filter(
                node_id__in=missing, end_date__gte=self.today
            ).values_list("node_id", "start_date", "end_date"):
                self._closures[nid].append((start, end))
        spans = [span for a in ancestors for span in self._closures.get(a, ())]
        return self._weekdays.get(node_id), spans

    def open_day(self, node_id, day):
        """The first day on or after ``day`` that the node is open (the same rule as
        organisations.queries.next_open_day: its hours, closures on it or an ancestor);
        ``day`` itself when it has no opening hours."""
        key = (node_id, day)
        if key not in self._open:
            days, spans = self._calendar(node_id)
            result = day
            if days:
                candidate = day
                for _ in range(366):
                    if candidate.weekday() in days and not any(
                        s <= candidate <= e for s, e in spans
                    ):
                        result = candidate
                        break
                    candidate += dt.timedelta(days=1)
            self._open[key] = result
        return self._open[key]

    def van_days(self, node_id):
        if node_id not in self._van:
            node = self.node(node_id)
            default = [0, 1, 2, 3, 4] if node.kind in BIG_BRANCH_KINDS else [1, 3]
            self._van[node_id] = set(resolve_setting(node, VAN_DAYS_SETTING, default))
        return self._van[node_id]

    def weights(self, node_id):
        if node_id not in self._weights:
            custom = resolve_setting(self.node(node_id), WEIGHTS_SETTING, {}) or {}
            self._weights[node_id] = {**policies.DEFAULT_WEIGHTS, **custom}
        return self._weights[node_id]

    def picks(self, node_id):
        """Copies on ``node_id``'s pick list, kept current during the run. A bulk run
        counts every branch in one query; an incremental one only the branches it asks."""
        if self._picks is None:
            self._picks = {}
            if self.bulk:
                rows = (
                    Hold.objects.filter(status=Hold.Status.WAITING, copy__isnull=False)
                    .values("copy__current_location", "copy__home_branch")
                    .annotate(n=Count("id"))
                )
                for row in rows:
                    where = row["copy__current_location"] or row["copy__home_branch"]
                    self._picks[where] = self._picks.get(where, 0) + row["n"]
        if node_id not in self._picks:
            self._picks[node_id] = (
                0
                if self.bulk
                else Hold.objects.filter(status=Hold.Status.WAITING, copy__isnull=False)
                .filter(
                    Q(copy__current_location_id=node_id)
                    | Q(copy__current_location__isnull=True, copy__home_branch_id=node_id)
                )
                .count()
            )
        return self._picks[node_id]

    def add_pick(self, node_id, delta):
        self.picks(node_id)
        self._picks[node_id] = self._picks.get(node_id, 0) + delta

    def base(self, source_id, dest_id):
        """(score without load, arrival day, km, relation) for a copy at source."""
        key = (source_id, dest_id)
        if key not in self._base:
            src, dst = self.node(source_id), self.node(dest_id)
            rel = policies.relation(
                src.path, src.org_id, src.poi_id, dst.path, dst.org_id, dst.poi_id
            )
            arrival = policies.estimate_arrival(
                today=self.today,
                rel=rel,
                pull_day=self.open_day(source_id, self.today),
                source_van_days=self.van_days(source_id),
                dest_van_days=self.van_days(dest_id),
                dest_open_day=lambda day: self.open_day(dest_id, day),
            )
            km = policies.haversine_km(src.latitude, src.longitude, dst.latitude, dst.longitude)
            weights = self.weights(dest_id)
            score = policies.copy_score(
                arrival=arrival, today=self.today, rel=rel, km=km, picks=0, weights=weights
            )
            self._base[key] = (score, arrival, km, rel)
        return self._base[key]

    def score(self, source_id, dest_id):
        base, arrival, km, rel = self.base(source_id, dest_id)
        return base + self.picks(source_id) * self.weights(dest_id)["per_pick"], arrival, km, rel


def location_id(item):
    return item.current_location_id or item.home_branch_id


def reason_text(ctx, source_id, arrival, km, rel):
    with translation.override(settings.LANGUAGE_CODE):
        name = ctx.node(source_id).name
        if rel == policies.SAME_BRANCH:
            return _("on the shelf at the pick-up branch %(branch)s") % {"branch": name}
        return _("available at %(branch)s, arrives %(day)s, %(km)s km") % {
            "branch": name,
            "day": formats.date_format(arrival, "D j b"),
            "km": round(km),
        }


def fillable(holds, today):
    """Waiting holds that may get a copy today: not paused (``suspended_until``)."""
    return holds.filter(status=Hold.Status.WAITING).filter(
        Q(suspended_until__isnull=True) | Q(suspended_until__lte=today)
    )


def _load(record_ids, *, lock, today):
    """Fillable waiting holds (queue order) and free available copies of ``record_ids``,
    grouped by record: {record_id: (holds, {item_id: item})}."""
    holds_qs = fillable(Hold.objects.filter(record_id__in=record_ids), today)
    if lock:
        holds_qs = holds_qs.select_for_update(of=("self",))
    by_record = {rid: ([], {}) for rid in record_ids}
    for hold in holds_qs.order_by("record_id", "placed_at", "id"):
        by_record[hold.record_id][0].append(hold)
    # copies captured for a hold (in transit, on the shelf) are taken; so are copies of
    # these records promised to waiting holds of another record (item-level holds that
    # survived a merge)
    taken = set(
        Hold.objects.filter(
            copy__record_id__in=record_ids,
            status__in=[Hold.Status.IN_TRANSIT, Hold.Status.READY],
        ).values_list("copy_id", flat=True)
    )
    for copy_id, hold_record, copy_record in Hold.objects.filter(
        copy__record_id__in=record_ids, status=Hold.Status.WAITING
    ).values_list("copy_id", "record_id", "copy__record_id"):
        if hold_record != copy_record:
            taken.add(copy_id)
    for item in Item.objects.filter(record_id__in=record_ids, status=Item.Status.AVAILABLE).only(
        "id", "current_location_id", "home_branch_id", "record_id", "status"
    ):
        if item.id not in taken:
            by_record[item.record_id][1][item.id] = item
    return by_record


def _plan(holds, items, ctx):
    """First come, first served: each waiting hold in turn takes its best copy among the
    copies nobody older took. Returns [(hold, item_id or None, score, facts)] changes."""
    for hold in holds:  # this record's current assignments leave the load count
        if hold.copy_id in items:
            ctx.add_pick(location_id(items[hold.copy_id]), -1)
    pool = set(items)
    changes = []
    for hold in holds:
        options = pool if not hold.item_id else pool & {hold.item_id}
        best, best_score, best_facts = None, None, None
        margin = ctx.weights(hold.pickup_branch_id).get("switch_margin", DEFAULT_SWITCH_MARGIN)
        for item_id in sorted(options):
            score, arrival, km, rel = ctx.score(location_id(items[item_id]), hold.pickup_branch_id)
            if item_id == hold.copy_id:
                score -= margin
            if best_score is None or score < best_score:
                best, best_score, best_facts = item_id, score, (arrival, km, rel)
        if best is not None:
            pool.discard(best)
            ctx.add_pick(location_id(items[best]), +1)
        if best != hold.copy_id:
            changes.append((hold, best, best_score, best_facts))
    return changes


def _apply(changes, items, ctx, *, now, by):
    """Write the changed assignments (copies cleared first: a copy may move from one
    hold to another) and one event per change."""
    if not changes:
        return 0
    Hold.objects.filter(pk__in=[h.pk for h, *_ in changes]).update(copy=None)
    events = []
    for hold, best, score, facts in changes:
        old = hold.copy_id
        hold.copy_id = best
        if best is None:
            hold.copy_reason, hold.copy_score, hold.copy_assigned_at = "", None, None
        else:
            arrival, km, rel = facts
            hold.copy_reason = reason_text(ctx, location_id(items[best]), arrival, km, rel)[:200]
            hold.copy_score = score
            hold.copy_assigned_at = now
        events.append(
            Event(
                occurred_at=now,
                kind="hold.copy_assigned" if best else "hold.copy_released",
                actor=by if getattr(by, "pk", None) and hasattr(by, "get_username") else None,
                actor_label="" if getattr(by, "pk", None) else str(by or "")[:100],
                subject_type=hold._meta.label_lower,
                subject_id=str(hold.pk),
                data={"old_item": old, "item": best, "reason": hold.copy_reason},
            )
        )
    _write_assignments([h for h, *_ in changes])
    Event.objects.bulk_create(events, batch_size=500)
    return len(changes)


def _write_assignments(holds):
    """One parameterised UPDATE per hold, sent with executemany (Django's bulk_update
    builds a CASE expression per field that costs more than the rest of the run)."""
    meta = Hold._meta
    fields = [meta.get_field(name) for name in ("copy", "copy_reason", "copy_score")]
    assigned_at = meta.get_field("copy_assigned_at")
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {sets}, "
        f"{connection.ops.quote_name(assigned_at.column)} = %s WHERE id = %s"
    )
    rows = [
        (
            hold.copy_id,
            hold.copy_reason,
            hold.copy_score,
            assigned_at.get_db_prep_save(hold.copy_assigned_at, connection),
            hold.pk,
        )
        for hold in holds
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def retarget_record(record_id, *, now=None, by=None, ctx=None):
    """(Re)assign available copies of ``record_id`` to its waiting holds. Call inside a
    transaction; locks the waiting holds. Returns the number of holds whose copy changed."""
    now = now or timezone.now()
    ctx = ctx or Context(timezone.localdate(now))
    if not Hold.objects.filter(record_id=record_id, status=Hold.Status.WAITING).exists():
        return 0
    holds, items = _load([record_id], lock=True, today=ctx.today)[record_id]
    if not holds:
        return 0
    return _apply(_plan(holds, items, ctx), items, ctx, now=now, by=by)


def records_with_waiting_holds():
    return (
        Hold.objects.filter(status=Hold.Status.WAITING)
        .values_list("record_id", flat=True)
        .order_by("record_id")
        .distinct()
    )


def retarget_all(*, now=None, by=None, progress=None, chunk=500):
    """Full re-optimisation (recovery): every record with waiting holds, ``chunk``
    records per transaction. Returns (records, holds changed)."""
    from django.db import transaction

    now = now or timezone.now()
    ctx = Context(timezone.localdate(now), bulk=True)
    record_ids = list(records_with_waiting_holds())
    changed = 0
    for start in range(0, len(record_ids), chunk):
        ids = record_ids[start : start + chunk]
        with transaction.atomic():
            changes, copies = [], {}
            for holds, items in _load(ids, lock=True, today=ctx.today).values():
                changes += _plan(holds, items, ctx)
                copies.update(items)
            changed += _apply(changes, copies, ctx, now=now, by=by)
        if progress:
            progress(len(ids))
    return len(record_ids), changed


def arrival_estimate(item, pickup_branch, *, today=None):
    """(arrival day, km, relation) for showing staff why a copy was chosen."""
    ctx = Context(today or timezone.localdate())
    _score, arrival, km, rel = ctx.score(location_id(item), pickup_branch.pk)
    return arrival, km, rel
