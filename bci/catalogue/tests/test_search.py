"""Catalogue search: Dutch analysis, identifiers, typos, phrases, lenient parsing, facets,
paging and sorting, and the index queue."""

import threading
from collections import Counter

import pytest
from stdnum import isbn as stdnum_isbn

from bci.catalogue.models import Identifier, IndexQueue, Item, Record
from bci.catalogue.search import FACETS, index_pending, rebuild_index, run_indexer, search
from bci.catalogue.services import change_item_status, enqueue_reindex

MARC = {"leader": "00000nam a2200000 a 4500", "fields": [{"001": "x"}]}


def make_record(
    title,
    *,
    authors=(),
    subjects=(),
    year=None,
    language="dut",
    material_type="book",
    audience="adult",
    isbn=None,
    ppn=None,
    items=(),
):
    record = Record.objects.create(
        marc=MARC,
        title=title,
        authors=list(authors),
        main_author=(authors or [""])[0],
        subjects=list(subjects),
        year=year,
        language=language,
        material_type=material_type,
        audience=audience,
    )
    if isbn:
        Identifier.objects.create(record=record, scheme="isbn", value=isbn)
    if ppn:
        Identifier.objects.create(record=record, scheme="ppn", value=ppn)
    for barcode, owner, branch, status in items:
        Item.objects.create(
            barcode=barcode, record=record, owner=owner, home_branch=branch, status=status
        )
    enqueue_reindex(record.id)
    return record


def ids(result):
    return [h.record_id for h in result.hits]


@pytest.fixture
def books(net):
    r = {
        "boek": make_record(
            "Het grote boek van de zee",
            authors=["Jansen, Piet"],
            year=2001,
            subjects=["Zee"],
            items=[("B1", net.lib_a, net.a1, "available")],
        ),
        "fietsen": make_record(
            "Fietsen in Nederland",
            authors=["Vries, Anna de"],
            year=2015,
            subjects=["Fietsen", "Nederland"],
            items=[("B2", net.lib_a, net.a2, "available"), ("B3", net.lib_b, net.b1, "on_loan")],
        ),
        "fiets": make_record(
            "Mijn fiets",
            authors=["Bakker, Kees"],
            year=2019,
            material_type="picture_book",
            audience="youth",
            items=[("B4", net.lib_b, net.b1, "available")],
        ),
        "cafe": make_record(
            "Een avond in het café",
            authors=["Mulisch, Harry"],
            year=1999,
            isbn="9789023466345",
            items=[("B5", net.lib_c, net.c1, "on_loan")],
        ),
        "potter": make_record(
            "Harry Potter en de steen der wijzen",
            authors=["Rowling, J.K."],
            year=1998,
            language="dut",
            audience="youth",
            ppn="148857612",
            items=[("B6", net.lib_a, net.a1, "available")],
        ),
        "english": make_record(
            "The book thief",
            authors=["Zusak, Markus"],
            year=2005,
            language="eng",
            material_type="audiobook",
            items=[("B7", net.lib_c, net.c1, "available")],
        ),
    }
    assert index_pending() == len(r)
    return r


def test_dutch_stemming_finds_singular_and_plural(books):
    assert books["boek"].id in ids(search("boeken"))
    assert set(ids(search("fiets"))) >= {books["fiets"].id, books["fietsen"].id}
    assert set(ids(search("fietsen"))) >= {books["fiets"].id, books["fietsen"].id}


def test_ascii_folding_and_stop_words(books):
    assert ids(search("een cafe")) == [books["cafe"].id]
    assert ids(search("CAFÉ")) == [books["cafe"].id]


def test_isbn10_input_finds_isbn13_record_first(books):
    isbn10 = stdnum_isbn.format(stdnum_isbn.to_isbn10("9789023466345"))  # with hyphens
    # Another record mentions the digits in its title: the identifier hit still wins.
    make_record(f"Over nummer {isbn10.replace('-', '')}")
    index_pending()
    result = search(isbn10)
    assert ids(result)[0] == books["cafe"].id
    assert ids(search("978-90-234-6634-5"))[0] == books["cafe"].id


def test_ppn_and_item_barcode_find_their_record(books):
    assert ids(search("148857612")) == [books["potter"].id]
    assert ids(search("b6")) == [books["potter"].id]
    assert ids(search("barcode:B3")) == [books["fietsen"].id]


def test_title_and_author_boosts_rank_title_matches_first(books, net):
    make_record("Reisverhalen", subjects=["Zee", "Zee zeilen"], authors=["Zee, Jan van der"])
    index_pending()
    result = search("zee")
    assert result.total == 2
    # title match (boost 3) beats the author match (boost 2)
    assert ids(result)[0] == books["boek"].id


