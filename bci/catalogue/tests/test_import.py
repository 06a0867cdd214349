import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bci.catalogue.errors import ImportOptionsInvalid
from bci.catalogue.models import Identifier, ImportRun, IndexQueue, Item, MergeLog, Record
from bci.catalogue.services import import_marc_file

from .marc_samples import UVA, utf8_record, uva_bytes, write


def live():
    return Record.objects.filter(deleted_at__isnull=True)


def test_uva_file_imports_2000_records_with_their_999_items_and_reimport_adds_nothing(net):
    report = import_marc_file(paths=[UVA], library=net.lib_a)
    assert report.read == 2000
    assert report.rejected_count == 0
    assert report.created + report.merged == 2000
    assert Record.objects.count() == 2000  # merged ones stay as tombstones
    assert Item.objects.count() == 2903 == report.items_added
    assert set(Item.objects.values_list("owner__code", flat=True)) == {"LIB-A"}
    # every barcode of the file's 999 fields is there
    assert Item.objects.filter(barcode="X001019384").exists()
    assert report.merged == MergeLog.objects.count()
    state = (Record.objects.count(), Item.objects.count(), Identifier.objects.count())
    queued = IndexQueue.objects.count()

    again = import_marc_file(paths=[UVA], library=net.lib_a)
    assert (again.read, again.created, again.merged, again.items_added) == (2000, 0, 0, 0)
    assert again.unchanged == 2000 and again.items_present == 2903
    assert (Record.objects.count(), Item.objects.count(), Identifier.objects.count()) == state
    assert IndexQueue.objects.count() == queued
    assert ImportRun.objects.filter(finished_at__isnull=False).count() == 2


def test_extracted_fields_and_identifiers(net):
    import_marc_file(paths=[write_tmp(uva_bytes(3))], library=net.lib_a)
    record = Record.objects.get(identifiers__value="(OCoLC)10699329")
    assert record.title == "Iskusstvo perevoda i zhiznʹ literatury"
    assert record.subtitle == "ocherki"
    assert record.main_author.startswith("Fedorov")
    assert (record.year, record.language, record.material_type) == (1983, "rus", "book")
    assert record.sort_title == "iskusstvo perevoda i zhizn literatury"
    assert record.match_key.startswith("iskusstvoperevodaizhiznliteratury|fedorov|1983|book")
    assert "999" not in json.dumps(record.marc)  # holdings become items, not MARC
    assert record.marc["leader"][9] == "a"
    item = record.items.get()
    assert (item.barcode, item.call_number, item.shelf_code) == (
        "X000911909",
        "PN241.5 .S65 F4 1983",
        "STACKS",
    )
    assert item.home_branch.code == "A-1"  # unmapped library code: the main branch


def write_tmp(data, name="f.mrc"):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(data)
    return path


def test_same_title_from_two_libraries_is_one_record_with_both_libraries_items(net, tmp_path):
    a = utf8_record("De avonden", author="Reve, Gerard", isbn="9789023416510", barcodes=["A0001"])
    b = utf8_record(
        "De avonden",
        author="Reve, Gerard",
        isbn="90-234-1651-0",
        barcodes=["B0001", "B0002"],
        extra=[],
    )
    import_marc_file(paths=[write(tmp_path, "a.mrc", a.as_marc())], library=net.lib_a)
    import_marc_file(paths=[write(tmp_path, "b.mrc", b.as_marc())], library=net.lib_b)
    record = live().get()
    owners = sorted(record.items.values_list("owner__code", "barcode"))
    assert owners == [("LIB-A", "A0001"), ("LIB-B", "B0001"), ("LIB-B", "B0002")]


def test_duplicate_barcode_is_refused_per_item_not_per_record(net, tmp_path):
    first = utf8_record("Max Havelaar", author="Multatuli", barcodes=["DUP1"])
    second = utf8_record("Nooit meer slapen", author="Hermans, W.F.", barcodes=["DUP1", "NEW1"])
    data = first.as_marc() + second.as_marc()
    report = import_marc_file(paths=[write(tmp_path, "d.mrc", data)], library=net.lib_a)
    assert report.created == 2 and report.items_added == 2
    assert report.items_rejected == [
        {
            "file": str(tmp_path / "d.mrc"),
            "record": 2,
            "barcode": "DUP1",
            "reason": "barcode appears twice in this import",
        }
    ]
    assert Item.objects.get(barcode="DUP1").record.title == "Max Havelaar"
    # a barcode already in another library's hands
    other = utf8_record("Het diner", author="Koch, Herman", barcodes=["NEW1"])
    report = import_marc_file(paths=[write(tmp_path, "e.mrc", other.as_marc())], library=net.lib_b)
    assert report.created == 1 and report.items_added == 0
    assert "already in use" in report.items_rejected[0]["reason"]


def test_branch_map_and_default_branch(net, tmp_path):
    rec1 = utf8_record("Titel een", barcodes=["M1"], branch="NOORD")
    rec2 = utf8_record("Titel twee", author="Ander, Iemand", barcodes=["M2"], branch="ELDERS")
    rec3 = utf8_record("Titel drie", author="Derde, Iemand", barcodes=["M3"], branch="a-1")
    path = write(tmp_path, "m.mrc", rec1.as_marc() + rec2.as_marc() + rec3.as_marc())
    import_marc_file(
        paths=[path], library=net.lib_a, branch_map={"NOORD": "A-2"}, default_branch="A-2"
    )
    homes = dict(Item.objects.values_list("barcode", "home_branch__code"))
    assert homes == {"M1": "A-2", "M2": "A-2", "M3": "A-1"}


