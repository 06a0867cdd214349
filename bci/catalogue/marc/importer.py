"""The MARC import pipeline behind ``services.import_marc_file``.

Records stream from the reader in batches (500 by default); each batch is one atomic
transaction: match, create or merge, add items, queue reindexing, advance the ImportRun.
A batch that fails in the database is replayed record by record so that only the bad
record is rejected.

Matching order: content fingerprint (the same bibliographic record imported before: no
change), then PPN, ISBN/ISSN, 035 system and NBD numbers, then the normalised
title/author/year/material key. On a match the incoming record becomes a tombstone merged
into the existing one (so the merge can be undone), its identifiers are added to the
survivor, its items attach to the survivor, and the survivor takes the incoming MARC when
that is richer.
"""

import gc
import hashlib
import json
import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone
from pymarc import Leader

from bci.core.events import record_event
from bci.organisations.models import Node

from ..models import Identifier, ImportRun, Item, MergeLog, Record
from . import bulk
from .branches import BranchResolver, ImportSetupError, sha256_of
from .extract import extract
from .holdings import holdings, item_material, parse_items_spec
from .identifiers import is_shared_system_number
from .reading import NotMarcError, _parse_iso, open_records, sniff_path
from .report import ImportReport

MATCH_ORDER = (("ppn",), ("isbn", "issn"), ("system", "nbd"))
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


@dataclass
class _Incoming:
    number: int
    offset: int
    marc_text: str
    fields: dict
    identifiers: set
    items: list
    marc_hash: str

    def marc_dict(self):
        return json.loads(self.marc_text)


class _Pending:
    """A record to create in this batch: the incoming record it was made from (replaced
    by a richer one merged into it in the same batch) and the identifiers it collects."""

    __slots__ = ("source", "identifiers", "pk")

    def __init__(self, source):
        self.source = source
        self.identifiers = set(source.identifiers)
        self.pk = None


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


def _record_row(pk, source, created, deleted=None, merged_into=None):
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


