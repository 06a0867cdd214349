"""The reindex and index-worker commands."""

import io
import threading

from django.core.management import call_command

from bci.catalogue.models import IndexQueue
from bci.catalogue.search import search
from bci.catalogue.tests.test_search import make_record


def test_reindex_rebuilds_and_summarises(net):
    make_record("Het achterhuis", authors=["Frank, Anne"], year=1947)
    make_record("De avonden", authors=["Reve, Gerard"], year=1947)
    assert search("achterhuis").total == 0  # queued, not yet indexed
    out = io.StringIO()
    call_command("reindex", stdout=out)
    assert "Indexed 2 records" in out.getvalue()
    assert search("achterhuis").total == 1
    assert search("avond").total == 1
    assert not IndexQueue.objects.exists()


def test_index_worker_stops_on_ctrl_c(db, monkeypatch):
    from bci.catalogue.management.commands import index_worker

    started = threading.Event()

    def fake_run_indexer(stop, interval):
        started.set()
        stop.wait(5)

    monkeypatch.setattr(index_worker, "run_indexer", fake_run_indexer)

    class Interrupting(threading.Thread):
        def join(self, timeout=None):
            if started.is_set() and timeout == 0.5:
                raise KeyboardInterrupt
            return super().join(timeout)

    monkeypatch.setattr(index_worker.threading, "Thread", Interrupting)
    out = io.StringIO()
    call_command("index_worker", "--interval", "0.1", stdout=out)
    assert "Index worker stopped." in out.getvalue()


def test_indexer_service_starts_and_stops(transactional_db):
    from bci.catalogue.search.indexer import IndexerService
    from bci.catalogue.tests.test_search import make_record

    service = IndexerService()
    service.interval = 0.05
    service.start()
    try:
        make_record("De ontdekking van de hemel", authors=["Mulisch, Harry"])
        for _ in range(100):
            if search("hemel").total:
                break
            threading.Event().wait(0.05)
    finally:
        service.stop()
    assert search("hemel").total == 1
    assert not service._thread.is_alive()
    assert "indexer" in service.describe()


def test_a_change_queued_during_a_rebuild_stays_queued(net, monkeypatch):
    from bci.catalogue.search import indexer, rebuild_index
    from bci.catalogue.services import enqueue_reindex

    early = make_record("Het achterhuis")
    late = make_record("De avonden")
    IndexQueue.objects.all().delete()
    # On PostgreSQL ids are handed out at insert but become visible at commit: a slow
    # transaction can commit id N after the rebuild has seen id N+1. Make that gap.
    slow = IndexQueue.objects.create(record_id=late.pk)
    enqueue_reindex(early.pk)
    slow_id = slow.pk
    slow.delete()
    real_load = indexer.load_records

    def load_and_meanwhile_change(ids):
        IndexQueue.objects.create(id=slow_id, record_id=late.pk)  # commits late, lower id
        return real_load(ids)

    monkeypatch.setattr(indexer, "load_records", load_and_meanwhile_change)
    rebuild_index()
    assert list(IndexQueue.objects.values_list("record_id", flat=True)) == [late.pk]
    assert early.pk not in IndexQueue.objects.values_list("record_id", flat=True)
