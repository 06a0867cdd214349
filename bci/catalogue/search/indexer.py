"""Keeping the index in step with the database.

Changes reach the index through ``IndexQueue`` rows written in the same transaction as the
change. ``index_pending`` drains a batch: bulk-read the records, delete and re-add their
documents, commit the index, and only then delete exactly the queue rows it read (rows
queued meanwhile survive and are picked up next round). A crash between the index commit
and the queue delete only means the same records are indexed again.
"""

import logging
import threading

from django.db import close_old_connections, connections, transaction

from bci.core.background import ThreadService

from . import schema as S
from .documents import build_document, load_records
from .index import CatalogueIndex, IndexBusy, get_index

log = logging.getLogger(__name__)

REBUILD_CHUNK = 2000


def _write(writer, records, ids):
    for rid in ids:
        writer.delete_documents_by_term(S.ID, rid)
        data = records.get(rid)
        if data is not None:
            writer.add_document(build_document(data))


def index_pending(limit: int = 5000, *, index: CatalogueIndex | None = None) -> int:
    """Drain up to ``limit`` queue rows; returns the number of records (re)indexed
    (deleted records count: their documents are removed)."""
    from bci.catalogue.models import IndexQueue

    rows = list(IndexQueue.objects.order_by("id").values_list("id", "record_id")[:limit])
    if not rows:
        return 0
    record_ids = sorted({rid for _, rid in rows})
    records = load_records(record_ids)
    index = index or get_index()
    with index.writer() as writer:
        _write(writer, records, record_ids)
        writer.commit()
    row_ids = [row_id for row_id, _ in rows]
    with transaction.atomic():
        for i in range(0, len(row_ids), 500):
            IndexQueue.objects.filter(id__in=row_ids[i : i + 500]).delete()
    return len(record_ids)


def rebuild_index(*, progress=None, index: CatalogueIndex | None = None) -> int:
    """Rebuild the whole index from the database; returns the number of documents.

    ``progress(done, total)`` is called after each chunk. Queue rows that existed when the
    rebuild started are covered by it and deleted; later ones stay for the indexer.
    """
    from bci.catalogue.models import IndexQueue, Record

    index = index or get_index()
    # The rows visible now, by id: on PostgreSQL a row with a lower id can still commit
    # later (after the records are read), so "id <= max" would drop a change unindexed.
    covered = list(IndexQueue.objects.values_list("id", flat=True))
    ids = list(
        Record.objects.filter(deleted_at__isnull=True).order_by("id").values_list("id", flat=True)
    )
    total = len(ids)
    done = 0
    if progress:
        progress(0, total)
    with index.writer(heap_size=256_000_000, num_threads=2, wait=30.0) as writer:
        writer.delete_all_documents()
        for i in range(0, total, REBUILD_CHUNK):
            chunk = ids[i : i + REBUILD_CHUNK]
            records = load_records(chunk)
            for rid in chunk:
                data = records.get(rid)
                if data is not None:
                    writer.add_document(build_document(data))
                    done += 1
            if progress:
                progress(min(i + len(chunk), total), total)
        writer.commit()
    for i in range(0, len(covered), 10_000):
        IndexQueue.objects.filter(id__in=covered[i : i + 10_000]).delete()
    return done


def run_indexer(stop_event: threading.Event, interval: float = 0.5) -> None:
    """Drain the queue until ``stop_event`` is set (the demo's and ``bci index-worker``'s
    loop). Errors are logged and retried with back-off; they never stop the loop."""
    backoff = interval
    while not stop_event.is_set():
        try:
            close_old_connections()
            n = index_pending()
            backoff = interval
        except IndexBusy:
            log.info("search index busy (another writer); retrying")
            n = 0
        except Exception:
            log.exception("search indexer failed; retrying")
            n = 0
            backoff = min(backoff * 2, 30.0)
            stop_event.wait(backoff)
            continue
        if n == 0:
            stop_event.wait(interval)
    connections.close_all()  # this thread's connections


class IndexerService(ThreadService):
    """The indexer as a background service of ``bci demo`` / ``bci serve --with-services``."""

    name = "indexer"
    interval = 0.5

    def run(self, stop):
        run_indexer(stop, self.interval)

    def describe(self):
        return f"search indexer (queue polled every {self.interval:g} s)"
