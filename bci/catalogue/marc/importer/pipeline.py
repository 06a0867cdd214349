"""The MARC import pipeline behind ``services.import_marc_file``.

Records stream from the reader in batches (500 by default); each batch is one atomic
transaction: match (``matching``), create or merge, add items (``writing``), queue
reindexing, advance the ImportRun. A batch that fails in the database is replayed record
by record so that only the bad record is rejected. Parsing and preparing (``prepare``)
run in worker processes when asked.
"""

import gc
import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone

from bci.core.events import record_event
from bci.organisations.models import Node

from ...models import ImportRun
from .. import bulk
from ..branches import BranchResolver, ImportSetupError, sha256_of
from ..holdings import parse_items_spec
from ..reading.files import open_records, sniff_path
from ..reading.records import NotMarcError
from ..report import ImportReport
from .matching import find_known, plan_batch
from .prepare import prepare_batch
from .writing import write_items, write_merge_log, write_records


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
        if not batch:
            return
        plan = plan_batch(batch, find_known(batch, library=self.library), self.report)
        tomb_ids, befores = write_records(plan, now=now)
        new_items, touched, moved = write_items(
            plan,
            name=name,
            now=now,
            owner=self.library.pk,
            branches=self.branches,
            report=self.report,
        )
        write_merge_log(plan, tomb_ids, befores, moved, now=now, by=self.by)

        # search queue and event, same transaction
        pending, tombstones = plan.pending, plan.tombstones
        replaced, extra_idents = plan.replaced, plan.extra_idents
        changed = {t.pk for t in pending} | set(replaced) | set(extra_idents) | touched
        if changed and self.enqueue:
            from ...services import enqueue_reindex

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
