"""Records by id for the public catalogue: search hits still live, merged records
followed to their survivor, URL slugs."""

from __future__ import annotations

from django.utils.text import slugify

from bci.catalogue.models import Record


def record_slug(record):
    return slugify(record.title or "")[:60].strip("-") or "record"


def live_records(record_ids):
    """The records for ``record_ids`` (search hits), in the same order, skipping records
    deleted or merged since the index saw them. One query."""
    ids = [int(i) for i in record_ids]
    found = Record.objects.filter(pk__in=ids, deleted_at__isnull=True).defer("marc")
    by_id = {r.pk: r for r in found}
    return [by_id[i] for i in ids if i in by_id]


def resolve_record(record_id):
    """(record, survivor): the record itself, and where a merged record now lives.

    Returns (None, None) when there is no such record. ``survivor`` is the record to send
    the reader to when ``record`` was merged (following a chain of merges), else None.
    """
    record = Record.objects.filter(pk=record_id).first()
    if record is None:
        return None, None
    survivor = None
    seen = {record.pk}
    current = record
    while current.merged_into_id and current.merged_into_id not in seen:
        seen.add(current.merged_into_id)
        nxt = Record.objects.filter(pk=current.merged_into_id).first()
        if nxt is None:
            break
        current = nxt
        if not current.is_deleted:
            survivor = current
            break
    return record, survivor