def test_typo_tolerance_for_title_and_author_words(books):
    result = search("harry pottr")
    assert ids(result) == [books["potter"].id]
    assert result.corrected
    assert not search("harry potter").corrected
    assert ids(search("rowlnig"))[:1] == [books["potter"].id]  # transposition
    assert search("xyzzyq").total == 0


def test_phrase_query(books):
    make_record("De zee van het grote verlangen")
    index_pending()
    assert ids(search('"grote boek"')) == [books["boek"].id]
    assert len(ids(search("grote zee"))) == 2
    assert ids(search('"steen der wijzen"')) == [books["potter"].id]


def test_boolean_operators_and_fields(books):
    assert set(ids(search("fiets OR potter"))) == {
        books["fiets"].id,
        books["fietsen"].id,
        books["potter"].id,
    }
    assert ids(search("fiets -nederland")) == [books["fiets"].id]
    assert ids(search("fiets NOT nederland")) == [books["fiets"].id]
    assert ids(search("author:mulisch")) == [books["cafe"].id]
    assert search("title:mulisch").total == 0


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "(a OR",
        "AND",
        "title:",
        "***",
        "OR OR",
        "NOT",
        ")(",
        '"""',
        "a:b:c",
        "-",
        'title:"',
        "+++",
        "\\",
        "* AND (",
        "x" * 5000,
        "[1 TO 2]",
        "{}",
        "author:(",
        "\x00",
        "isbn:",
        "🙂 ☃",
    ],
)
def test_broken_queries_never_raise(books, q):
    result = search(q)
    assert result.total >= 0
    assert isinstance(result.facets, dict)


def test_broken_query_still_searches_its_words(books):
    assert ids(search('"harry potter')) == [books["potter"].id]
    assert books["potter"].id in ids(search("(harry OR"))


def _db_facets(records, net):
    """Facet counts computed straight from the database, for comparison."""
    want = {name: Counter() for name in FACETS}
    for r in records:
        want["material_type"][r.material_type] += 1
        want["language"][r.language] += 1
        want["audience"][r.audience] += 1
        if r.year:
            decade = r.year // 10 * 10
            want["year"][f"{decade}-{decade + 9}"] += 1
        for a in r.authors:
            want["author"][a] += 1
        for s in r.subjects:
            want["subject"][s] += 1
        items = list(r.items.select_related("owner", "home_branch", "current_location"))
        for code in {i.owner.code for i in items if i.status not in ("withdrawn", "lost")}:
            want["library"][code] += 1
        for code in {
            (i.current_location or i.home_branch).code for i in items if i.status == "available"
        }:
            want["available_at"][code] += 1
    return {k: dict(v) for k, v in want.items()}


def test_facet_counts_are_exact(books, net):
    # More authors, subjects and branches than the facet slot columns hold.
    make_record(
        "Verzamelde verhalen",
        authors=["Bakker, Kees", "Jansen, Piet", "Vries, Anna de", "Mulisch, Harry"],
        subjects=["Zee", "Fietsen", "Verhalen", "Nederland", "Humor"],
        year=2020,
        items=[
            ("B8", net.lib_a, net.a1, "available"),
            ("B9", net.lib_a, net.a2, "available"),
            ("B10", net.lib_b, net.b1, "available"),
            ("B11", net.lib_c, net.c1, "available"),
            ("B12", net.lib_c, net.c1, "withdrawn"),
        ],
    )
    index_pending()
    result = search("")
    assert result.total == Record.objects.count()
    got = {k: dict(v) for k, v in result.facets.items()}
    assert got == _db_facets(Record.objects.all(), net)
    youth = search("", filters={"audience": ["youth"]})
    assert youth.total == Record.objects.filter(audience="youth").count()
    got = {k: dict(v) for k, v in youth.facets.items()}
    assert got == _db_facets(Record.objects.filter(audience="youth"), net)


def test_facet_filters_combine(books, net):
    assert set(ids(search("", filters={"library": ["LIB-B"]}))) == {
        books["fietsen"].id,
        books["fiets"].id,
    }
    both = search("", filters={"library": ["LIB-B", "LIB-C"], "language": ["dut"]})
    assert set(ids(both)) == {books["fietsen"].id, books["fiets"].id, books["cafe"].id}
    assert ids(search("", filters={"year": ["1990-1999"]})) == sorted(
        [books["cafe"].id, books["potter"].id]
    ) or set(ids(search("", filters={"year": ["1990-1999"]}))) == {
        books["cafe"].id,
        books["potter"].id,
    }
    assert search("", filters={"year": ["not-a-range"]}).total == 0
    assert search("", filters={"nonsense": ["x"]}).total == len(books)


