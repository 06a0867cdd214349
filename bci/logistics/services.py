"""Transit writes. Callers (circulation) move the item's status themselves through
catalogue.services.change_item_status; a transit records the movement."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from bci.core.events import record_event

from .errors import InvalidTransit, TransitAlreadyOpen, TransitNotOpen, WrongDestination
from .models import Transit

STREAM_OF_REASON = {
    Transit.Reason.NEW_STOCK: Transit.Funding.SUPPLIER,
    Transit.Reason.ROTATION: Transit.Funding.ROTATION,
}


def funding_for(from_node, to_node, reason=None):
    """New stock is the supplier's delivery and a rotating collection its own stream;
    otherwise, inside one organisation's area transport is paid, between libraries IBL."""
    if reason in STREAM_OF_REASON:
        return STREAM_OF_REASON[reason]
    org_from, org_to = from_node.organisation, to_node.organisation
    if org_from is not None and org_to is not None and org_from.pk == org_to.pk:
        return Transit.Funding.PAID
    return Transit.Funding.IBL


def open_transit(item, *, lock=False):
    qs = Transit.objects.filter(item=item, status__in=Transit.OPEN_STATUSES)
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.select_related("to_node", "from_node").first()


@transaction.atomic
def create_transit(*, item, from_node, to_node, reason, reference="", by=None, now=None):
    now = now or timezone.now()
    if from_node is None or to_node is None or from_node.pk == to_node.pk:
        raise InvalidTransit()
    if reason not in Transit.Reason.values:
        raise InvalidTransit(message=f"unknown reason {reason!r}")
    existing = open_transit(item)
    if existing is not None:
        raise TransitAlreadyOpen(barcode=item.barcode, to=str(existing.to_node))
    try:
        with transaction.atomic():
            transit = Transit.objects.create(
                item=item,
                from_node=from_node,
                to_node=to_node,
                reason=reason,
                funding=funding_for(from_node, to_node, reason),
                reference=reference[:64],
                created_at=now,
            )
    except IntegrityError as exc:  # a concurrent transit won
        raise TransitAlreadyOpen(barcode=item.barcode, to=str(to_node)) from exc
    record_event(
        "transit.created",
        subject=transit,
        by=by,
        where=from_node,
        now=now,
        barcode=item.barcode,
        to=to_node.code,
        reason=reason,
        funding=transit.funding,
    )
    return transit


def _move(transit, to_status, *, by, now, where, **fields):
    transit = Transit.objects.select_for_update(of=("self",)).get(pk=transit.pk)
    if not Transit.can_transition(transit.status, to_status):
        raise TransitNotOpen(status=transit.get_status_display())
    transit.status = to_status
    for key, value in fields.items():
        setattr(transit, key, value)
    transit.save()
    record_event(
        f"transit.{to_status}",
        subject=transit,
        by=by,
        where=where,
        now=now,
        barcode=transit.item.barcode,
    )
    return transit


@transaction.atomic
def dispatch_transit(*, transit, by=None, now=None):
    now = now or timezone.now()
    return _move(
        transit,
        Transit.Status.DISPATCHED,
        by=by,
        now=now,
        where=transit.from_node,
        dispatched_at=now,
    )


@transaction.atomic
def receive_transit(*, transit, at, by=None, now=None):
    """Complete ``transit`` at its destination ``at``; anywhere else is refused."""
    now = now or timezone.now()
    if at.pk != transit.to_node_id:
        raise WrongDestination(to=str(transit.to_node), at=str(at))
    return _move(transit, Transit.Status.RECEIVED, by=by, now=now, where=at, received_at=now)


@transaction.atomic
def cancel_transit(*, transit, reason="", by=None, now=None):
    now = now or timezone.now()
    return _move(
        transit,
        Transit.Status.CANCELLED,
        by=by,
        now=now,
        where=transit.from_node,
        cancelled_at=now,
        note=(reason or "")[:200],
    )
