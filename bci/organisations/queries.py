"""Reads over the network tree: nearest-ancestor resolution and the opening calendar."""

import datetime as dt

from django.utils import timezone

from .models import Closure, Node, NodeSetting, OpeningHours

_MISSING = object()


def nearest_ancestor_first(node, queryset, *, node_field="node"):
    """Rows of ``queryset`` attached to ``node`` or its ancestors, nearest first.

    The one mechanism behind every "nearest ancestor wins" rule: settings here, loan rules
    in circulation (filter the queryset to the rule's other keys, take the first row).
    """
    ids = node.ancestor_ids()
    rows = list(queryset.filter(**{f"{node_field}__in": ids}).select_related(node_field))
    return sorted(rows, key=lambda row: -getattr(row, node_field).depth)


def resolve_setting(node, key, default=_MISSING):
    """The value of ``key`` on the nearest node from ``node`` up to the network."""
    rows = nearest_ancestor_first(node, NodeSetting.objects.filter(key=key))
    if rows:
        return rows[0].value
    if default is _MISSING:
        raise KeyError(f"setting {key!r} is not set on {node.code} or any ancestor")
    return default


# --- calendar ---------------------------------------------------------------------------


def closures_on(node, day):
    """Closures that close ``node`` on ``day`` (its own and its ancestors')."""
    return Closure.objects.filter(
        node_id__in=node.ancestor_ids(), start_date__lte=day, end_date__gte=day
    )


def hours_on(node, day):
    """Opening periods of ``node`` on ``day`` as [(opens, closes)], [] when closed."""
    if closures_on(node, day).exists():
        return []
    return list(
        OpeningHours.objects.filter(node=node, weekday=day.weekday())
        .order_by("opens")
        .values_list("opens", "closes")
    )


def is_open(node, at):
    """Is ``node`` open at the aware datetime ``at``?"""
    local = timezone.localtime(at)
    moment = local.time()
    return any(opens <= moment < closes for opens, closes in hours_on(node, local.date()))


def open_weekdays(node):
    return set(OpeningHours.objects.filter(node=node).values_list("weekday", flat=True))


def next_open_day(node, after, *, include_start=False, horizon_days=366):
    """The first day after ``after`` (or on it, with include_start) that ``node`` is open.

    Returns None when the node has no opening hours within the horizon.
    """
    weekdays = open_weekdays(node)
    if not weekdays:
        return None
    closures = list(
        Closure.objects.filter(
            node_id__in=node.ancestor_ids(),
            end_date__gte=after,
            start_date__lte=after + dt.timedelta(days=horizon_days),
        ).values_list("start_date", "end_date")
    )
    day = after if include_start else after + dt.timedelta(days=1)
    for _ in range(horizon_days):
        if day.weekday() in weekdays and not any(s <= day <= e for s, e in closures):
            return day
        day += dt.timedelta(days=1)
    return None


def weekly_hours(node):
    """{weekday: [(opens, closes), ...]} for the whole week."""
    week = {d: [] for d in range(7)}
    for row in OpeningHours.objects.filter(node=node).order_by("weekday", "opens"):
        week[row.weekday].append((row.opens, row.closes))
    return week


def network_root():
    return Node.objects.filter(kind=Node.Kind.NETWORK).first()
