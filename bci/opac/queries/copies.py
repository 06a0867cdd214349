"""Copies for the public: availability for a page of records in one query, and every
copy of one record grouped per library organisation and branch, with live status."""

from __future__ import annotations

from dataclasses import dataclass, field

from bci.catalogue.models import Item
from bci.circulation import queries as circulation_queries
from bci.organisations.models import Node

from .labels import STATUS_LABELS

Status = Item.Status

# Copies the public never sees: gone from the collection.
HIDDEN_STATUSES = (Status.WITHDRAWN, Status.LOST)


@dataclass
class Availability:
    """How many copies a record has and where they can be picked off the shelf now."""

    total: int = 0
    available: int = 0
    available_at: list[str] = field(default_factory=list)  # location names, sorted
    available_at_codes: list[str] = field(default_factory=list)

    def as_dict(self):
        return {
            "total": self.total,
            "available": self.available,
            "available_at": [
                {"code": c, "name": n}
                for c, n in zip(self.available_at_codes, self.available_at, strict=True)
            ],
        }


def availability_for(record_ids):
    """{record_id: Availability} for a page of records in ONE query.

    An available copy stands where it is (its current location) or, when that is not
    recorded, at its home branch.
    """
    ids = list(record_ids)
    result = {rid: Availability() for rid in ids}
    if not ids:
        return result
    rows = (
        Item.objects.filter(record_id__in=ids)
        .exclude(status__in=HIDDEN_STATUSES)
        .values_list(
            "record_id",
            "status",
            "home_branch__code",
            "home_branch__name",
            "current_location__code",
            "current_location__name",
        )
    )
    places = {rid: {} for rid in ids}
    for record_id, status, home_code, home_name, here_code, here_name in rows:
        summary = result[record_id]
        summary.total += 1
        if status == Status.AVAILABLE:
            summary.available += 1
            code, name = (here_code, here_name) if here_code else (home_code, home_name)
            places[record_id][code] = name
    for rid, where in places.items():
        ordered = sorted(where.items(), key=lambda cn: (cn[1] or "").lower())
        result[rid].available_at_codes = [c for c, _n in ordered]
        result[rid].available_at = [n for _c, n in ordered]
    return result


# --- copies of one record, grouped per library organisation and branch ---------------


@dataclass
class Copy:
    item: Item
    status: str
    status_label: str
    due_date: object = None
    location: Node | None = None  # where it stands now, when not at its home branch

    @property
    def is_available(self):
        return self.status == Status.AVAILABLE


@dataclass
class BranchCopies:
    branch: Node
    copies: list[Copy] = field(default_factory=list)

    @property
    def available(self):
        return sum(1 for c in self.copies if c.is_available)


@dataclass
class LibraryCopies:
    library: Node
    branches: list[BranchCopies] = field(default_factory=list)

    @property
    def total(self):
        return sum(len(b.copies) for b in self.branches)

    @property
    def available(self):
        return sum(b.available for b in self.branches)


def public_items(record_ids):
    """Items the public sees, with their places loaded (one query)."""
    return (
        Item.objects.filter(record_id__in=list(record_ids))
        .exclude(status__in=HIDDEN_STATUSES)
        .select_related("owner", "home_branch", "current_location")
        .order_by("owner__name", "home_branch__name", "shelf_code", "barcode")
    )


def copies_of(record):
    """Every copy of ``record`` the public sees, grouped per organisation then home branch,
    with its live status and (if circulation records loans) its due date. Two queries."""
    items = list(public_items([record.pk]))
    dues = circulation_queries.due_dates([i.pk for i in items if i.status == Status.ON_LOAN])
    libraries = {}
    for item in items:
        lib = libraries.setdefault(item.owner_id, LibraryCopies(library=item.owner))
        if not lib.branches or lib.branches[-1].branch.pk != item.home_branch_id:
            lib.branches.append(BranchCopies(branch=item.home_branch))
        elsewhere = (
            item.current_location
            if item.current_location_id and item.current_location_id != item.home_branch_id
            else None
        )
        lib.branches[-1].copies.append(
            Copy(
                item=item,
                status=item.status,
                status_label=STATUS_LABELS.get(item.status, item.status),
                due_date=dues.get(item.pk),
                location=elsewhere,
            )
        )
    return list(libraries.values())