def test_bad_options_are_refused_before_anything_is_written(net, tmp_path):
    path = write(tmp_path, "x.mrc", utf8_record("X", barcodes=["Q1"]).as_marc())
    with pytest.raises(ImportOptionsInvalid):
        import_marc_file(paths=[path], library=net.lib_a, branch_map={"X": "C-1"})
    with pytest.raises(ImportOptionsInvalid):
        import_marc_file(paths=[path], library=net.lib_a, items="123:shelf=a")
    with pytest.raises(ImportOptionsInvalid):
        import_marc_file(paths=[path], library=net.a1)  # a branch, not an organisation
    assert not Record.objects.exists() and not ImportRun.objects.exists()


def test_dry_run_keeps_nothing(net):
    report = import_marc_file(paths=[write_tmp(uva_bytes(50))], library=net.lib_a, dry_run=True)
    assert report.read == 50 and report.created + report.merged == 50
    assert not Record.objects.exists() and not Item.objects.exists()
    assert not IndexQueue.objects.exists() and not ImportRun.objects.exists()


def test_interrupted_import_resumes_after_the_last_committed_batch(net, monkeypatch):
    from bci.catalogue.marc.importer import pipeline

    path = write_tmp(uva_bytes(120))
    calls = {"n": 0}
    real = pipeline.Importer._write

    def crash_on_third_batch(self, name, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, name, batch)

    monkeypatch.setattr(pipeline.Importer, "_write", crash_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        import_marc_file(paths=[path], library=net.lib_a, batch_size=50)
    run = ImportRun.objects.get()
    assert run.records_done == 100 and run.finished_at is None
    assert Record.objects.count() == 100
    monkeypatch.setattr(pipeline.Importer, "_write", real)
    report = import_marc_file(paths=[path], library=net.lib_a, batch_size=50)
    assert report.resumed_from == {str(path): 100}
    assert report.read == 20
    assert Record.objects.count() == 120
    run.refresh_from_db()
    assert run.finished_at is not None and run.records_done == 120


def test_every_new_record_is_queued_for_the_indexer(net):
    import_marc_file(paths=[write_tmp(uva_bytes(30))], library=net.lib_a)
    queued = set(IndexQueue.objects.values_list("record_id", flat=True))
    assert queued == set(live().values_list("id", flat=True))


def test_command_prints_summary_and_writes_json_report(net, tmp_path, capsys):
    path = write(tmp_path, "c.mrc", uva_bytes(10))
    report_path = tmp_path / "report.json"
    call_command("import_marc", str(path), "--library", "LIB-A", "--report", str(report_path))
    data = json.loads(report_path.read_text())
    assert data["read"] == 10 and data["items_added"] == Item.objects.count()
    assert {"created", "merged", "rejected", "items_rejected"} <= set(data)
    assert "items added" in capsys.readouterr().out


def test_command_refuses_unknown_library_and_missing_file(net, tmp_path):
    with pytest.raises(CommandError, match="No library"):
        call_command("import_marc", str(UVA), "--library", "NOPE")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_marc", str(tmp_path / "gone.mrc"), "--library", "LIB-A")


def test_worker_processes_give_the_same_result_as_one_process(net, tmp_path):
    from .marc_samples import uva_chunks

    chunks = list(uva_chunks()[:60])
    chunks[10] = chunks[10][:24] + b"#?" + chunks[10][26:]  # a bad directory
    path = write(tmp_path, "w.mrc", b"".join(chunks))
    report = import_marc_file(paths=[path], library=net.lib_a, workers=2, batch_size=20)
    assert report.read == 60 and report.rejected_count == 1
    assert report.rejected[0]["record"] == 11
    parallel = sorted(live().values_list("marc_hash", flat=True))
    items = sorted(Item.objects.values_list("barcode", "record__marc_hash"))
    Item.objects.all().delete()
    MergeLog.objects.all().delete()
    Identifier.objects.all().delete()
    Record.objects.all().delete()
    ImportRun.objects.all().delete()
    import_marc_file(paths=[path], library=net.lib_a, batch_size=20)
    assert sorted(live().values_list("marc_hash", flat=True)) == parallel
    assert sorted(Item.objects.values_list("barcode", "record__marc_hash")) == items


def test_command_branch_map_csv_and_dry_run(net, tmp_path, capsys):
    rec = utf8_record("Kaas", author="Elsschot, Willem", barcodes=["K7"], branch="NOORD")
    path = write(tmp_path, "k.mrc", rec.as_marc())
    mapping = tmp_path / "branches.csv"
    mapping.write_text("source,node\nNOORD,A-2\n")
    call_command(
        "import_marc", str(path), "--library", "LIB-A", "--branch-map", str(mapping), "--dry-run"
    )
    assert "dry run" in capsys.readouterr().out
    assert not Item.objects.exists()
    call_command("import_marc", str(path), "--library", "LIB-A", "--branch-map", str(mapping))
    assert Item.objects.get(barcode="K7").home_branch.code == "A-2"
    mapping.write_text("NOORD,C-1\n")  # a branch of another library
    with pytest.raises(CommandError, match="not a branch of LIB-A"):
        call_command("import_marc", str(path), "--library", "LIB-A", "--branch-map", str(mapping))
