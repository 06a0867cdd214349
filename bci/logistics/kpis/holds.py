"""Hold lead time: from the copy being found to the hold on the pick-up shelf.

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
  ``ibl_in``) gets ``hold_lead_national_extra_days`` more (default 2). A value that is
  not a whole number of days (0 or more) counts as the default.
- *Percentiles*: the median is the middle value (mean of the two middle ones); p90 is the
  nearest rank, the ceil(0.9 n)-th smallest value, so it is always an observed value.
"""

import datetime as dt
from collections import defaultdict

from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from bci.core.models import Event
from bci.organisations.models import Closure, NodeSetting

from ..models import Transit
from .common import Tree, bounds, hours_of, in_scope, median, p90, positive_int, rounded

TARGET_KEY = "hold_lead_target_days"
NATIONAL_EXTRA_KEY = "hold_lead_national_extra_days"
TARGET_DAYS = 2
NATIONAL_EXTRA_DAYS = 2
LOOKBACK = dt.timedelta(days=14)  # how long before reaching the shelf a transit is looked for


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
    rows = in_scope(qs, "to_node", nodes).values_list(
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
        "within_target_pct": rounded(100 * within / len(samples)) if samples else None,
        "median_days": median(days),
        "p90_days": p90(days),
        "median_hours": rounded(median(hours)),
        "p90_hours": rounded(p90(hours)),
        "targets": sorted({s["target"] for s in samples}),
    }


def hold_lead_times(start, end, *, nodes=None, tree=None):
    """Per organisation of the pick-up branch: lead time from copy found to on the shelf."""
    tree = tree or Tree()
    first, after = bounds(start, end)
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
        target = positive_int(tree.resolve(branch, settings[TARGET_KEY], TARGET_DAYS), TARGET_DAYS)
        extra = tree.resolve(branch, settings[NATIONAL_EXTRA_KEY], NATIONAL_EXTRA_DAYS)
        targets[branch, False] = target
        targets[branch, True] = target + positive_int(extra, NATIONAL_EXTRA_DAYS)
    days_between = {}  # (branch, found day, ready day) -> working days: computed once
    per_org = defaultdict(list)
    for branch, found, ready, reason in matched:
        span = (branch, found.astimezone(zone).date(), ready.astimezone(zone).date())
        if span not in days_between:
            days_between[span] = working_days_after(span[1], span[2], closed[branch])
        sample = {
            "days": days_between[span],
            "hours": hours_of(ready - found),
            "target": targets[branch, reason == Transit.Reason.IBL_IN],
        }
        per_org[tree.org_key(branch)].append(sample)
    keys = sorted(set(per_org) | set(local))
    rows = [_lead_summary(per_org[k], local[k], *k) for k in keys]
    everything = [s for k in keys for s in per_org[k]]
    return {"rows": rows, "total": _lead_summary(everything, sum(local.values()), "", "")}
