"""Reads behind OAI-PMH (and SRU record rendering): pages of records, sets, holdings.

A page costs a fixed handful of queries whatever its size: the records (keyset on
``(updated_at, id)``), their items, their identifiers and the organisation nodes.
"""

import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, Min, OuterRef, Q

from bci.catalogue.models import Identifier, Item, Record
from bci.organisations.models import Node

from .metadata.marc import Holding

SET_SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
RECORD_FIELDS = (
    "id",
    "marc",
    "title",
    "subtitle",
    "authors",
    "main_author",
    "publisher",
    "year",
    "language",
    "material_type",
    "series",
    "subjects",
    "classification",
    "updated_at",
    "deleted_at",
    "merged_into_id",
)


@dataclass(frozen=True)
class OaiSet:
    spec: str
    name: str


def node_index():
    """id -> (kind, code, parent_id, name) of every node; one query."""
    return {
        pk: (kind, code, parent_id, name)
        for pk, kind, code, parent_id, name in Node.objects.values_list(
            "id", "kind", "code", "parent_id", "name"
        )
    }


def valid_spec_part(code):
    return bool(code) and SET_SPEC.match(code) is not None and ":" not in code


def all_sets():
    """``poi:X`` for each POI and ``poi:X:library:Y`` for each library organisation."""
    nodes = node_index()
    result = []
    pois = sorted(
        (code, pk, name)
        for pk, (kind, code, _parent, name) in nodes.items()
        if kind == Node.Kind.POI and valid_spec_part(code)
    )
    for poi_code, poi_id, poi_name in pois:
        result.append(OaiSet(f"poi:{poi_code}", poi_name))
        libraries = sorted(
            (code, name)
            for kind, code, parent, name in nodes.values()
            if kind == Node.Kind.ORGANISATION and parent == poi_id and valid_spec_part(code)
        )
        for code, name in libraries:
            result.append(OaiSet(f"poi:{poi_code}:library:{code}", f"{poi_name}: {name}"))
    return result


def set_organisation_ids(spec):
    """The library organisations a set stands for; None when no such set exists."""
    parts = spec.split(":")
    if len(parts) not in (2, 4) or parts[0] != "poi" or (len(parts) == 4 and parts[2] != "library"):
        return None
    poi = Node.objects.filter(kind=Node.Kind.POI, code=parts[1]).first()
    if poi is None:
        return None
    libraries = Node.objects.filter(kind=Node.Kind.ORGANISATION, parent=poi)
    if len(parts) == 4:
        libraries = libraries.filter(code=parts[3])
        if not libraries.exists():
            return None
    return list(libraries.values_list("id", flat=True))


def records_in(*, organisation_ids=None, from_dt=None, until_before=None):
    """Records (tombstones included) matching OAI selective-harvesting arguments.

    A record belongs to a library's set when the library owns an item of it. A tombstone
    of a merged record also belongs to the sets of its survivor (its items moved there), so
    a set's harvester learns of the deletion; a false positive deletion is harmless.
    """
    qs = Record.objects.all()
    if from_dt is not None:
        qs = qs.filter(updated_at__gte=from_dt)
    if until_before is not None:
        qs = qs.filter(updated_at__lt=until_before)
    if organisation_ids is not None:
        owned = Item.objects.filter(owner_id__in=organisation_ids)
        qs = qs.filter(
            Exists(owned.filter(record_id=OuterRef("pk")))
            | Q(merged_into__isnull=False, deleted_at__isnull=False)
            & Exists(owned.filter(record_id=OuterRef("merged_into_id")))
        )
    return qs


HEADER_FIELDS = ("id", "updated_at", "deleted_at", "merged_into_id")
MARC_FIELDS = (*HEADER_FIELDS, "marc", "title")


def page_after(qs, *, after=None, size, fields=RECORD_FIELDS):
    """Up to ``size`` + 1 records after the keyset position ``after`` = (updated_at, id),
    as named rows with ``fields`` (a harvest page is read-only: no model instances, and
    no JSON decoded that the format does not use)."""
    if after is not None:
        stamp, pk = after
        # ">= stamp" first so the database seeks into the (updated_at, id) index
        qs = qs.filter(Q(updated_at__gte=stamp) & (Q(updated_at__gt=stamp) | Q(id__gt=pk)))
    return list(qs.order_by("updated_at", "id").values_list(*fields, named=True)[: size + 1])


def earliest_datestamp():
    return Record.objects.aggregate(first=Min("updated_at"))["first"]


@dataclass
class PageData:
    """What rendering a page of records needs besides the records themselves."""

    holdings: dict  # record id -> [Holding]
    sets: dict  # record id -> sorted set specs
    identifiers: dict  # record id -> [(scheme, value)]


def page_data(records, *, want_holdings=True, want_sets=True, want_identifiers=True):
    """Holdings, set membership and identifiers of ``records`` in at most two queries
    (items joined with their owner, the owner's parent and the home branch; identifiers).
    """
    ids = [r.id for r in records]
    survivors = {r.id: r.merged_into_id for r in records if r.deleted_at and r.merged_into_id}
    holdings = defaultdict(list)
    owners = defaultdict(set)  # record id -> {(kind, code, parent kind, parent code)}
    if want_holdings or want_sets:
        item_rows = (
            Item.objects.filter(record_id__in=set(ids) | set(survivors.values()))
            .order_by("record_id", "owner__code", "home_branch__code", "barcode")
            .values_list(
                "record_id",
                "owner__kind",
                "owner__code",
                "owner__parent__kind",
                "owner__parent__code",
                "home_branch__code",
                "shelf_code",
                "call_number",
                "barcode",
                "status",
                "material_type",
            )
        )
        for (
            record_id,
            kind,
            code,
            parent_kind,
            parent_code,
            branch_code,
            shelf,
            call_number,
            barcode,
            status,
            mtype,
        ) in item_rows:
            owners[record_id].add((kind, code, parent_kind, parent_code))
            if want_holdings and status != Item.Status.WITHDRAWN:
                holdings[record_id].append(
                    Holding(code, branch_code, shelf, call_number, barcode, mtype, status)
                )
    sets = {}
    if want_sets:
        for record in records:
            owned = set(owners.get(record.id, ()))
            if record.id in survivors:
                owned |= owners.get(survivors[record.id], set())
            specs = set()
            for kind, code, parent_kind, parent_code in owned:
                if kind == Node.Kind.ORGANISATION and parent_kind == Node.Kind.POI:
                    if valid_spec_part(parent_code) and valid_spec_part(code):
                        specs.add(f"poi:{parent_code}")
                        specs.add(f"poi:{parent_code}:library:{code}")
            sets[record.id] = sorted(specs)
    identifiers = defaultdict(list)
    if want_identifiers:
        for record_id, scheme, value in (
            Identifier.objects.filter(record_id__in=ids)
            .order_by("record_id", "scheme", "value")
            .values_list("record_id", "scheme", "value")
        ):
            identifiers[record_id].append((scheme, value))
    return PageData(holdings=holdings, sets=sets, identifiers=identifiers)
