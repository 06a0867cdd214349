"""Writing one planned batch inside its transaction: records and tombstones, identifiers,
items, the merge log. Plain ``executemany`` through ``bulk.py`` (see
docs/decisions/catalogue-import-bulk-sql.md): the column lists here must follow the models.
"""

import json

from django.utils import timezone

from ...models import Identifier, Item, MergeLog, Record
from .. import bulk
from ..holdings import item_material
from .matching import Plan, target_id

RECORD_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "main_author",
    "publisher",
    "year",
    "language",
    "material_type",
    "audience",
    "series",
    "subjects",
    "classification",
    "sort_title",
    "match_key",
    "richness",
)


RECORD_COLUMNS = (
    "id",
    "marc",
    "marc_hash",
    "created_at",
    "updated_at",
    "deleted_at",
    "merged_into_id",
    *RECORD_FIELDS,
)
ITEM_COLUMNS = (
    "id",
    "barcode",
    "record_id",
    "owner_id",
    "home_branch_id",
    "current_location_id",
    "shelf_code",
    "call_number",
    "material_type",
    "status",
    "status_changed_at",
    "price",
    "floating",
    "date_added",
)


def record_row(pk, source, created, deleted=None, merged_into=None):
    f = source.fields
    return (
        pk,
        source.marc_text,
        source.marc_hash,
        created,
        created,
        deleted,
        merged_into,
        f["title"],
        f["subtitle"],
        json.dumps(f["authors"], ensure_ascii=False),
        f["main_author"],
        f["publisher"],
        f["year"],
        f["language"],
        f["material_type"],
        f["audience"],
        f["series"],
        json.dumps(f["subjects"], ensure_ascii=False),
        f["classification"],
        f["sort_title"],
        f["match_key"],
        f["richness"],
    )


def write_records(plan: Plan, *, now):
    """New records and tombstones, MARC replaced by a richer merged record, identifiers.
    Returns the tombstones' ids and, per replaced record, its MARC and fingerprint before."""
    pending, tombstones = plan.pending, plan.tombstones
    replaced, extra_idents = plan.replaced, plan.extra_idents
    created = bulk.adapt_datetime(now)
    ids = bulk.allocate_ids(Record, len(pending) + len(tombstones))
    for target, pk in zip(pending, ids, strict=False):
        target.pk = pk

    rows = [record_row(t.pk, t.source, created) for t in pending]
    tomb_ids = ids[len(pending) :]
    rows += [
        record_row(pk, p, created, deleted=created, merged_into=target_id(target))
        for pk, (p, target, _m) in zip(tomb_ids, tombstones, strict=True)
    ]
    bulk.insert_rows(Record, RECORD_COLUMNS, rows, json_columns=("marc", "authors", "subjects"))
    befores = {}
    if replaced:
        befores = {
            pk: (marc, marc_hash)
            for pk, marc, marc_hash in Record.objects.filter(pk__in=list(replaced)).values_list(
                "pk", "marc", "marc_hash"
            )
        }
        columns = ["marc", "marc_hash", "updated_at", *RECORD_FIELDS]
        updates = []
        for record_id, p in replaced.items():
            row = record_row(record_id, p, created)
            values = dict(zip(RECORD_COLUMNS, row, strict=True))
            updates.append((*(values[c] for c in columns), record_id))
        bulk.update_rows(Record, columns, updates, json_columns=("marc", "authors", "subjects"))
    others = set(extra_idents) - set(replaced)
    if others:
        Record.objects.filter(id__in=list(others)).update(updated_at=now)
    idents = []
    for t in pending:
        idents += [(t.pk, s, v) for s, v in t.identifiers]
    for pk, (p, _target, _merge) in zip(tomb_ids, tombstones, strict=True):
        idents += [(pk, s, v) for s, v in p.identifiers]
    for record_id, values in extra_idents.items():
        idents += [(record_id, s, v) for s, v in values]
    bulk.insert_rows(Identifier, ("record_id", "scheme", "value"), idents, ignore_conflicts=True)
    return tomb_ids, befores


