"""Matching a batch of incoming records against the catalogue: what the database already
knows (four plain queries, see ``bulk.py``), then the decision record by record: unchanged,
a new record, or a merge into an existing (or earlier pending) one.

Matching order: content fingerprint (the same bibliographic record imported before: no
change), then PPN, ISBN/ISSN, 035 system and NBD numbers, then the normalised
title/author/year/material key.
"""

from dataclasses import dataclass, field

from ...models import Identifier, Item, MergeLog, Record
from .. import bulk
from ..identifiers import is_shared_system_number

MATCH_ORDER = (("ppn",), ("isbn", "issn"), ("system", "nbd"))


class Pending:
    """A record to create in this batch: the incoming record it was made from (replaced
    by a richer one merged into it in the same batch) and the identifiers it collects."""

    __slots__ = ("source", "identifiers", "pk")

    def __init__(self, source):
        self.source = source
        self.identifiers = set(source.identifiers)
        self.pk = None


def target_id(target):
    """The database id of a match target: an existing record's id, or a Pending's."""
    return target.pk if isinstance(target, Pending) else target


@dataclass
class Known:
    """What the database knows about a batch: record ids by fingerprint, by identifier
    (scheme, value) and by match key, and the richness of the candidates."""

    by_hash: dict
    by_ident: dict
    by_key: dict
    richness: dict


@dataclass
class Plan:
    """The decisions for one batch. Targets are database ids or Pending objects."""

    pending: list = field(default_factory=list)
    tombstones: list = field(default_factory=list)  # (incoming, survivor target, merge info)
    replaced: dict = field(default_factory=dict)  # existing id -> Incoming that replaces its MARC
    extra_idents: dict = field(default_factory=dict)  # existing id -> identifiers to add
    placements: list = field(default_factory=list)  # (Incoming, target, merge info or None)


def find_known(batch, *, library) -> Known:
    """What the database already knows about ``batch``, in four plain queries; a local
    035 system number only matches records ``library`` holds."""
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
                (select.format(own_holdings), [scheme, library.pk], local),
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
    return Known(by_hash=by_hash, by_ident=by_ident, by_key=by_key, richness=richness)


def plan_batch(batch, known: Known, report) -> Plan:
    """Decide, record by record: unchanged, new, or merged into an existing or pending
    record (the richer MARC survives). Counts go to ``report``."""
    by_hash, by_ident, by_key, richness = (
        known.by_hash, known.by_ident, known.by_key, known.richness
    )  # fmt: skip
    plan = Plan()
    pending, tombstones, replaced = plan.pending, plan.tombstones, plan.replaced
    extra_idents, placements = plan.extra_idents, plan.placements
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
            target = Pending(p)
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
            pending_target = isinstance(target, Pending)
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
    return plan
