import pytest
from django.core.management import call_command

from bci.catalogue.models import Identifier, ImportRun, IndexQueue, Item, MergeLog, Record
from bci.catalogue.services import import_marc_file

from .marc_samples import utf8_record, uva_bytes, write

RECORD_FIELDS = (
    "marc",
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
    "marc_hash",
)
ITEM_FIELDS = (
    "barcode",
    "record__marc_hash",
    "owner__code",
    "home_branch__code",
    "current_location__code",
    "shelf_code",
    "call_number",
    "material_type",
    "status",
    "price",
)


def snapshot():
    records = sorted(
        (
            tuple(str(r[f]) for f in RECORD_FIELDS)
            for r in Record.objects.filter(deleted_at__isnull=True).values(*RECORD_FIELDS)
        ),
    )
    items = sorted(Item.objects.values_list(*ITEM_FIELDS))
    identifiers = sorted(
        Identifier.objects.filter(record__deleted_at__isnull=True).values_list(
            "record__marc_hash", "scheme", "value"
        )
    )
    return records, items, identifiers


def empty_database():
    MergeLog.objects.all().delete()
    Item.objects.all().delete()
    Identifier.objects.all().delete()
    Record.objects.all().delete()
    IndexQueue.objects.all().delete()
    ImportRun.objects.all().delete()


@pytest.mark.parametrize("fmt", ["marcxml", "iso2709"])
def test_export_and_reimport_into_an_empty_database_gives_the_same_records_and_items(
    net, tmp_path, fmt
):
    source = write(tmp_path, "in.mrc", uva_bytes(80))
    import_marc_file(paths=[source], library=net.lib_a, branch_map={"IVY": "A-2"})
    extra = utf8_record(
        "Pluk van de Petteflet",
        author="Schmidt, Annie M.G.",
        isbn="9789045106199",
        barcodes=["P1", "P2"],
        shelf="AK",
    )
    import_marc_file(paths=[write(tmp_path, "x.mrc", extra.as_marc())], library=net.lib_a)
    item = Item.objects.get(barcode="P2")
    item.price = "19.95"
    item.status = Item.Status.MISSING
    item.save()
    # another library's items stay out of LIB-A's export
    other = utf8_record(
        "Pluk van de Petteflet", author="Schmidt, Annie M.G.", isbn="9789045106199", barcodes=["B9"]
    )
    import_marc_file(paths=[write(tmp_path, "b.mrc", other.as_marc())], library=net.lib_b)
    Item.objects.filter(barcode="B9").delete()
    before = snapshot()
    assert len(before[1]) > 100

    out = tmp_path / f"out.{fmt}"
    call_command("export_marc", str(out), "--library", "LIB-A", "--format", fmt, verbosity=0)
    empty_database()
    report = import_marc_file(paths=[out], library=net.lib_a, fmt=fmt, items="852")
    assert report.rejected_count == 0 and report.items_rejected_count == 0
    assert snapshot() == before
    record = Record.objects.get(identifiers__value="9789045106199")
    assert (record.material_type, record.audience) == ("picture_book", "youth")


def test_export_contains_items_in_852(net, tmp_path):
    rec = utf8_record("Het Achterhuis", isbn="9789044331417", barcodes=["H1"], shelf="ROMAN")
    import_marc_file(paths=[write(tmp_path, "a.mrc", rec.as_marc())], library=net.lib_a)
    out = tmp_path / "out.xml"
    call_command("export_marc", str(out), "--library", "LIB-A", verbosity=0)
    from pymarc import parse_xml_to_array

    (record,) = parse_xml_to_array(str(out))
    (field,) = record.get_fields("852")
    assert [(s.code, s.value) for s in field.subfields] == [
        ("a", "LIB-A"),
        ("b", "A-1"),
        ("c", "ROMAN"),
        ("h", "A FRAN"),
        ("p", "H1"),
        ("w", "book"),
        ("s", "available"),
    ]
