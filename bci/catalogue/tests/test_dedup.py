import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pymarc import Field, Indicators, Subfield

from bci.catalogue.errors import MergeAlreadyUndone
from bci.catalogue.models import IndexQueue, Item, MergeLog, Record
from bci.catalogue.services import import_marc_file, undo_merge

from .marc_samples import utf8_record, write


def field(tag, code, value, ind=("#", "#")):
    return Field(tag=tag, indicators=Indicators(" ", " "), subfields=[Subfield(code, value)])


def load(net, tmp_path, *records, library=None, name="f.mrc"):
    data = b"".join(r.as_marc() for r in records)
    return import_marc_file(paths=[write(tmp_path, name, data)], library=library or net.lib_a)


def live():
    return Record.objects.filter(deleted_at__isnull=True)


def test_ppn_match_wins_over_isbn(net, tmp_path):
    by_ppn = utf8_record("Titel A", author="Een, Auteur", ppn="148857612", barcodes=["P1"])
    by_isbn = utf8_record("Titel B", author="Twee, Auteur", isbn="9789044331417", barcodes=["P2"])
    load(net, tmp_path, by_ppn, by_isbn, name="a.mrc")
    incoming = utf8_record(
        "Titel C", author="Drie, Auteur", ppn="148857612", isbn="9789044331417", barcodes=["P3"]
    )
    report = load(net, tmp_path, incoming, name="b.mrc")
    assert report.merged == 1
    merge = MergeLog.objects.get()
    assert (merge.matched_on, merge.match_value) == ("ppn", "148857612")
    assert Item.objects.get(barcode="P3").record == Item.objects.get(barcode="P1").record


def test_isbn10_and_isbn13_match(net, tmp_path):
    load(
        net, tmp_path, utf8_record("Het diner", isbn="9789026324871", barcodes=["I1"]), name="a.mrc"
    )
    report = load(
        net,
        tmp_path,
        utf8_record("Diner, het", author="", isbn="90-263-2487-1", barcodes=["I2"]),
        name="b.mrc",
    )
    assert report.merged == 1 and MergeLog.objects.get().matched_on == "isbn"


def test_invalid_isbn_does_not_match(net, tmp_path):
    load(net, tmp_path, utf8_record("Een", isbn="9789026324872", barcodes=["V1"]), name="a.mrc")
    report = load(
        net,
        tmp_path,
        utf8_record("Twee", author="X, Y", isbn="9789026324872", barcodes=["V2"]),
        name="b.mrc",
    )
    assert report.created == 1 and report.merged == 0


def test_035_then_match_key(net, tmp_path):
    a = utf8_record(
        "Eerste", author="A, B", extra=[field("035", "a", "(OCoLC)ocm12345")], barcodes=["S1"]
    )
    b = utf8_record(
        "Tweede", author="C, D", extra=[field("035", "a", "(OCoLC)12345")], barcodes=["S2"]
    )
    c = utf8_record(
        "De Ontdekking van de hemel", author="Mulisch, Harry", year="1992", barcodes=["S3"]
    )
    d = utf8_record(
        "De ontdekking van de hémel!", author="Mulisch, H.", year="1992", barcodes=["S4"]
    )
    report = load(net, tmp_path, a, b, c, d)
    assert report.created == 2 and report.merged == 2
    assert sorted(MergeLog.objects.values_list("matched_on", flat=True)) == ["match_key", "system"]


def test_different_year_or_material_is_not_a_match(net, tmp_path):
    a = utf8_record("Kikker is verliefd", author="Velthuijs, Max", year="1989", barcodes=["K1"])
    b = utf8_record("Kikker is verliefd", author="Velthuijs, Max", year="2009", barcodes=["K2"])
    report = load(net, tmp_path, a, b)
    assert report.created == 2


