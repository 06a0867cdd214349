"""Item status changes made outside circulation (catalogue edits, logistics, imports that
save items one by one) reach the targeter here, in the same transaction.

Circulation's own services move item statuses inside ``circulation_owns_status()`` and
keep holds in step themselves; this receiver handles every other door: a copy that becomes
missing, lost or withdrawn gives its holds back to the queue, and any status change of a
title with waiting holds re-runs the targeter for that title.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_owned = ContextVar("circulation_owns_status", default=False)


@contextmanager
def circulation_owns_status():
    token = _owned.set(True)
    try:
        yield
    finally:
        _owned.reset(token)


GONE = ("missing", "lost", "withdrawn")


def item_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or created or _owned.get():
        return
    moved = update_fields is not None and "record" in update_fields
    if update_fields is not None and "status" not in update_fields and not moved:
        return
    from django.utils import timezone

    from . import targeting
    from .models import Hold
    from .services.common import release_item_holds

    now = timezone.now()
    if moved:  # the copy now belongs to another title (a merge undone): its holds let go
        stale = Hold.objects.filter(copy=instance, status__in=Hold.ACTIVE_STATUSES).exclude(
            record_id=instance.record_id
        )
        titles = set(stale.values_list("record_id", flat=True))
        if titles:
            release_item_holds(instance, by="item moved to another title", now=now, reason="moved")
            for record_id in titles:
                targeting.retarget_record(record_id, now=now, by="item moved to another title")
    if (
        instance.status in GONE
        and Hold.objects.filter(copy=instance, status__in=Hold.ACTIVE_STATUSES).exists()
    ):
        release_item_holds(instance, by="item status change", now=now, reason=instance.status)
    if Hold.objects.filter(record_id=instance.record_id, status=Hold.Status.WAITING).exists():
        targeting.retarget_record(instance.record_id, now=now, by="item status change")
