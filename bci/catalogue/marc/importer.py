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

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from pymarc import Leader

from bci.core.events import record_event
from bci.organisations.models import Node

from ..models import Identifier, ImportRun, Item, MergeLog, Record
from .extract import extract
from .holdings import holdings, item_material, parse_items_spec
from .reading import NotMarcError, open_records

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
LIST_LIMIT = 10_000  # rejected/warning entries kept in the report (counts stay exact)


class ImportSetupError(ValueError):
    """Bad options: unknown library or branch, unreadable branch map."""


@dataclass
class ImportReport:
    files: list = field(default_factory=list)
    read: int = 0
    created: int = 0
    merged: int = 0
    unchanged: int = 0
    items_added: int = 0
    items_present: int = 0
    rejected_count: int = 0
    items_rejected_count: int = 0
    rejected: list = field(default_factory=list)
    items_rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    resumed_from: dict = field(default_factory=dict)
    dry_run: bool = False
    seconds: float = 0.0

    def reject(self, file, number, offset, reason):
        self.rejected_count += 1
        if len(self.rejected) < LIST_LIMIT:
            self.rejected.append(
                {"file": file, "record": number, "offset": offset, "reason": reason}
            )

    def reject_item(self, file, number, barcode, reason):
        self.items_rejected_count += 1
        if len(self.items_rejected) < LIST_LIMIT:
            self.items_rejected.append(
                {"file": file, "record": number, "barcode": barcode, "reason": reason}
            )

    def warn(self, file, number, offset, text):
        if len(self.warnings) < LIST_LIMIT:
            self.warnings.append(
                {"file": file, "record": number, "offset": offset, "warning": text}
            )

    def as_dict(self):
        return {
            "files": self.files,
            "dry_run": self.dry_run,
            "read": self.read,
            "created": self.created,
            "merged": self.merged,
            "unchanged": self.unchanged,
            "items_added": self.items_added,
            "items_already_present": self.items_present,
            "rejected_count": self.rejected_count,
            "items_rejected_count": self.items_rejected_count,
            "resumed_from": self.resumed_from,
            "seconds": round(self.seconds, 2),
            "records_per_second": round(self.read / self.seconds, 1) if self.seconds else None,
            "rejected": self.rejected,
            "items_rejected": self.items_rejected,
            "warnings": self.warnings,
        }

    def _counts(self):
        return (
            self.created,
            self.merged,
            self.unchanged,
            self.items_added,
            self.items_present,
            len(self.rejected),
            self.rejected_count,
            len(self.items_rejected),
            self.items_rejected_count,
        )


class BranchResolver:
    """Maps the branch/location code of a holdings field to a location Node of the library.

    Order: the explicit map (source code -> node code), a node code of the library equal to
    the source code (case-insensitive), the default branch (``default_branch`` or the
    organisation's main branch, else its first lending location)."""

    def __init__(self, library, branch_map=None, default_branch=None):
        nodes = list(Node.objects.descendants_of(library).branches().order_by("path"))
        if not nodes:
            raise ImportSetupError(f"library {library.code} has no branches")
        self.by_code = {n.code.upper(): n for n in nodes}
        self.map = {}
        for source, target in (branch_map or {}).items():
            node = self.by_code.get(str(target).strip().upper())
            if node is None:
                raise ImportSetupError(f"branch map: {target!r} is not a branch of {library.code}")
            self.map[str(source).strip().upper()] = node
        if default_branch:
            self.default = self.by_code.get(default_branch.strip().upper())
            if self.default is None:
                raise ImportSetupError(
                    f"default branch {default_branch!r} is not a branch of {library.code}"
                )
        else:
            mains = [n for n in nodes if n.kind == Node.Kind.MAIN_BRANCH]
            self.default = (mains or nodes)[0]

    def resolve(self, code):
        key = (code or "").strip().upper()
        return self.map.get(key) or self.by_code.get(key) or self.default


def read_branch_map(path):
    """A CSV of ``source_code,node_code`` lines (a header line is allowed)."""
    import csv

    mapping = {}
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                if len(row) < 2 or not row[0].strip() or row[0].strip().lower() == "source":
                    continue
                mapping[row[0].strip()] = row[1].strip()
    except OSError as exc:
        raise ImportSetupError(f"cannot read branch map {path}: {exc}") from None
    return mapping


def sha256_of(path):
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _Incoming:
    number: int
    offset: int
    marc: dict
    fields: dict
    identifiers: set
    items: list
    marc_hash: str