class Importer:
    def __init__(
        self,
        *,
        library,
        items="auto",
        branch_map=None,
        default_branch=None,
        batch_size=500,
        by=None,
        progress=None,
        report=None,
        fmt="auto",
        enqueue=True,
        workers=1,
    ):
        if library.kind != Node.Kind.ORGANISATION:
            raise ImportSetupError(f"{library.code} is not a library organisation")
        self.library = library
        self.presets = parse_items_spec(items)
        self.branches = BranchResolver(library, branch_map, default_branch)
        self.batch_size = batch_size
        self.by = by
        self.progress = progress
        self.fmt = fmt
        self.enqueue = enqueue
        self.workers = max(1, int(workers or 1))
        self.pool = None
        self.report = report or ImportReport()

    # --- files ------------------------------------------------------------------------
    def import_file(self, path, *, dry_run=False):
        path = Path(path)
        digest = sha256_of(path)
        name = str(path)
        self.report.files.append(name)
        run = None
        skip = 0
        if not dry_run:
            run = (
                ImportRun.objects.filter(
                    file_sha256=digest, library=self.library, finished_at__isnull=True
                )
                .order_by("-started_at")
                .first()
            )
            if run is not None and run.records_done:
                skip = run.records_done
                self.report.resumed_from[name] = skip
        try:
            parallel = self.workers > 1 and sniff_path(path) == "iso2709"
            records = open_records(path, self.fmt, skip=skip, parse=not parallel)
            first = next(records, None)  # NotMarcError surfaces before anything is written
        except NotMarcError as exc:
            exc.file = name
            raise
        if run is None and not dry_run:
            run = ImportRun.objects.create(
                file_name=name[-500:], file_sha256=digest, library=self.library
            )
        done = skip
        raws = _chain([first] if first is not None else [], records)
        for outcomes, last in self._prepared_batches(raws):
            done = self._run_batch(name, outcomes, last, run)
        if run is not None:
            run.finished_at = timezone.now()
            run.records_done = done
            run.summary = {
                k: v for k, v in self.report.as_dict().items() if not isinstance(v, list)
            }
            run.save(update_fields=["finished_at", "records_done", "summary"])
        return self.report

    def import_prepared(self, name, outcomes, last):
        """Write one batch prepared elsewhere (``prepare_batch`` or
        ``synth.prepared_batch``) outside any ImportRun: the demo seed's path."""
        if name not in self.report.files:
            self.report.files.append(name)
        return self._run_batch(name, outcomes, last, None)

    def _prepared_batches(self, raws):
        """(outcomes, last RawRecord) per batch; parsing and preparing run in ``workers``
        processes when the records come unparsed, with a bounded number of batches in
        flight so memory stays constant."""
        batches = _batched(raws, self.batch_size)
        if self.pool is None:
            for batch in batches:
                yield prepare_batch(batch, self.presets), batch[-1]
            return
        window = deque()
        for batch in batches:
            window.append((self.pool.submit(prepare_batch, batch, self.presets), batch[-1]))
            if len(window) > 2 * self.workers:
                future, last = window.popleft()
                yield future.result(), last
        while window:
            future, last = window.popleft()
            yield future.result(), last

    def _run_batch(self, name, outcomes, last, run):
        prepared = []
        for outcome in outcomes:
            self.report.read += 1
            if outcome[0] == "rejected":
                self.report.reject(name, *outcome[1:])
                continue
            incoming, warning = outcome[1], outcome[2]
            if warning:
                self.report.warn(name, incoming.number, incoming.offset, warning)
            prepared.append(incoming)
        saved = self.report._counts()
        try:
            with transaction.atomic():
                self._write(name, prepared)
                self._advance(run, last.number)
        except DatabaseError:
            # Undo the counts of the failed attempt, then isolate the bad record(s).
            self._restore_counts(saved)
            for one in prepared:
                before = self.report._counts()
                try:
                    with transaction.atomic():
                        self._write(name, [one])
                except DatabaseError as exc:
                    self._restore_counts(before)
                    self.report.reject(
                        name, one.number, one.offset, f"database refused the record: {exc}"
                    )
            with transaction.atomic():
                self._advance(run, last.number)
        if self.progress:
            self.progress(records=len(outcomes), offset=last.offset)
        return last.number

    def _restore_counts(self, saved):
        (
            self.report.created,
            self.report.merged,
            self.report.unchanged,
            self.report.items_added,
            self.report.items_present,
            nrej,
            self.report.rejected_count,
            nirej,
            self.report.items_rejected_count,
        ) = saved
        del self.report.rejected[nrej:]
        del self.report.items_rejected[nirej:]

    def _advance(self, run, number):
        if run is not None:
            ImportRun.objects.filter(pk=run.pk).update(records_done=number)

    # --- one batch in one transaction -------------------------------------------------
    def _write(self, name, batch):
        now = timezone.now()
        report = self.report
        if not batch:
            return
        # 1. what the database already knows, in four plain queries (see bulk.py)
        hashes = list({p.marc_hash for p in batch})
        by_hash = {}
        record_table = bulk.table(Record)
        for h, rid, deleted, into in bulk.select_in(
            f"SELECT marc_hash, id, deleted_at, merged_into_id FROM {record_table} "
            "WHERE marc_hash IN ({})",
            hashes,
        ):
            target = rid if deleted is None else into
            if target is not None:
                by_hash.setdefault(h, target)
        for h, rid in bulk.select_in(
            f"SELECT survivor_hash_before, survivor_id FROM {bulk.table(MergeLog)} "
            "WHERE undone_at IS NULL AND survivor_hash_before IN ({})",
            hashes,
        ):
            by_hash.setdefault(h, rid)
        wanted = {}
        for p in batch:
            for scheme, value in p.identifiers:
                wanted.setdefault(scheme, set()).add(value)
        by_ident = {}
        select = (
            f"SELECT i.value, i.record_id FROM {bulk.table(Identifier)} i "
            f"JOIN {record_table} r ON r.id = i.record_id "
            "WHERE r.deleted_at IS NULL AND i.scheme = %s {} AND i.value IN ({{}}) "
            "ORDER BY i.record_id"
        )
        own_holdings = (
            f"AND EXISTS (SELECT 1 FROM {bulk.table(Item)} it "
            "WHERE it.record_id = r.id AND it.owner_id = %s)"
        )
        for scheme, values in wanted.items():
            queries = [(select.format(""), [scheme], list(values))]
            if scheme == "system":
                # An OCLC number names one title worldwide; any other 035 number is local
                # to a library system (two libraries on the same vendor system share the
                # number space), so it only matches records this library already holds.
                shared = [v for v in values if is_shared_system_number(v)]
                local = [v for v in values if not is_shared_system_number(v)]
                queries = [
                    (select.format(""), [scheme], shared),
                    (select.format(own_holdings), [scheme, self.library.pk], local),
                ]
            for sql, prefix, chunk in queries:
                for value, rid in bulk.select_in(sql, chunk, prefix=prefix) if chunk else ():
                    by_ident.setdefault((scheme, value), rid)
        keys = list({p.fields["match_key"] for p in batch if p.fields["match_key"]})
        by_key = {}
        for key, rid in bulk.select_in(
            f"SELECT match_key, id FROM {record_table} "
            "WHERE deleted_at IS NULL AND match_key IN ({}) ORDER BY id",
            keys,
        ):
            by_key.setdefault(key, rid)
        candidate_ids = set(by_ident.values()) | set(by_key.values())
        richness = (
            dict(Record.objects.filter(id__in=candidate_ids).values_list("id", "richness"))
            if candidate_ids
            else {}
        )

        # 2. decide, record by record; targets are DB ids or _Pending objects
        pending = []
        tombstones = []  # (incoming, survivor target, merge info)
        replaced = {}  # existing id -> _Incoming that replaces its MARC
        extra_idents = {}  # existing id -> identifiers to add
        placements = []  # (_Incoming, target, merge info or None)
        for p in batch:
            target = by_hash.get(p.marc_hash)
            if target is not None:
                report.unchanged += 1
                placements.append((p, target, None))
                continue
            matched_on = match_value = None
            for schemes in MATCH_ORDER:
                for scheme, value in sorted(p.identifiers):
                    if scheme in schemes and (scheme, value) in by_ident:
                        target = by_ident[(scheme, value)]
                        matched_on, match_value = scheme, value
                        break
                if target is not None:
                    break
            key = p.fields["match_key"]
            if target is None and key and key in by_key:
                target = by_key[key]
                matched_on, match_value = "match_key", key
            merge = None
            if target is None:
                target = _Pending(p)
                pending.append(target)
                report.created += 1
            else:
                report.merged += 1
                merge = {
                    "matched_on": matched_on,
                    "match_value": match_value[:200],
                    "before": None,
                    "hash_before": "",
                }
                pending_target = isinstance(target, _Pending)
                current = (
                    target.source.fields["richness"] if pending_target else richness.get(target, 0)
                )
                if p.fields["richness"] > current:
                    if pending_target:
                        merge["before"] = target.source.marc_dict()
                        merge["hash_before"] = target.source.marc_hash
                        target.source = p
                    else:
                        merge["before"] = "load"
                        replaced[target] = p
                        richness[target] = p.fields["richness"]
                if pending_target:
                    target.identifiers |= p.identifiers
                else:
                    extra_idents.setdefault(target, set()).update(p.identifiers)
                tombstones.append((p, target, merge))
            placements.append((p, target, merge))
            by_hash[p.marc_hash] = target
            for ident in p.identifiers:
                by_ident.setdefault(ident, target)
            if key:
                by_key.setdefault(key, target)

        # 3. write records (plain executemany: see bulk.py)
        created = bulk.adapt_datetime(now)
        ids = bulk.allocate_ids(Record, len(pending) + len(tombstones))
        for target, pk in zip(pending, ids, strict=False):
            target.pk = pk

        def rid(target):
            return target.pk if isinstance(target, _Pending) else target

        rows = [_record_row(t.pk, t.source, created) for t in pending]
        tomb_ids = ids[len(pending) :]
        rows += [
            _record_row(pk, p, created, deleted=created, merged_into=rid(target))
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
                row = _record_row(record_id, p, created)
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
        bulk.insert_rows(
            Identifier, ("record_id", "scheme", "value"), idents, ignore_conflicts=True
        )

        # 4. items
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
        owner = self.library.pk
        for p, target, merge in placements:
            record_id = rid(target)
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
                branch = self.branches.resolve(h.branch).pk
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

        # 5. merge log
        logs = []
        for pk, (_p, target, merge) in zip(tomb_ids, tombstones, strict=True):
            before, hash_before = merge["before"], merge["hash_before"]
            if before == "load":
                before, hash_before = befores.get(rid(target), (None, ""))
            logs.append(
                MergeLog(
                    survivor_id=rid(target),
                    merged_id=pk,
                    matched_on=merge["matched_on"],
                    match_value=merge["match_value"],
                    survivor_marc_before=before,
                    survivor_hash_before=hash_before or "",
                    moved_item_ids=moved.get(id(merge), []),
                    merged_at=now,
                    merged_by=_by_label(self.by),
                )
            )
        if logs:
            MergeLog.objects.bulk_create(logs, batch_size=500)

        # 6. search queue and event, same transaction
        changed = {t.pk for t in pending} | set(replaced) | set(extra_idents) | touched
        if changed and self.enqueue:
            from ..services import enqueue_reindex

            enqueue_reindex(*changed)
        if not (pending or tombstones or new_items):
            return  # nothing changed: no event (re-running an import leaves no trace)
        record_event(
            "catalogue.import_batch",
            subject=self.library,
            by=self.by,
            now=now,
            file=name[-200:],
            records=len(batch),
            created=len(pending),
            merged=len(tombstones),
            items_added=len(new_items),
        )


def prepare_record(record, number, offset, presets):
    """Holdings out, fields extracted, MARC-in-JSON and its fingerprint: an _Incoming."""
    items = holdings(record, presets)
    if items:
        # Holdings belong to the library, not to the shared record: drop the fields
        # that became items (other fields with that tag stay).
        used = {id(h.field) for h in items}
        record.fields = [f for f in record.fields if id(f) not in used]
        for h in items:
            h.field = None
    shelf = [h.shelf for h in items if h.shelf] + [h.type for h in items if h.type]
    # Length and base address are computed when written: stored as zeros, so the same
    # record read from ISO 2709 or MARCXML has the same fingerprint.
    leader = str(record.leader)
    record.leader = Leader("00000" + leader[5:12] + "00000" + leader[17:])
    fields = extract(record, shelf_codes=shelf)
    identifiers = fields.pop("identifiers")
    text = json.dumps(record.as_dict(), ensure_ascii=False, separators=(",", ":"))
    return _Incoming(
        number=number,
        offset=offset,
        marc_text=text,
        fields=fields,
        identifiers=identifiers,
        items=items,
        marc_hash=hashlib.sha1(text.encode("utf-8")).hexdigest(),
    )


def prepare_batch(raws, presets):
    """Parse (when still raw bytes) and prepare a batch of RawRecords. Pure: runs in a
    worker process for big ISO 2709 files. Returns outcomes in order:
    ("ok", _Incoming, warning) or ("rejected", number, offset, reason)."""
    if gc.get_threshold()[0] < 100_000:  # in a worker process (see run_import)
        gc.set_threshold(100_000, 50, 100)
    out = []
    for raw in raws:
        if raw.data:
            raw = _parse_iso(raw.number, raw.offset, raw.data)
        if raw.error:
            out.append(("rejected", raw.number, raw.offset, raw.error))
            continue
        try:
            incoming = prepare_record(raw.record, raw.number, raw.offset, presets)
        except Exception as exc:  # a record pymarc read but we cannot use
            out.append(("rejected", raw.number, raw.offset, f"unusable record: {exc}"))
            continue
        out.append(("ok", incoming, raw.warning))
    return out


def _by_label(by):
    if by is None:
        return ""
    return (getattr(by, "get_username", None) and by.get_username()) or str(by)[:100]


def _batched(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _chain(first, rest):
    yield from first
    yield from rest


def run_import(paths, *, library, dry_run=False, **options):
    """Import every file; returns the ImportReport. Raises NotMarcError for a file that is
    not MARC (files before it stay imported)."""
    started = time.perf_counter()
    importer = Importer(library=library, **options)
    importer.report.dry_run = dry_run
    if importer.workers > 1:
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        importer.pool = ProcessPoolExecutor(importer.workers, mp_context=context)
    # Parsing MARC allocates millions of small objects that live for one batch: the cyclic
    # collector's default threshold makes it rescan the heap every 700 allocations, which
    # cost as much as the parsing itself. Collect rarely while importing.
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        with bulk.big_write_cache():
            _run_files(importer, paths, dry_run)
    finally:
        gc.set_threshold(*thresholds)
        if importer.pool is not None:
            importer.pool.shutdown(cancel_futures=True)
    importer.report.seconds = time.perf_counter() - started
    return importer.report


def _run_files(importer, paths, dry_run):
    if dry_run:
        with transaction.atomic():
            for path in paths:
                importer.import_file(path, dry_run=True)
            transaction.set_rollback(True)
    else:
        for path in paths:
            importer.import_file(path)