def test_richer_record_is_kept_and_the_merge_can_be_undone(net, tmp_path):
    poor = utf8_record(
        "Oorlog en terpentijn", author="Hertmans, Stefan", isbn="9789023474630", barcodes=["R1"]
    )
    load(net, tmp_path, poor, name="poor.mrc")
    survivor = live().get()
    rich = utf8_record(
        "Oorlog en terpentijn",
        author="Hertmans, Stefan",
        isbn="9789023474630",
        barcodes=["R2", "R3"],
        extra=[
            field("260", "b", "De Bezige Bij"),
            field("650", "a", "Eerste Wereldoorlog"),
            field("490", "a", "Literaire reeks"),
            field("035", "a", "(PPN)381970876"),
        ],
    )
    IndexQueue.objects.all().delete()
    report = load(net, tmp_path, rich, library=net.lib_b, name="rich.mrc")
    assert report.merged == 1
    survivor.refresh_from_db()
    assert survivor.publisher == "De Bezige Bij"  # the richer MARC won
    assert set(survivor.identifiers.values_list("scheme", flat=True)) == {"isbn", "ppn"}
    assert survivor.items.count() == 3
    assert set(IndexQueue.objects.values_list("record_id", flat=True)) == {survivor.pk}
    merge = MergeLog.objects.get()
    assert merge.survivor_marc_before is not None and len(merge.moved_item_ids) == 2

    # importing either file again changes nothing
    again = load(net, tmp_path, poor, name="poor.mrc")
    again_rich = load(net, tmp_path, rich, library=net.lib_b, name="rich.mrc")
    assert again.unchanged == again_rich.unchanged == 1
    assert MergeLog.objects.count() == 1 and Record.objects.count() == 2

    undo_merge(merge=merge, by="test")
    survivor.refresh_from_db()
    merged = Record.objects.get(pk=merge.merged_id)
    assert merged.deleted_at is None and merged.merged_into is None
    assert survivor.publisher == "" and merged.publisher == "De Bezige Bij"
    assert sorted(survivor.items.values_list("barcode", flat=True)) == ["R1"]
    assert sorted(merged.items.values_list("barcode", flat=True)) == ["R2", "R3"]
    assert set(survivor.identifiers.values_list("scheme", flat=True)) == {"isbn"}
    with pytest.raises(MergeAlreadyUndone):
        undo_merge(merge=merge)


def test_merges_command_lists_and_undoes(net, tmp_path, capsys):
    load(
        net,
        tmp_path,
        utf8_record("Boek", isbn="9789026324871", barcodes=["C1"]),
        utf8_record("Boek", isbn="9789026324871", author="Ander, Iemand", barcodes=["C2"]),
    )
    merge = MergeLog.objects.get()
    call_command("merges", "list")
    assert "isbn" in capsys.readouterr().out
    call_command("merges", "undo", str(merge.pk))
    assert live().count() == 2
    with pytest.raises(CommandError, match="al ongedaan gemaakt"):
        call_command("merges", "undo", str(merge.pk))
    with pytest.raises(CommandError, match="No merge"):
        call_command("merges", "undo", "999999")


def test_local_035_numbers_match_only_within_the_library_that_holds_them(net, tmp_path):
    """Two libraries on the same vendor system share its number space: "(Sirsi)u42" at
    library A and at library B are different titles. An OCLC number is global."""
    at_a = utf8_record(
        "Het dwaallicht",
        author="Elsschot, Willem",
        extra=[field("035", "a", "(Sirsi)u42")],
        barcodes=["L1"],
    )
    load(net, tmp_path, at_a, name="a.mrc")
    other_title_at_b = utf8_record(
        "Kaas", author="Elsschot, W.", extra=[field("035", "a", "(Sirsi)u42")], barcodes=["L2"]
    )
    report = load(net, tmp_path, other_title_at_b, library=net.lib_b, name="b.mrc")
    assert report.created == 1 and report.merged == 0
    edited_at_a = utf8_record(
        "Dwaallicht, het",
        author="Elsschot, W.",
        extra=[field("035", "a", "(Sirsi)u42")],
        barcodes=["L3"],
    )
    report = load(net, tmp_path, edited_at_a, name="c.mrc")
    assert report.merged == 1 and MergeLog.objects.get().matched_on == "system"
    oclc_at_b = utf8_record(
        "Lijmen",
        author="Elsschot, Willem",
        extra=[field("035", "a", "(OCoLC)777")],
        barcodes=["L4"],
    )
    load(net, tmp_path, oclc_at_b, library=net.lib_b, name="d.mrc")
    same_oclc_at_c = utf8_record(
        "Het been", author="E., W.", extra=[field("035", "a", "(OCoLC)ocm777")], barcodes=["L5"]
    )
    report = load(net, tmp_path, same_oclc_at_c, library=net.lib_c, name="e.mrc")
    assert report.merged == 1
    assert Item.objects.get(barcode="L5").record == Item.objects.get(barcode="L4").record


def test_a_record_that_gains_another_librarys_copies_gets_a_new_datestamp(net, tmp_path):
    import datetime as dt

    from django.utils import timezone

    load(
        net, tmp_path, utf8_record("Het diner", isbn="9789026324871", barcodes=["T1"]), name="a.mrc"
    )
    record = live().get()
    long_ago = timezone.now() - dt.timedelta(days=30)
    Record.objects.filter(pk=record.pk).update(updated_at=long_ago)
    same = utf8_record("Het diner", isbn="9789026324871", barcodes=["T2"])
    load(net, tmp_path, same, library=net.lib_b, name="b.mrc")
    record.refresh_from_db()
    assert record.items.count() == 2
    assert record.updated_at > long_ago
