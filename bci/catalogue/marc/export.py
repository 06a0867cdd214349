"""Export a library's holdings as MARC (ISO 2709 or MARCXML) with items in 852.

852 (our mapping, read back by the ``852`` import preset): $a owning library code,
$b home branch code, $c shelf code, $h call number, $p barcode, $w material type,
$s status, $9 price.
"""

from pymarc import Field, Indicators, Leader, MARCWriter, Record, Subfield, XMLWriter
from pymarc.exceptions import RecordLengthInvalid

from ..models import Item
from ..models import Record as RecordModel

CHUNK = 500


def record_from_dict(marc):
    """A pymarc Record from MARC-in-JSON (Record.as_dict())."""
    leader = marc.get("leader") or "00000nam a2200000 a 4500"
    record = Record(leader=leader, force_utf8=True)
    record.leader = Leader(leader[:9] + "a" + leader[10:])
    for entry in marc.get("fields", ()):
        for tag, value in entry.items():
            if isinstance(value, str):
                record.add_field(Field(tag=tag, data=value))
            else:
                subfields = [
                    Subfield(code=code, value=text)
                    for sub in value.get("subfields", ())
                    for code, text in sub.items()
                ]
                record.add_field(
                    Field(
                        tag=tag,
                        indicators=Indicators(value.get("ind1", " "), value.get("ind2", " ")),
                        subfields=subfields,
                    )
                )
    return record


def item_field(item):
    """The 852 of one item (a dict from ``Item.objects.values``)."""
    pairs = [
        ("a", item["owner__code"]),
        ("b", item["home_branch__code"]),
        ("c", item["shelf_code"]),
        ("h", item["call_number"]),
        ("p", item["barcode"]),
        ("w", item["material_type"]),
        ("s", item["status"]),
        ("9", f"{item['price']:.2f}" if item["price"] is not None else ""),
    ]
    return Field(
        tag="852",
        indicators=Indicators(" ", " "),
        subfields=[Subfield(code=c, value=v) for c, v in pairs if v],
    )


def export_library(*, library, fmt, handle, progress=None):
    """Write every live record holding items of ``library``, each with its items in 852,
    to the binary file object ``handle``. Returns {"records", "items", "skipped"}."""
    if fmt not in ("marcxml", "iso2709"):
        raise ValueError(f"unknown format {fmt!r}")
    writer = XMLWriter(handle) if fmt == "marcxml" else MARCWriter(handle)
    record_ids = list(
        Item.objects.filter(owner=library, record__deleted_at__isnull=True)
        .values_list("record_id", flat=True)
        .distinct()
        .order_by("record_id")
    )
    counts = {"records": 0, "items": 0, "skipped": []}
    for start in range(0, len(record_ids), CHUNK):
        chunk = record_ids[start : start + CHUNK]
        marcs = dict(RecordModel.objects.filter(id__in=chunk).values_list("id", "marc"))
        items = {}
        for item in (
            Item.objects.filter(owner=library, record_id__in=chunk)
            .order_by("record_id", "barcode")
            .values(
                "record_id",
                "barcode",
                "owner__code",
                "home_branch__code",
                "shelf_code",
                "call_number",
                "material_type",
                "status",
                "price",
            )
        ):
            items.setdefault(item["record_id"], []).append(item)
        for record_id in chunk:
            record = record_from_dict(marcs[record_id])
            for item in items.get(record_id, ()):
                record.add_ordered_field(item_field(item))
            try:
                writer.write(record)
            except RecordLengthInvalid:
                counts["skipped"].append(
                    {"record": record_id, "reason": "over 99,999 bytes in ISO 2709"}
                )
                continue
            counts["records"] += 1
            counts["items"] += len(items.get(record_id, ()))
        if progress:
            progress(len(chunk))
    if fmt == "marcxml":
        writer.close(close_fh=False)
    return counts