def test_available_at_follows_item_status(books, net):
    assert ids(search("", filters={"available_at": ["A-2"]})) == [books["fietsen"].id]
    item = Item.objects.get(barcode="B2")
    change_item_status(item=item, to=Item.Status.ON_LOAN)
    assert index_pending() == 1
    assert search("", filters={"available_at": ["A-2"]}).total == 0
    change_item_status(item=item, to=Item.Status.AVAILABLE, location=net.a1)
    index_pending()
    assert books["fietsen"].id in ids(search("", filters={"available_at": ["A-1"]}))
    assert search("", filters={"available_at": ["A-2"]}).total == 0


def test_deleted_record_disappears(books):
    from django.utils import timezone

    record = books["cafe"]
    record.deleted_at = timezone.now()
    record.save()
    enqueue_reindex(record.id)
    index_pending()
    assert search("cafe").total == 0
    assert record.id not in ids(search(""))


def test_paging_and_sorting(net):
    for year in range(1990, 2015):
        make_record(f"Deel {year} van de kroniek", year=year)
    make_record("Aap noot mies kroniek", year=None)
    index_pending()
    first = search("kroniek", per_page=10, sort="year")
    second = search("kroniek", per_page=10, page=2, sort="year")
    assert first.total == 26
    years = [Record.objects.get(id=i).year for i in ids(first) + ids(second)]
    assert years == list(range(1990, 2010))
    newest = search("kroniek", per_page=3, sort="-year")
    assert [Record.objects.get(id=i).year for i in ids(newest)] == [2014, 2013, 2012]
    by_title = search("kroniek", per_page=2, sort="title")
    assert Record.objects.get(id=ids(by_title)[0]).title.startswith("Aap")
    all_ids = []
    for page in range(1, 5):
        all_ids += ids(search("kroniek", per_page=7, page=page))
    assert len(all_ids) == len(set(all_ids)) == 26
    assert search("kroniek", page="x", per_page="y", sort="nope").page == 1


def test_queue_rows_are_deleted_only_after_commit(books, monkeypatch):
    from bci.catalogue.search import indexer

    record = books["boek"]
    record.title = "Een heel ander verhaal"
    record.save()
    enqueue_reindex(record.id)

    def broken_commit(writer, records, ids):
        raise RuntimeError("disk full")

    monkeypatch.setattr(indexer, "_write", broken_commit)
    with pytest.raises(RuntimeError):
        index_pending()
    assert IndexQueue.objects.filter(record_id=record.id).exists()
    assert search("verhaal").total == 0
    monkeypatch.undo()
    assert index_pending() == 1
    assert not IndexQueue.objects.exists()
    assert ids(search("verhaal")) == [record.id]


def test_rows_queued_during_indexing_survive(books, monkeypatch):
    from bci.catalogue.search import indexer

    record = books["boek"]
    enqueue_reindex(record.id)
    real_write = indexer._write

    def write_and_enqueue(writer, records, ids):
        real_write(writer, records, ids)
        enqueue_reindex(record.id)  # a change committed while we index

    monkeypatch.setattr(indexer, "_write", write_and_enqueue)
    index_pending()
    assert IndexQueue.objects.filter(record_id=record.id).count() == 1


def test_rebuild_index_from_database(books):
    Record.objects.filter(id=books["fiets"].id).update(title="Een step")
    seen = []
    assert rebuild_index(progress=lambda done, total: seen.append((done, total))) == 6
    assert seen[-1] == (6, 6)
    assert ids(search("step")) == [books["fiets"].id]
    assert not IndexQueue.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_run_indexer_drains_the_queue(books):
    make_record("Nieuw binnen: de kunst van het wachten")
    stop = threading.Event()
    thread = threading.Thread(target=run_indexer, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if search("wachten").total:
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert search("wachten").total == 1


@pytest.mark.parametrize(
    "q",
    [
        "fiets",
        "zee",
        '"grote boek"',
        "harry OR zee",
        "fiets -nederland",
        "author:jansen",
        "title:zee",
        "9789023466345",
        "b6",
        "pottr",
        "",
        "de",
    ],
)
def test_facet_pass_counts_the_same_hits_as_the_search(books, q):
    """The facet pass runs a cheaper match-only query and also yields the total."""
    with_facets = search(q, facets=True)
    without = search(q, facets=False)
    assert with_facets.total == without.total
    assert ids(with_facets) == ids(without)
    assert sum(n for _, n in with_facets.facets["material_type"]) == with_facets.total
