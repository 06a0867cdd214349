"""Preparing incoming records, pure and without the database: holdings out, fields
extracted, MARC-in-JSON and its fingerprint. Runs in worker processes for big ISO 2709
files (see ``pipeline.run_import``)."""

import gc
import hashlib
import json
from dataclasses import dataclass

from pymarc import Leader

from ..extract import extract
from ..holdings import holdings
from ..reading.iso2709 import parse_iso


@dataclass
class Incoming:
    number: int
    offset: int
    marc_text: str
    fields: dict
    identifiers: set
    items: list
    marc_hash: str

    def marc_dict(self):
        return json.loads(self.marc_text)


def prepare_record(record, number, offset, presets):
    """Holdings out, fields extracted, MARC-in-JSON and its fingerprint: an Incoming."""
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
    return Incoming(
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
    ("ok", Incoming, warning) or ("rejected", number, offset, reason)."""
    if gc.get_threshold()[0] < 100_000:  # in a worker process (see run_import)
        gc.set_threshold(100_000, 50, 100)
    out = []
    for raw in raws:
        if raw.data:
            raw = parse_iso(raw.number, raw.offset, raw.data)
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