def write_items(plan: Plan, *, name, now, owner, branches, report):
    """The batch's items (a barcode too long, given twice or in use elsewhere is rejected
    in ``report``). Returns the new items (row, merge info), the ids of the records that
    gained copies, and the new item ids per merge (by ``id()`` of its merge info)."""
    pending, replaced = plan.pending, plan.replaced
    extra_idents, placements = plan.extra_idents, plan.placements
    created = bulk.adapt_datetime(now)
    barcodes = [h.barcode for p, _t, _m in placements for h in p.items]
    existing = {}
    if barcodes:
        existing = {
            b: (r, o)
            for b, r, o in Item.objects.filter(barcode__in=barcodes).values_list(
                "barcode", "record_id", "owner_id"
            )
        }
    seen = set()
    new_items = []  # (row without id, merge)
    touched = set()
    today = bulk.adapt_date(timezone.localdate(now))
    for p, target, merge in placements:
        record_id = target_id(target)
        for h in p.items:
            if len(h.barcode) > 32:
                report.reject_item(
                    name, p.number, h.barcode[:40], "barcode longer than 32 characters"
                )
                continue
            if h.barcode in seen:
                report.reject_item(
                    name, p.number, h.barcode, "barcode appears twice in this import"
                )
                continue
            seen.add(h.barcode)
            if h.barcode in existing:
                other_record, other_owner = existing[h.barcode]
                if other_record == record_id and other_owner == owner:
                    report.items_present += 1
                else:
                    report.reject_item(
                        name,
                        p.number,
                        h.barcode,
                        f"barcode already in use (record {other_record})",
                    )
                continue
            branch = branches.resolve(h.branch).pk
            new_items.append(
                (
                    (
                        h.barcode,
                        record_id,
                        owner,
                        branch,
                        branch,
                        h.shelf[:64],
                        h.call[:100],
                        item_material(h.type, p.fields["material_type"]),
                        h.status,
                        created,
                        bulk.adapt_decimal(h.price),
                        False,
                        today,
                    ),
                    merge,
                )
            )
            touched.add(record_id)
    item_ids = bulk.allocate_ids(Item, len(new_items))
    bulk.insert_rows(
        Item,
        ITEM_COLUMNS,
        [(pk, *row) for pk, (row, _m) in zip(item_ids, new_items, strict=True)],
    )
    report.items_added += len(new_items)
    # Records that gained copies changed for harvesters (OAI-PMH datestamps).
    gained = touched - {t.pk for t in pending} - set(replaced) - set(extra_idents)
    if gained:
        Record.objects.filter(id__in=list(gained)).update(updated_at=now)
    moved = {}
    for pk, (_row, merge) in zip(item_ids, new_items, strict=True):
        if merge is not None:
            moved.setdefault(id(merge), []).append(pk)
    return new_items, touched, moved


def write_merge_log(plan: Plan, tomb_ids, befores, moved, *, now, by):
    """One MergeLog per tombstone, with what is needed to undo the merge."""
    tombstones = plan.tombstones
    logs = []
    for pk, (_p, target, merge) in zip(tomb_ids, tombstones, strict=True):
        before, hash_before = merge["before"], merge["hash_before"]
        if before == "load":
            before, hash_before = befores.get(target_id(target), (None, ""))
        logs.append(
            MergeLog(
                survivor_id=target_id(target),
                merged_id=pk,
                matched_on=merge["matched_on"],
                match_value=merge["match_value"],
                survivor_marc_before=before,
                survivor_hash_before=hash_before or "",
                moved_item_ids=moved.get(id(merge), []),
                merged_at=now,
                merged_by=by_label(by),
            )
        )
    if logs:
        MergeLog.objects.bulk_create(logs, batch_size=500)


def by_label(by):
    if by is None:
        return ""
    return (getattr(by, "get_username", None) and by.get_username()) or str(by)[:100]
