"""Opening the index: one handle per folder, one writer at a time, readers reload on commit.

Handles are cached by resolved path (tests point ``BCI_INDEX_DIR`` at a new folder per
test, the benchmark at its own folder), never as one global Index object.
"""

import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import tantivy

from . import schema as S


class IndexBusy(RuntimeError):
    """Another process holds the index writer lock."""


class CatalogueIndex:
    def __init__(self, path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(S.schema, path=str(self.path), reuse=True)
        self.index.register_tokenizer(S.ANALYZER, S.analyzer)
        self.schema = S.schema
        self._write_lock = threading.Lock()

    def searcher(self):
        return self.index.searcher()

    def reload(self):
        self.index.reload()

    @contextmanager
    def writer(self, *, heap_size=16_000_000, num_threads=1, wait=10.0):
        """Hold the writer: a thread lock in this process plus tantivy's lock file across
        processes (retried for ``wait`` seconds). Commit inside; uncommitted work is rolled
        back. Readers of this handle are reloaded after the block."""
        with self._write_lock:
            deadline = time.monotonic() + wait
            while True:
                try:
                    writer = self.index.writer(heap_size=heap_size, num_threads=num_threads)
                    break
                except ValueError as exc:  # LockBusy from another process
                    if time.monotonic() >= deadline:
                        raise IndexBusy(str(exc)) from exc
                    time.sleep(0.2)
            try:
                yield writer
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()  # releases the lock file
                self.index.reload()


_HANDLES: OrderedDict = OrderedDict()
_HANDLES_LOCK = threading.Lock()
_MAX_HANDLES = 8


def index_dir(base=None) -> Path:
    """The folder of the current schema version under ``BCI_INDEX_DIR`` (or ``base``)."""
    if base is None:
        from django.conf import settings

        base = settings.BCI_INDEX_DIR
    return Path(base) / f"records-v{S.SCHEMA_VERSION}"


def get_index(path=None) -> CatalogueIndex:
    """The handle for ``path`` (default: the configured index folder)."""
    key = str(Path(path).resolve() if path is not None else index_dir().resolve())
    with _HANDLES_LOCK:
        handle = _HANDLES.get(key)
        if handle is None:
            handle = _HANDLES[key] = CatalogueIndex(key)
            while len(_HANDLES) > _MAX_HANDLES:
                _HANDLES.popitem(last=False)
        else:
            _HANDLES.move_to_end(key)
        return handle
