import pytest
from stdnum import isbn

from bci.catalogue import synth
from bci.catalogue.marc.extract import extract
from bci.catalogue.marc.identifiers import is_valid_ppn
from bci.catalogue.models import Item, Record
from bci.catalogue.services import import_marc_file


def test_same_seed_same_records_other_seed_other_records():
    first = [r.as_marc() for r in synth.records(30, seed=3)]
    assert first == [r.as_marc() for r in synth.records(30, seed=3)]
    assert first != [r.as_marc() for r in synth.records(30, seed=4)]


def test_records_are_dutch_with_valid_identifiers_and_varied_material():
    records = list(synth.records(400, seed=5, branches=["A-1", "A-2"], owner="LIB-A"))
    materials, audiences, languages = set(), set(), []
    for record in records:
        shelf = [f.get("c") for f in record.get_fields("852")]
        fields = extract(record, shelf_codes=shelf)
        ids = dict(fields["identifiers"])
        assert is_valid_ppn(ids["ppn"])
        if "isbn" in ids:
            assert isbn.is_valid(ids["isbn"]) and ids["isbn"].startswith("97890")
        assert fields["title"] and fields["main_author"] and fields["year"]
        assert fields["classification"]  # SISO
        materials.add(fields["material_type"])
        audiences.add(fields["audience"])
        languages.append(fields["language"])
        assert 1 <= len(record.get_fields("852")) <= 3
    assert {
        "book",
        "picture_book",
        "large_print",
        "audiobook",
        "dvd",
        "game",
        "magazine",
    } <= materials
    assert audiences == {"youth", "adult"}
    assert languages.count("dut") > 0.8 * len(languages)


def test_same_as_repeats_the_title_with_other_items():
    a = synth.make_record(7, seed=1, branches=["A-1"])
    b = synth.make_record(70, seed=1, branches=["B-1"], same_as=7)
    strip = [f for f in a.fields if f.tag != "852"], [f for f in b.fields if f.tag != "852"]
    assert [str(f) for f in strip[0]] == [str(f) for f in strip[1]]
    assert {f.get("p") for f in a.get_fields("852")}.isdisjoint(
        {f.get("p") for f in b.get_fields("852")}
    )


def test_synthetic_file_imports_with_items_and_merges(net, tmp_path):
    path = synth.write_file(
        tmp_path / "s.mrc", 120, seed=9, branches=["A-1", "A-2"], owner="LIB-A", duplicate_rate=0.05
    )
    report = import_marc_file(paths=[path], library=net.lib_a, items="852")
    assert report.read == 120 and report.rejected_count == 0
    assert report.merged >= 1 and report.created + report.merged == 120
    assert Item.objects.filter(home_branch__code="A-2").exists()
    record = Record.objects.filter(deleted_at__isnull=True, audience="youth").first()
    assert record is not None


@pytest.fixture
def small_demo(settings):
    settings.BCI_DEMO_TITLES = 2_150


def test_demo_step_loads_real_and_synthetic_titles_once(net, small_demo):
    from rich.console import Console

    from bci.demo import seed
    from bci.demo.steps import catalogue

    quiet = Console(quiet=True)
    summary = catalogue.run(console=quiet, now=None)
    live = Record.objects.filter(deleted_at__isnull=True)
    assert 2_100 <= live.count() <= 2_200, summary
    owners = set(Item.objects.values_list("owner__code", flat=True))
    assert owners == {"LIB-A", "LIB-B", "LIB-C"}
    assert Item.objects.filter(barcode__startswith="S2026").exists()  # synthetic
    assert Item.objects.filter(barcode="X001019384").exists()  # real UVA item
    before = seed.count_rows()
    catalogue.run(console=quiet, now=None)
    assert seed.count_rows() == before
