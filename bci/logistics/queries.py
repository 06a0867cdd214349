"""Reads: a transit's scan history, a crate's manifest, overdue transits."""

import datetime as dt

from django.utils import timezone

from bci.core.models import Event
from bci.organisations.queries import network_root, resolve_setting

from .models import Crate, Transit

LEAD_DAYS = 3  # target lead time in days when no ``transit_lead_days`` setting says otherwise


def transit_history(transit):
    """Every step of ``transit`` in order: [{"kind", "at", "where", "by", "crate"}]."""
    rows = Event.objects.filter(
        subject_type=Transit._meta.label_lower, subject_id=str(transit.pk)
    ).select_related("actor")
    return [_step(e) for e in rows]


def _step(event):
    return {
        "kind": event.kind,
        "at": event.occurred_at,
        "where": event.location_code,
        "by": event.actor.get_username() if event.actor else event.actor_label,
        "crate": event.data.get("crate", ""),
    }


def hold_shelf_steps(transit):
    """For a hold's transit (reference ``hold:<id>``): the hold's arrivals on the pick-up
    shelf with this transit's item after it left, so a transit page ends where the patron's
    copy does. Read from the event log; logistics does not import circulation."""
    kind, _sep, hold_id = transit.reference.partition(":")
    if transit.reason != Transit.Reason.HOLD or kind != "hold" or not hold_id.isdigit():
        return []
    rows = Event.objects.filter(
        kind="hold.ready",
        subject_type="circulation.hold",
        subject_id=hold_id,
        occurred_at__gte=transit.created_at,
        data__item=transit.item.barcode,
    ).select_related("actor")
    return [_step(e) for e in rows]


def crate_manifest(crate):
    """The open transits in ``crate`` with their items, for the packing slip."""
    return list(
        Transit.objects.filter(crate=crate, status__in=Transit.OPEN_STATUSES)
        .select_related("item__record", "to_node", "from_node")
        .order_by("to_node__code", "item__barcode")
    )


def crate_by_barcode(barcode):
    return (
        Crate.objects.select_related("destination", "location", "home")
        .filter(barcode=(barcode or "").strip())
        .first()
    )


def lead_days():
    root = network_root()
    value = resolve_setting(root, "transit_lead_days", LEAD_DAYS) if root else LEAD_DAYS
    return value if isinstance(value, int) and value > 0 else LEAD_DAYS


def overdue_transits(*, now=None, days=None, nodes=None):
    """Open transits older than the target lead time, oldest first."""
    now = now or timezone.now()
    limit = now - dt.timedelta(days=days or lead_days())
    qs = Transit.objects.filter(status__in=Transit.OPEN_STATUSES, created_at__lt=limit)
    if nodes is not None:
        qs = qs.filter(to_node__in=nodes)
    return qs.select_related("item", "from_node", "to_node", "crate").order_by("created_at")
