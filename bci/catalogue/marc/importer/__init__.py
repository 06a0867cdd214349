"""The MARC import: ``pipeline`` (the Importer: files, batches, one transaction each,
resuming), ``prepare`` (pure: parse, holdings, extracted fields, fingerprint; runs in
worker processes), ``matching`` (what the catalogue already knows and what to do with each
record), ``writing`` (records, identifiers, items and the merge log in bulk).

On a match the incoming record becomes a tombstone merged into the existing one (so the
merge can be undone), its identifiers are added to the survivor, its items attach to the
survivor, and the survivor takes the incoming MARC when that is richer.
"""

from .pipeline import Importer, run_import
from .prepare import prepare_batch

__all__ = ["Importer", "prepare_batch", "run_import"]
