"""Writes to the catalogue. Every status change of an item goes through here."""

from django.db import transaction
from django.utils import timezone

from bci.core.events import record_event

from .errors import InvalidStatusTransition
from .models import IndexQueue, Item


def enqueue_reindex(*record_ids):
    """Queue records for the search indexer, in the caller's transaction."""
    IndexQueue.objects.bulk_create([IndexQueue(record_id=rid) for rid in set(record_ids)])


@transaction.atomic
def change_item_status(*, item, to, by=None, where=None, reason="", now=None, location=None):
    """Move ``item`` to status ``to`` following Item.TRANSITIONS; record it; reindex.

    ``location`` (a Node), when given, becomes the item's current location.
    """
    now = now or timezone.now()
    old = item.status
    if not Item.can_transition(old, to):
        raise InvalidStatusTransition(old=Item.Status(old).label, new=Item.Status(to).label)
    item.status = to
    item.status_changed_at = now
    fields = ["status", "status_changed_at"]
    if location is not None:
        item.current_location = location
        fields.append("current_location")
    item.save(update_fields=fields)
    record_event(
        "item.status_changed",
        subject=item,
        by=by,
        where=where,
        now=now,
        old=old,
        new=to,
        reason=reason,
        barcode=item.barcode,
    )
    enqueue_reindex(item.record_id)
    return item
