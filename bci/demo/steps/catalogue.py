"""The demo catalogue: the real MARC records in bci/demo/data/marc spread over the demo
libraries' branches, plus synthetic Dutch-language titles up to ``BCI_DEMO_TITLES``
(default 50,000) with items in every library.

Fast path: the synthetic records are generated and prepared (holdings, extraction,
MARC-in-JSON) in worker processes and written by the import's batch writer; nothing is
queued for the indexer, the search index is rebuilt once at the end instead. Idempotent:
real records come back "unchanged"; a library whose last synthetic barcode exists is
skipped.
"""

import os
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor

from django.conf import settings
from django.utils import timezone

from bci.catalogue import synth
from bci.catalogue.marc.branches import sha256_of
from bci.catalogue.marc.holdings import parse_items_spec
from bci.catalogue.marc.importer import Importer, prepare_batch
from bci.catalogue.marc.reading import RawRecord, open_records
from bci.catalogue.marc.report import ImportReport
from bci.catalogue.models import ImportRun, Item, Record
from bci.organisations.models import Node

SEED = 2026
BATCH = 500
SHARED_EVERY = 10  # every tenth synthetic record is a title another library also holds
REAL_FILES = ("uva_001_2000.mrc", "uva_dutch_language.marcxml.xml", "specTestRecs.xml")


def target_titles():
    value = getattr(settings, "BCI_DEMO_TITLES", None) or os.environ.get("BCI_DEMO_TITLES")
    return int(value) if value else 50_000


def demo_libraries():
    """[(organisation, [branch codes])] for every organisation with lending locations."""
    out = []
    for org in Node.objects.organisations().order_by("code"):
        codes = list(
            Node.objects.descendants_of(org)
            .branches()
            .order_by("path")
            .values_list("code", flat=True)
        )
        if codes:
            out.append((org, codes))
    return out


def run(*, console, now):
    """Catalogue: real MARC records and synthetic Dutch titles with items in every branch."""
    libraries = demo_libraries()
    if not libraries:
        return "no libraries: run the network step first"
    report = ImportReport()
    started = time.perf_counter()
    load_real(libraries, report)
    real_titles = Record.objects.filter(deleted_at__isnull=True).count()
    real_seconds = time.perf_counter() - started
    synthetic = load_synthetic(libraries, report, max(0, target_titles() - real_titles))
    synth_seconds = time.perf_counter() - started - real_seconds
    changed = report.created + report.merged + report.items_added
    indexed = rebuild_search_index() if changed else None
    index_seconds = time.perf_counter() - started - real_seconds - synth_seconds
    titles = Record.objects.filter(deleted_at__isnull=True).count()
    text = (
        f"{titles:,} titles, {Item.objects.count():,} items "
        f"({report.created:,} records created, {report.merged:,} merged, "
        f"{report.items_added:,} items added; {synthetic} synthetic libraries loaded)"
    )
    if indexed is not None:
        text += f"; search index rebuilt ({indexed:,} documents)"
    return text + (
        f" [real {real_seconds:.0f} s, synthetic {synth_seconds:.0f} s, "
        f"index {index_seconds:.0f} s]"
    )


def load_real(libraries, report):
    """Each real record goes to one library (round robin); its 999/852 holding codes map
    onto that library's branches."""
    importers = {}
    for index, (org, codes) in enumerate(libraries):
        importers[index] = Importer(
            library=org, items="auto", enqueue=False, report=report, by="bci seed-demo"
        )
        importers[index].branch_codes = codes
    data_dir = settings.BCI_DATA_DIR / "marc"
    for offset, name in enumerate(REAL_FILES):
        path = data_dir / name
        digest = sha256_of(path)
        if ImportRun.objects.filter(file_sha256=digest, finished_at__isnull=False).exists():
            continue  # loaded by an earlier seed
        pending = {}
        records = 0
        for raw in open_records(path):
            records += 1
            # the Dutch XML repeats records of the UVA file: put them in another library
            which = (raw.number + offset * 7) % len(libraries)
            pending.setdefault(which, []).append(raw)
            if len(pending[which]) >= BATCH:
                _flush(importers[which], name, pending.pop(which))
        for which, raws in pending.items():
            _flush(importers[which], name, raws)
        ImportRun.objects.create(
            file_name=f"demo seed: {name}",
            file_sha256=digest,
            library=libraries[0][0],
            finished_at=timezone.now(),
            records_done=records,
        )


def _flush(importer, name, raws):
    presets = importer.presets
    codes = importer.branch_codes
    for raw in raws:  # the holdings' library codes -> this library's branches
        if raw.record is not None:
            for field in raw.record.get_fields("999", "852"):
                source = field.get("m") or field.get("b") or ""
                if source and source.upper() not in importer.branches.map:
                    target = codes[sum(map(ord, source)) % len(codes)]
                    importer.branches.map[source.upper()] = importer.branches.by_code[
                        target.upper()
                    ]
    importer.import_prepared(name, prepare_batch(raws, presets), raws[-1])


def _same_as(index):
    if index % SHARED_EVERY == SHARED_EVERY - 1 and index >= SHARED_EVERY:
        return index - SHARED_EVERY + 1 + (index // SHARED_EVERY) % (SHARED_EVERY - 2)
    return None


def load_synthetic(libraries, report, unique_titles):
    total = round(unique_titles * SHARED_EVERY / (SHARED_EVERY - 1))
    if total <= 0:
        return 0
    count = len(libraries)
    presets = parse_items_spec("852")
    tasks = []
    for k, (org, codes) in enumerate(libraries):
        indexes = list(range(k, total, count))
        if not indexes:
            continue
        last = indexes[-1]
        last_barcode = f"S{SEED:02d}{last:08d}0"
        if Item.objects.filter(barcode=last_barcode).exists():
            continue  # loaded before
        importer = Importer(
            library=org, items="852", enqueue=False, report=report, by="bci seed-demo"
        )
        options = {"branches": codes, "owner": org.code, "items": (1, 3)}
        for start in range(0, len(indexes), BATCH):
            jobs = [(i, _same_as(i)) for i in indexes[start : start + BATCH]]
            tasks.append((importer, jobs, options))
    if not tasks:
        return 0
    workers = min(4, os.cpu_count() or 1)
    window = deque()
    loaded = {id(t[0]) for t in tasks}
    with ProcessPoolExecutor(workers) as pool:
        for importer, jobs, options in tasks:
            future = pool.submit(synth.prepared_batch, jobs, SEED, options, presets)
            window.append((importer, jobs, future))
            if len(window) > 2 * workers:
                _write_synthetic(*window.popleft())
        while window:
            _write_synthetic(*window.popleft())
    return len(loaded)


def _write_synthetic(importer, jobs, future):
    last = RawRecord(jobs[-1][0] + 1, 0)
    importer.import_prepared(f"synthetic seed {SEED}", future.result(), last)


def rebuild_search_index():
    try:
        from bci.catalogue.search.indexer import rebuild_index
    except ImportError:
        return None
    return rebuild_index()