@dataclass
class _Pending:
    """A record to create in this batch."""

    obj: Record
    identifiers: set


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
            records = open_records(path, self.fmt, skip=skip)
            first = next(records, None)  # NotMarcError surfaces before anything is written
        except NotMarcError as exc:
            exc.file = name
            raise
        if run is None and not dry_run:
            run = ImportRun.objects.create(
                file_name=name[-500:], file_sha256=digest, library=self.library
            )
        batch = []
        done = skip
        chain = [first] if first is not None else []
        for raw in _chain(chain, records):
            batch.append(raw)
            if len(batch) >= self.batch_size:
                done = self._run_batch(name, batch, run)
                batch = []
        if batch:
            done = self._run_batch(name, batch, run)
        if run is not None:
            run.finished_at = timezone.now()
            run.records_done = done
            run.summary = {
                k: v for k, v in self.report.as_dict().items() if not isinstance(v, list)
            }
            run.save(update_fields=["finished_at", "records_done", "summary"])
        return self.report

    def _run_batch(self, name, batch, run):
        last = batch[-1]
        prepared = []
        for raw in batch:
            self.report.read += 1
            if raw.error:
                self.report.reject(name, raw.number, raw.offset, raw.error)
                continue
            if raw.warning:
                self.report.warn(name, raw.number, raw.offset, raw.warning)
            try:
                prepared.append(self._prepare(raw))
            except Exception as exc:  # a record pymarc read but we cannot use
                self.report.reject(name, raw.number, raw.offset, f"unusable record: {exc}")
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
            self.progress(records=len(batch), offset=last.offset)
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

    def _prepare(self, raw):
        record = raw.record
        items = holdings(record, self.presets)
        if items:
            # Holdings belong to the library, not to the shared record: drop the fields
            # that became items (other fields with that tag stay).
            used = {id(h.field) for h in items}
            record.fields = [f for f in record.fields if id(f) not in used]
        shelf = [h.shelf for h in items if h.shelf] + [h.type for h in items if h.type]
        # Length and base address are computed when written: stored as zeros, so the same
        # record read from ISO 2709 or MARCXML has the same fingerprint.
        leader = str(record.leader)
        record.leader = Leader("00000" + leader[5:12] + "00000" + leader[17:])
        fields = extract(record, shelf_codes=shelf)
        identifiers = fields.pop("identifiers")
        marc = record.as_dict()
        text = json.dumps(marc, ensure_ascii=False, separators=(",", ":"))
        return _Incoming(
            number=raw.number,
            offset=raw.offset,
            marc=marc,
            fields=fields,
            identifiers=identifiers,
            items=items,
            marc_hash=hashlib.sha1(text.encode("utf-8")).hexdigest(),
        )

    # --- one batch in one transaction -------------------------------------------------
    def _write(self, name, batch):
        now = timezone.now()
        report = self.report
        if not batch:
            return
        # 1. what the database already knows, in four queries
        hashes = {p.marc_hash for p in batch}
        by_hash = {}
        for h, rid, deleted, into in Record.objects.filter(marc_hash__in=hashes).values_list(
            "marc_hash", "id", "deleted_at", "merged_into_id"
        ):
            target = rid if deleted is None else into
            if target is not None:
                by_hash.setdefault(h, target)
        for h, rid in MergeLog.objects.filter(
            survivor_hash_before__in=hashes, undone_at__isnull=True
        ).values_list("survivor_hash_before", "survivor_id"):
            by_hash.setdefault(h, rid)
        wanted = {}
        for p in batch:
            for scheme, value in p.identifiers:
                wanted.setdefault(scheme, set()).add(value)
        by_ident = {}
        if wanted:
            cond = Q()
            for scheme, values in wanted.items():
                cond |= Q(scheme=scheme, value__in=values)
            for scheme, value, rid in (
                Identifier.objects.filter(cond, record__deleted_at__isnull=True)
                .order_by("record_id")
                .values_list("scheme", "value", "record_id")
            ):
                by_ident.setdefault((scheme, value), rid)
        keys = {p.fields["match_key"] for p in batch if p.fields["match_key"]}
        by_key = {}
        for key, rid in (
            Record.objects.filter(match_key__in=keys, deleted_at__isnull=True)
            .order_by("id")
            .values_list("match_key", "id")
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
        tombstones = []  # (tombstone Record, identifiers, survivor target, merge info)
        replaced = {}  # existing id -> _Incoming that replaces its MARC
        extra_idents = {}  # existing id -> identifiers to add
        placements = []  # (_Incoming, target)
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
            if target is None:
                obj = Record(
                    marc=p.marc, marc_hash=p.marc_hash, created_at=now, updated_at=now, **p.fields
                )
                target = _Pending(obj, set(p.identifiers))
                pending.append(target)
                report.created += 1
            else:
                report.merged += 1
                merge = {"matched_on": matched_on, "match_value": match_value[:200], "before": None}
                current = (
                    target.obj.richness if isinstance(target, _Pending) else richness.get(target, 0)
                )
                if p.fields["richness"] > current:
                    if isinstance(target, _Pending):
                        merge["before"] = target.obj.marc
                        merge["hash_before"] = target.obj.marc_hash
                        for name_ in RECORD_FIELDS:
                            setattr(target.obj, name_, p.fields[name_])
                        target.obj.marc = p.marc
                        target.obj.marc_hash = p.marc_hash
                        target.obj.richness = p.fields["richness"]
                    else:
                        merge["before"] = "load"
                        replaced[target] = p
                        richness[target] = p.fields["richness"]
                if isinstance(target, _Pending):
                    target.identifiers |= p.identifiers
                else:
                    extra_idents.setdefault(target, set()).update(p.identifiers)
                tomb = Record(
                    marc=p.marc,
                    marc_hash=p.marc_hash,
                    created_at=now,
                    updated_at=now,
                    deleted_at=now,
                    **p.fields,
                )
                tombstones.append((tomb, set(p.identifiers), target, merge))
                placements.append((p, target, merge))
                by_hash[p.marc_hash] = target
                for ident in p.identifiers:
                    by_ident.setdefault(ident, target)
                if key:
                    by_key.setdefault(key, target)
                continue
            placements.append((p, target, None))
            by_hash[p.marc_hash] = target
            for ident in p.identifiers:
                by_ident.setdefault(ident, target)
            if key:
                by_key.setdefault(key, target)

        # 3. write records
        if pending:
            Record.objects.bulk_create([t.obj for t in pending], batch_size=500)

        def rid(target):
            return target.obj.pk if isinstance(target, _Pending) else target

        for tomb, _ids, target, _merge in tombstones:
            tomb.merged_into_id = rid(target)
        if tombstones:
            Record.objects.bulk_create([t[0] for t in tombstones], batch_size=500)
        befores = {}
        if replaced:
            survivors = Record.objects.in_bulk(list(replaced))
            for record_id, p in replaced.items():
                survivor = survivors[record_id]
                befores[record_id] = (survivor.marc, survivor.marc_hash)
                survivor.marc = p.marc
                survivor.marc_hash = p.marc_hash
                survivor.updated_at = now
                for name_ in RECORD_FIELDS:
                    setattr(survivor, name_, p.fields[name_])
            Record.objects.bulk_update(
                list(survivors.values()),
                ["marc", "marc_hash", "updated_at", *RECORD_FIELDS],
                batch_size=200,
            )
        if extra_idents and not replaced:
            Record.objects.filter(id__in=list(extra_idents)).update(updated_at=now)
        idents = []
        for t in pending:
            idents += [Identifier(record_id=t.obj.pk, scheme=s, value=v) for s, v in t.identifiers]
        for tomb, ids, _target, _merge in tombstones:
            idents += [Identifier(record_id=tomb.pk, scheme=s, value=v) for s, v in ids]
        for record_id, ids in extra_idents.items():
            idents += [Identifier(record_id=record_id, scheme=s, value=v) for s, v in ids]
        if idents:
            Identifier.objects.bulk_create(idents, batch_size=1000, ignore_conflicts=True)

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
        new_items = []
        item_merge = []
        touched = set()
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
                    other_record, owner = existing[h.barcode]
                    if other_record == record_id and owner == self.library.pk:
                        report.items_present += 1
                    else:
                        report.reject_item(
                            name,
                            p.number,
                            h.barcode,
                            f"barcode already in use (record {other_record})",
                        )
                    continue
                branch = self.branches.resolve(h.branch)
                new_items.append(
                    Item(
                        barcode=h.barcode,
                        record_id=record_id,
                        owner_id=self.library.pk,
                        home_branch_id=branch.pk,
                        current_location_id=branch.pk,
                        shelf_code=h.shelf[:64],
                        call_number=h.call[:100],
                        material_type=item_material(h.type, p.fields["material_type"]),
                        status=h.status,
                        status_changed_at=now,
                        price=h.price,
                        date_added=timezone.localdate(now),
                    )
                )
                item_merge.append(merge)
                touched.add(record_id)
        if new_items:
            Item.objects.bulk_create(new_items, batch_size=1000)
            report.items_added += len(new_items)
        moved = {}
        for item, merge in zip(new_items, item_merge, strict=True):
            if merge is not None:
                moved.setdefault(id(merge), []).append(item.pk)

        # 5. merge log
        logs = []
        for tomb, _ids, target, merge in tombstones:
            before, hash_before = merge["before"], merge.get("hash_before", "")
            if before == "load":
                before, hash_before = befores.get(rid(target), (None, ""))
            logs.append(
                MergeLog(
                    survivor_id=rid(target),
                    merged_id=tomb.pk,
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
        changed = {t.obj.pk for t in pending} | set(replaced) | set(extra_idents) | touched
        changed |= {rid(t) for _tomb, _i, t, _m in tombstones}
        if changed:
            from ..services import enqueue_reindex

            enqueue_reindex(*changed)
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


def _by_label(by):
    if by is None:
        return ""
    return (getattr(by, "get_username", None) and by.get_username()) or str(by)[:100]


def _chain(first, rest):
    yield from first
    yield from rest


def run_import(paths, *, library, dry_run=False, **options):
    """Import every file; returns the ImportReport. Raises NotMarcError for a file that is
    not MARC (files before it stay imported)."""
    started = time.perf_counter()
    importer = Importer(library=library, **options)
    importer.report.dry_run = dry_run
    if dry_run:
        with transaction.atomic():
            for path in paths:
                importer.import_file(path, dry_run=True)
            transaction.set_rollback(True)
    else:
        for path in paths:
            importer.import_file(path)
    importer.report.seconds = time.perf_counter() - started
    return importer.report
