"""Writes to the catalogue. Every status change of an item goes through here."""

from django.db import transaction
from django.utils import timezone

from bci.core.events import record_event

from .errors import InvalidStatusTransition
from .models import IndexQueue, Item, Record


def enqueue_reindex(*record_ids):
    """Queue records for the search indexer, in the caller's transaction."""
    from .marc import bulk

    now = bulk.adapt_datetime(timezone.now())
    bulk.insert_rows(
        IndexQueue, ("record_id", "enqueued_at"), [(rid, now) for rid in set(record_ids)]
    )


def change_item_status(*, item, to, by=None, where=None, reason="", now=None, location=None):
    """Move ``item`` to status ``to`` following Item.TRANSITIONS; record it; reindex.

    ``location`` (a Node), when given, becomes the item's current location. A refusal is
    raised before anything is written, so the writes join the caller's transaction
    without a savepoint of their own (two round trips less on every check-out).
    """
    old = item.status
    if not Item.can_transition(old, to):
        raise InvalidStatusTransition(old=Item.Status(old).label, new=Item.Status(to).label)
    with transaction.atomic(savepoint=False):
        return _write_status(item, old, to, by, where, reason, now, location)


def _write_status(item, old, to, by, where, reason, now, location):
    now = now or timezone.now()
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
    if Item.Status.WITHDRAWN in (old, to):
        # The record's holdings changed (a copy left or rejoined the collection): harvesters
        # that ask for changes since a date (OAI-PMH from=) must see the record again.
        Record.objects.filter(pk=item.record_id).update(updated_at=now)
    enqueue_reindex(item.record_id)
    return item


# --- MARC import, merges ------------------------------------------------------------------


def import_marc_file(
    *,
    paths,
    library,
    fmt="auto",
    items="auto",
    branch_map=None,
    default_branch=None,
    dry_run=False,
    batch_size=500,
    by=None,
    progress=None,
    workers=1,
    enqueue=True,
):
    """Import MARC files (ISO 2709 or MARCXML) into the shared catalogue for ``library``
    (an organisation Node). Returns an ImportReport (``.as_dict()`` for JSON).

    Not one transaction: each batch of ``batch_size`` records is atomic (records, merges,
    items, reindex queue, ImportRun progress together), so an interrupted import resumes
    at the first uncommitted batch. ``dry_run`` runs everything and rolls it all back.
    ``branch_map``: {holdings branch code: Node code}; unmapped codes go to
    ``default_branch`` or the organisation's main branch. ``progress(records=, offset=)``
    is called after each batch. ``workers`` > 1 parses and prepares ISO 2709 records in
    that many processes while this one writes. ``enqueue=False`` leaves the search queue
    alone (bulk seeding that rebuilds the index afterwards). Raises NotMarcFile or
    ImportOptionsInvalid.
    """
    from .errors import ImportOptionsInvalid, NotMarcFile
    from .marc.branches import ImportSetupError
    from .marc.holdings import ItemsSpecError
    from .marc.importer.pipeline import run_import
    from .marc.reading.records import NotMarcError

    try:
        return run_import(
            [str(p) for p in paths],
            library=library,
            dry_run=dry_run,
            fmt=fmt,
            items=items,
            branch_map=branch_map,
            default_branch=default_branch,
            batch_size=batch_size,
            by=by,
            progress=progress,
            workers=workers,
            enqueue=enqueue,
        )
    except NotMarcError as exc:
        raise NotMarcFile(file=getattr(exc, "file", "the file"), reason=str(exc)) from None
    except (ImportSetupError, ItemsSpecError) as exc:
        raise ImportOptionsInvalid(reason=str(exc)) from None


def refresh_record(record, *, now=None):
    """Re-extract ``record``'s fields and identifiers from its MARC (after an edit or an
    undone merge). Identifiers of records merged into it are kept."""
    from .marc.export import record_from_dict
    from .marc.extract import extract
    from .models import Identifier

    shelf = list(record.items.exclude(shelf_code="").values_list("shelf_code", flat=True)[:20])
    fields = extract(record_from_dict(record.marc), shelf_codes=shelf)
    identifiers = fields.pop("identifiers")
    for name, value in fields.items():
        setattr(record, name, value)
    record.updated_at = now or timezone.now()
    record.save()
    merged = Identifier.objects.filter(
        record__merged_into=record, record__deleted_at__isnull=False
    ).values_list("scheme", "value")
    keep = identifiers | set(merged)
    current = set(record.identifiers.values_list("scheme", "value"))
    for scheme, value in current - keep:
        record.identifiers.filter(scheme=scheme, value=value).delete()
    Identifier.objects.bulk_create(
        [Identifier(record=record, scheme=s, value=v) for s, v in keep - current]
    )
    # A live record never points at a survivor.
    if record.merged_into_id and record.deleted_at is None:
        Record.objects.filter(pk=record.pk).update(merged_into=None)
    return record


@transaction.atomic
def undo_merge(*, merge, by=None, now=None):
    """Split a merged record off its survivor again: the merged record comes back to
    life with the items the merge moved, and the survivor gets its former MARC back when
    the merge had replaced it (and nothing replaced it since)."""
    import hashlib
    import json

    from .errors import MergeAlreadyUndone
    from .models import MergeLog

    now = now or timezone.now()
    merge = MergeLog.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise MergeAlreadyUndone(merge_id=merge.pk)
    survivor = Record.objects.select_for_update().get(pk=merge.survivor_id)
    merged = Record.objects.select_for_update().get(pk=merge.merged_id)
    moved = list(Item.objects.filter(pk__in=merge.moved_item_ids, record=survivor))
    for item in moved:  # one by one: whoever follows items (holds) hears of the move
        item.record = merged
        item.save(update_fields=["record"])
    merged.deleted_at = None
    merged.merged_into = None
    merged.updated_at = now
    merged.save(update_fields=["deleted_at", "merged_into", "updated_at"])
    if merge.survivor_marc_before and survivor.marc_hash == merged.marc_hash:
        survivor.marc = merge.survivor_marc_before
        text = json.dumps(survivor.marc, ensure_ascii=False, separators=(",", ":"))
        survivor.marc_hash = hashlib.sha1(text.encode("utf-8")).hexdigest()
    refresh_record(survivor, now=now)
    refresh_record(merged, now=now)
    merge.undone_at = now
    merge.save(update_fields=["undone_at"])
    record_event(
        "record.merge_undone",
        subject=survivor,
        by=by,
        now=now,
        merge_id=merge.pk,
        restored_record=merged.pk,
        items_moved=len(moved),
    )
    enqueue_reindex(survivor.pk, merged.pk)
    return merge
