"""Bad input: each bad record is rejected with its number, byte offset and reason and the
rest of the file imports; a file that is not MARC stops with one clear message."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from bci.catalogue.errors import NotMarcFile
from bci.catalogue.marc.reading.files import read_records
from bci.catalogue.models import ImportRun, Item, Record
from bci.catalogue.services import import_marc_file

from .marc_samples import DUTCH_XML, utf8_record, uva_chunks, write

pytestmark = pytest.mark.django_db


def offsets(chunks):
    out, pos = [], 0
    for chunk in chunks:
        out.append(pos)
        pos += len(chunk)
    return out


def run(net, tmp_path, data, name="bad.mrc", **options):
    path = write(tmp_path, name, data)
    return import_marc_file(paths=[path], library=net.lib_a, **options)


def only_rejection(report):
    assert report.rejected_count == 1, report.rejected
    return report.rejected[0]


def test_truncated_file_keeps_the_complete_records(net, tmp_path):
    chunks = list(uva_chunks()[:21])
    chunks[20] = chunks[20][: len(chunks[20]) // 2]
    report = run(net, tmp_path, b"".join(chunks))
    rejected = only_rejection(report)
    assert rejected["record"] == 21 and rejected["offset"] == offsets(chunks)[20]
    assert "truncated" in rejected["reason"]
    assert report.created + report.merged == 20


@pytest.mark.parametrize("delta", [+9, -9])
def test_wrong_record_length_rejects_that_record_only(net, tmp_path, delta):
    chunks = list(uva_chunks()[:10])
    real = len(chunks[4])
    chunks[4] = f"{real + delta:05d}".encode() + chunks[4][5:]
    report = run(net, tmp_path, b"".join(chunks))
    rejected = only_rejection(report)
    assert rejected["record"] == 5 and rejected["offset"] == offsets(chunks)[4]
    assert (
        f"record length in the leader is {real + delta} but the record is {real}"
        == (rejected["reason"])
    )
    assert report.created + report.merged == 9
    assert Item.objects.filter(barcode="X000911909").exists()  # record 2 is fine


def test_unreadable_record_length(net, tmp_path):
    chunks = list(uva_chunks()[:3])
    chunks[1] = b"0x1A7" + chunks[1][5:]
    rejected = only_rejection(run(net, tmp_path, b"".join(chunks)))
    assert rejected["record"] == 2 and "not a number" in rejected["reason"]


@pytest.mark.parametrize(
    "surgery, reason",
    [
        (lambda c: c[:24] + b"2451" + c[28:], "bad directory entry 1"),  # length digits
        (lambda c: c[:27] + b"9999" + c[31:], "bad directory entry 1"),  # past the end
        (lambda c: c[:24] + b"#?" + c[26:], "bad directory entry 1"),  # tag
        (lambda c: c[:12] + b"00030" + c[17:], "bad directory"),  # base address
    ],
)
def test_bad_directory_rejects_that_record_only(net, tmp_path, surgery, reason):
    chunks = list(uva_chunks()[:5])
    chunks[2] = surgery(chunks[2])
    assert len(chunks[2]) == len(uva_chunks()[2])
    report = run(net, tmp_path, b"".join(chunks))
    rejected = only_rejection(report)
    assert rejected["record"] == 3 and rejected["offset"] == offsets(chunks)[2]
    assert reason in rejected["reason"]
    assert report.created + report.merged == 4


def test_invalid_utf8_rejects_that_record_only(net, tmp_path):
    good = utf8_record("Het gouden ei", author="Krabbé, Tim", barcodes=["U1"]).as_marc()
    bad = utf8_record("Het zilveren ei", author="Krabbé, Tim", barcodes=["U2"]).as_marc()
    bad = bad.replace(b"zilveren", b"zil\xff\xferen")  # same length
    report = run(net, tmp_path, good + bad)
    rejected = only_rejection(report)
    assert rejected["record"] == 2 and rejected["offset"] == len(good)
    assert rejected["reason"].startswith("invalid UTF-8 at byte")
    assert list(Record.objects.values_list("title", flat=True)) == ["Het gouden ei"]


def marc8_with_diacritics():
    for i, chunk in enumerate(uva_chunks()):
        if not chunk.isascii() and b"\x1b" not in chunk and chunk[9:10] == b" ":
            return i, chunk
    raise AssertionError("no MARC-8 record with diacritics in the sample")


def test_broken_marc8_escape_rejects_that_record_only(net, tmp_path):
    chunks = list(uva_chunks()[:6])
    position = chunks[3].index(b"\x1f", chunks[3].index(b"\x1e", 30)) + 2
    chunks[3] = chunks[3][:position] + b"\x1bZ" + chunks[3][position + 2 :]
    report = run(net, tmp_path, b"".join(chunks))
    rejected = only_rejection(report)
    assert rejected["record"] == 4
    assert rejected["reason"].startswith("broken MARC-8 escape sequence at byte")
    assert report.created + report.merged == 5


def test_marc8_is_converted_to_utf8():
    _, chunk = marc8_with_diacritics()
    raw = next(read_records(chunk))
    assert raw.error == "" and raw.warning == ""
    assert raw.record.leader[9] == "a"
    text = str(raw.record)
    assert not re.search(r"[\x80-\x9f]", text)


def test_mislabelled_encodings_are_detected(net, tmp_path):
    # labelled MARC-8, bytes are UTF-8
    utf8 = bytearray(utf8_record("Brontë in Nederland", barcodes=["E1"]).as_marc())
    utf8[9:10] = b" "
    raw = next(read_records(bytes(utf8)))
    assert raw.record["245"]["a"] == "Brontë in Nederland"
    assert "says MARC-8 but the data is UTF-8" in raw.warning
    # labelled UTF-8, bytes are MARC-8
    _, chunk = marc8_with_diacritics()
    raw_marc8 = next(read_records(chunk))
    labelled = chunk[:9] + b"a" + chunk[10:]
    raw = next(read_records(labelled))
    assert raw.error == ""
    assert "says UTF-8 but the data is MARC-8" in raw.warning
    assert str(raw.record) == str(raw_marc8.record)
    report = run(net, tmp_path, bytes(utf8) + labelled)
    assert report.rejected_count == 0 and len(report.warnings) == 2


def test_record_over_99999_bytes_is_rejected_and_the_rest_imports(net, tmp_path):
    chunks = list(uva_chunks()[:3])
    big = chunks[1]
    base = int(big[12:17])
    # twelve 9,000-byte notes appended as fields: the record grows past 99,999 bytes and
    # its leader can no longer say how long it is
    note = b"  \x1fa" + b"x" * 9000 + b"\x1e"
    directory = big[24 : base - 1]
    data = big[base:-1]
    for _ in range(12):
        directory += b"500" + f"{len(note):04d}".encode() + f"{len(data) % 100000:05d}".encode()
        data += note
    body = directory + b"\x1e" + data + b"\x1d"
    leader = b"99999" + big[5:12] + f"{24 + len(directory) + 1:05d}".encode() + big[17:24]
    chunks[1] = leader + body
    assert len(chunks[1]) > 99_999
    report = run(net, tmp_path, b"".join(chunks))
    rejected = only_rejection(report)
    assert rejected["record"] == 2 and rejected["offset"] == len(chunks[0])
    assert "over the MARC limit of 99,999 bytes" in rejected["reason"]
    assert report.created + report.merged == 2


def test_marcxml_missing_tags_and_codes(net, tmp_path):
    text = DUTCH_XML.read_text()
    records = text.split("<record>")
    assert len(records) == 12
    records[2] = records[2].replace('<datafield tag="245"', "<datafield", 1)
    records[4] = re.sub(r'<subfield code="a">', "<subfield>", records[4], count=1)
    records[6] = records[6].replace('<controlfield tag="008">', "<controlfield>", 1)
    report = run(net, tmp_path, "<record>".join(records).encode(), name="bad.xml")
    assert [(r["record"], r["reason"].split(" (")[0]) for r in report.rejected] == [
        (2, "datafield without a valid tag"),
        (4, "subfield without a valid code"),
        (6, "controlfield without a valid tag"),
    ]
    assert all(r["offset"] > 0 for r in report.rejected)
    assert report.created + report.merged == 8


def test_marcxml_not_well_formed_midway_keeps_the_records_before(net, tmp_path):
    text = DUTCH_XML.read_text()
    cut = text.index("<record>", text.index("<record>", text.index("<record>") + 1) + 1)
    data = (text[:cut] + "<record><leader>broken</record>").encode()
    report = run(net, tmp_path, data, name="cut.xml")
    assert report.created + report.merged == 2
    assert "not well-formed" in only_rejection(report)["reason"]


@pytest.mark.parametrize(
    "data, name",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "picture.mrc"),
        (b"title;author\nMax Havelaar;Multatuli\n", "list.csv"),
        (b"<html><body>hallo</body></html>", "page.xml"),
        (b"", "empty.mrc"),
    ],
)
def test_a_file_that_is_not_marc_stops_with_one_clear_message(net, tmp_path, data, name):
    path = write(tmp_path, name, data)
    with pytest.raises(NotMarcFile) as info:
        import_marc_file(paths=[path], library=net.lib_a)
    assert info.value.code == "not_marc_file"
    with translation.override("en"):
        assert str(info.value).startswith(f"{path} is not a MARC file: it ")
    with translation.override("nl"):
        assert str(info.value).startswith(f"{path} is geen MARC-bestand: it ")
    assert not ImportRun.objects.exists() and not Record.objects.exists()
    with translation.override("en"), pytest.raises(CommandError, match="is not a MARC file"):
        call_command("import_marc", str(path), "--library", "LIB-A")


def test_bad_records_never_damage_stored_data(net, tmp_path):
    good = b"".join(uva_chunks()[:5])
    run(net, tmp_path, good, name="good.mrc")
    before = list(Record.objects.order_by("id").values_list("id", "marc_hash", "title"))
    items_before = Item.objects.count()
    chunks = list(uva_chunks()[:5])
    chunks = [c[:24] + b"#?" + c[26:] for c in chunks]  # every directory broken
    report = run(net, tmp_path, b"".join(chunks), name="broken.mrc")
    assert report.rejected_count == 5
    assert list(Record.objects.order_by("id").values_list("id", "marc_hash", "title")) == before
    assert Item.objects.count() == items_before
