"""Records and items for circulation tests (the catalogue has no factories of its own)."""

import itertools

from bci.catalogue.models import Item, Record

_seq = itertools.count(1)


def make_record(title=None, material_type="book"):
    n = next(_seq)
    title = title or f"Titel {n}"
    return Record.objects.create(
        marc={"leader": "00000nam a2200000 a 4500", "fields": []},
        title=title,
        material_type=material_type,
    )


def make_item(record, branch, *, barcode=None, status="available", location=None, **extra):
    """A copy owned by ``branch``'s organisation with ``branch`` as its home."""
    return Item.objects.create(
        barcode=barcode or f"I{next(_seq):08d}",
        record=record,
        owner=branch.organisation,
        home_branch=branch,
        current_location=location or branch,
        material_type=extra.pop("material_type", record.material_type),
        status=status,
        **extra,
    )
