"""Build a small catalogue (records with copies across the `net` fixture's branches) and
index it through the real queue and indexer."""

from itertools import count
from types import SimpleNamespace

from django.utils import timezone
from stdnum import ean

from bci.catalogue.models import Identifier, Item, Record
from bci.catalogue.search import index_pending
from bci.catalogue.services import enqueue_reindex

_barcodes = count(1)


def valid_isbn13(stem):
    """A valid ISBN-13 from a 12-digit stem."""
    return stem + ean.calc_check_digit(stem)


def make_record(title, *, authors=("Annie M.G. Schmidt",), isbn=None, **fields):
    marc = {
        "leader": "00000nam a2200000 a 4500",
        "fields": [
            {"001": f"T{title[:10]}"},
            {"100": {"ind1": "1", "ind2": " ", "subfields": [{"a": authors[0]}]}}
            if authors
            else {"500": {"ind1": " ", "ind2": " ", "subfields": [{"a": "no author"}]}},
            {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": title}]}},
        ],
    }
    fields.setdefault("language", "dut")
    fields.setdefault("material_type", "book")
    record = Record.objects.create(
        marc=marc,
        title=title,
        authors=list(authors),
        main_author=authors[0] if authors else "",
        sort_title=title.lower(),
        **fields,
    )
    if isbn:
        Identifier.objects.create(record=record, scheme="isbn", value=isbn)
    return record


def make_item(record, branch, *, status="available", shelf_code="A SCHM", **fields):
    return Item.objects.create(
        barcode=f"B{next(_barcodes):08d}",
        record=record,
        owner=branch.parent,
        home_branch=branch,
        status=status,
        shelf_code=shelf_code,
        **fields,
    )


def index_all():
    enqueue_reindex(*Record.objects.values_list("pk", flat=True))
    index_pending()


def small_catalogue(net):
    """Four live records, one deleted, one merged; indexed.

    jip: 3 of 5 available (A Centrum x2, A Noord x1; A Noord on loan; B Centrum in
    transit; a withdrawn copy at C that nobody sees).
    """
    isbn = valid_isbn13("978904511734")
    jip = make_record(
        "Jip en Janneke",
        isbn=isbn,
        year=1977,
        material_type="picture_book",
        audience="youth",
        publisher="Querido",
        subjects=["Kinderboeken", "Vriendschap"],
    )
    avonden = make_record(
        "De avonden", authors=("Gerard Reve",), year=1947, audience="adult", subjects=["Roman"]
    )
    hobbit = make_record(
        "The Hobbit", authors=("J.R.R. Tolkien",), year=1937, language="eng", audience="adult"
    )
    pluk = make_record("Pluk van de Petteflet", year=1971, audience="youth")
    gone = make_record("Verwijderde titel", year=2001)
    gone.deleted_at = timezone.now()
    gone.save()
    merged = make_record("Jip en Janneke (dubbel)", year=1977)
    merged.deleted_at = timezone.now()
    merged.merged_into = jip
    merged.save()

    make_item(jip, net.a1, shelf_code="AP SCHM")
    make_item(jip, net.a1, shelf_code="AP SCHM")
    make_item(jip, net.a2, shelf_code="AP SCHM")
    make_item(jip, net.a2, status="on_loan", shelf_code="AP SCHM")
    make_item(jip, net.b1, status="in_transit", shelf_code="AK")
    make_item(jip, net.c1, status="withdrawn", shelf_code="OUD")
    make_item(avonden, net.b1, status="on_loan", shelf_code="R REVE")
    make_item(hobbit, net.c1, shelf_code="R TOLK")
    make_item(hobbit, net.c1, status="on_hold_shelf", shelf_code="R TOLK")
    make_item(pluk, net.a1, status="missing", shelf_code="E SCHM")
    index_all()
    return SimpleNamespace(
        jip=jip, avonden=avonden, hobbit=hobbit, pluk=pluk, gone=gone, merged=merged, isbn=isbn
    )
