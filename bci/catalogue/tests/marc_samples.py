"""Real sample records (bci/demo/data/marc) and byte surgery on them, for the tests."""

from functools import cache
from pathlib import Path

from django.conf import settings
from pymarc import Field, Indicators, MARCReader, Record, Subfield

MARC_DIR = Path(settings.BASE_DIR) / "bci" / "demo" / "data" / "marc"
UVA = MARC_DIR / "uva_001_2000.mrc"
DUTCH_XML = MARC_DIR / "uva_dutch_language.marcxml.xml"
SPEC_XML = MARC_DIR / "specTestRecs.xml"


@cache
def uva_chunks():
    """The raw ISO 2709 bytes of each UVA record."""
    data = UVA.read_bytes()
    chunks, pos = [], 0
    while pos < len(data):
        length = int(data[pos : pos + 5])
        chunks.append(data[pos : pos + length])
        pos += length
    return tuple(chunks)


def uva_bytes(n, start=0):
    return b"".join(uva_chunks()[start : start + n])


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def utf8_record(
    title="Het achterhuis",
    *,
    author="Frank, Anne",
    isbn=None,
    ppn=None,
    barcodes=(),
    year="1947",
    extra=(),
    branch="",
    shelf="",
):
    """A small UTF-8 pymarc Record with 999 items (the UVA preset)."""
    record = Record(force_utf8=True, leader="00000nam a2200000 a 4500")
    if ppn:
        record.add_field(Field(tag="001", data=ppn))
    record.add_field(Field(tag="008", data=f"000101s{year}    ne            000 1 dut d"))
    if isbn:
        record.add_field(
            Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
        )
    if author:
        record.add_field(
            Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", author)])
        )
    record.add_field(
        Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", title)])
    )
    for field in extra:
        record.add_field(field)
    for barcode in barcodes:
        subs = [Subfield("a", "A FRAN"), Subfield("i", barcode), Subfield("t", "BOOK")]
        if branch:
            subs.append(Subfield("m", branch))
        if shelf:
            subs.append(Subfield("l", shelf))
        record.add_field(Field(tag="999", indicators=Indicators(" ", " "), subfields=subs))
    return record


def parse_all(data):
    return list(MARCReader(data, to_unicode=True, force_utf8=True))
