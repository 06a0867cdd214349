"""CQL mapped onto the catalogue index: indexes, relations, modifiers, booleans, masking,
sorting, and the diagnostics of what is not supported."""

import datetime as dt

import pytest

from bci.catalogue.search import rebuild_index
from bci.protocols.sru import cql
from bci.protocols.sru import search as S
from bci.protocols.sru.search import Diagnostic

from .test_oai_metadata import T0, make_record, tombstone


@pytest.fixture
def books(net):
    r = {
        "zee": make_record(
            "Het grote boek van de zee",
            authors=["Jansen, Piet"],
            subjects=["Zee", "Schepen"],
            year=2001,
            isbn="978-90-446-3018-3",
            ppn="148857612",
            items=[("A0001", net.lib_a, net.a1)],
        ),
        "fietsen": make_record(
            "Fietsen in Nederland",
            authors=["Vries, Anna de"],
            subjects=["Fietsen"],
            year=2015,
            language="eng",
            items=[("A0002", net.lib_a, net.a2, "on_loan"), ("B0001", net.lib_b, net.b1)],
        ),
        "fiets": make_record(
            "Mijn fiets",
            authors=["Bakker, Kees"],
            year=2019,
            items=[("C0001", net.lib_c, net.c1)],
        ),
        "zonder": make_record("Anoniem zeeboek", year=None, items=[]),
        "weg": make_record("Het verdwenen boek", authors=["Weg, Wim"], year=2010),
    }
    tombstone(r["weg"], at=T0 + dt.timedelta(days=1))
    rebuild_index()
    return r


def ids(text, **kwargs):
    query = cql.parse(text)
    sort = S.sort_from_cql(query.sort_keys)
    return S.run(S.build(query.root), offset=0, limit=50, sort=sort, **kwargs).record_ids


def names(books, text):
    by_id = {r.id: k for k, r in books.items()}
    return [by_id[i] for i in ids(text)]


def found(books, text):
    return set(names(books, text))


def diagnostic(text):
    with pytest.raises(Diagnostic) as caught:
        query = cql.parse(text)
        S.build(query.root)
        S.sort_from_cql(query.sort_keys)
    return caught.value.number


def test_bare_term_searches_title_author_and_all_text(books):
    assert found(books, "zee") == {"zee"}
    assert found(books, "jansen") == {"zee"}
    assert found(books, "schepen") == {"zee"}  # subject, through all text
    assert found(books, "cql.serverChoice = fiets") == {"fiets", "fietsen"}  # Dutch stemming


def test_tombstones_are_never_found(books):
    assert found(books, "verdwenen") == set()


def test_title_relations(books):
    assert found(books, 'dc.title = "grote boek"') == {"zee"}  # = on a field: adjacency
    assert found(books, 'dc.title = "boek grote"') == set()
    assert found(books, 'dc.title all "boek zee"') == {"zee"}
    assert found(books, 'dc.title any "zee fiets"') == {"zee", "fiets", "fietsen"}
    assert found(books, 'dc.title adj "in nederland"') == {"fietsen"}
    assert found(books, 'dc.title == "het grote boek van de zee"') == {"zee"}
    assert found(books, 'dc.title exact "Grote boek van de zee"') == {"zee"}  # article, case
    assert found(books, 'dc.title == "grote boek"') == set()


def test_not_equal_excludes(books):
    assert found(books, 'dc.title <> "zee" and cql.allRecords = 1') == {
        "fietsen",
        "fiets",
        "zonder",
    }


def test_creator_subject_and_exact_forms(books):
    assert found(books, "dc.creator = jansen") == {"zee"}
    assert found(books, 'dc.creator == "Vries, Anna de"') == {"fietsen"}
    assert found(books, "dc.subject = schepen") == {"zee"}
    assert found(books, 'dc.subject exact "Fietsen"') == {"fietsen"}


def test_dates(books):
    assert found(books, "dc.date = 2015") == {"fietsen"}
    assert found(books, "dc.date > 2010") == {"fietsen", "fiets"}
    assert found(books, "dc.date >= 2015") == {"fietsen", "fiets"}
    assert found(books, "dc.date < 2015") == {"zee"}  # the record without a year is not < 2015
    assert found(books, "dc.date <= 2015") == {"zee", "fietsen"}
    assert found(books, 'dc.date within "2000 2016"') == {"zee", "fietsen"}
    assert found(books, "dc.date <> 2001") == {"fietsen", "fiets", "zonder"}
    assert found(books, 'dc.date any "2001 2019"') == {"zee", "fiets"}
    assert found(books, "dc.date = 2015-06-01") == {"fietsen"}  # an ISO date: its year


def test_identifiers(books):
    assert found(books, "bath.isbn = 9789044630183") == {"zee"}
    assert found(books, "bath.isbn = 90-446-3018-0") == {"zee"}  # ISBN-10 form
    assert found(books, "dc.identifier = 148857612") == {"zee"}
    assert found(books, "zee and 9789044630183") == {"zee"}  # serverChoice knows identifiers
    assert found(books, f"rec.identifier = {books['fiets'].id}") == {"fiets"}
    assert found(books, "rec.identifier = 148857612") == {"zee"}
    assert found(books, "dc.identifier = A0002") == {"fietsen"}  # a barcode
    assert found(books, "rec.identifier = \u00b2") == set()  # a Unicode digit is no id


def test_language_accepts_codes_and_common_names(books):
    assert found(books, "dc.language = eng") == {"fietsen"}
    assert found(books, "dc.language = en") == {"fietsen"}
    assert found(books, "dc.language = nl") == {"zee", "fiets", "zonder"}


def test_library_branch_and_availability(books):
    assert found(books, "bci.library = LIB-A") == {"zee", "fietsen"}
    assert found(books, "bci.library = lib-b") == {"fietsen"}
    assert found(books, 'bci.library any "LIB-B LIB-C"') == {"fietsen", "fiets"}
    assert found(books, "bci.branch = A-2") == {"fietsen"}
    assert found(books, "bci.available = A-2") == set()  # on loan there
    assert found(books, "bci.available = B-1") == {"fietsen"}


def test_booleans_and_parentheses(books):
    assert found(books, "fiets and dc.date > 2016") == {"fiets"}
    assert found(books, "fiets not dc.creator = bakker") == {"fietsen"}
    # equal precedence, left to right: (zee or fiets) and 2019
    assert found(books, "zee or fiets and dc.date = 2019") == {"fiets"}
    assert found(books, "zee or (fiets and dc.date = 2019)") == {"zee", "fiets"}


def test_masking(books):
    assert found(books, "dc.title = fiet*") == {"fiets", "fietsen"}
    assert found(books, "zee*") == {"zee", "zonder"}
    assert found(books, "dc.title = z?e") == {"zee"}
    assert found(books, r"dc.title = zee\*") == {"zee"}  # escaped: a literal, no match needed


def test_modifiers(books):
    assert found(books, "dc.title =/ignoreCase/cql.stem ZEE") == {"zee"}
    assert found(books, "dc.title any/fuzzy fietz") == {"fiets", "fietsen"}
    assert found(books, "dc.title =/relevant zee") == {"zee"}


def test_all_records(books):
    assert found(books, "cql.allRecords = 1") == {"zee", "fietsen", "fiets", "zonder"}


def test_prefix_assignment_maps_to_the_context_set(books):
    assert found(books, '>t="info:srw/cql-context-set/1/dc-v1.1" t.title = zee') == {"zee"}
    assert found(books, "title = zee") == {"zee"}  # unprefixed: resolved in our sets


def test_sorting(books):
    assert names(books, "cql.allRecords = 1 sortBy dc.date") == [
        "zee",
        "fietsen",
        "fiets",
        "zonder",
    ]
    assert names(books, "cql.allRecords = 1 sortBy dc.date/sort.descending")[:3] == [
        "fiets",
        "fietsen",
        "zee",
    ]
    assert names(books, "cql.allRecords = 1 sortBy dc.title") == [
        "zonder",
        "fietsen",
        "zee",
        "fiets",
    ]
    assert names(books, "cql.allRecords = 1 sortBy dc.creator") == [
        "fiets",
        "zee",
        "fietsen",
        "zonder",
    ]
    assert names(books, "cql.allRecords = 1 sortBy dc.creator/sort.descending") == [
        "fietsen",
        "zee",
        "fiets",
        "zonder",
    ]
    assert S.sort_from_sort_keys("dc.title,,0") == S.Sort("title", descending=True)


def test_creator_sort_of_many_hits_uses_the_index(books, monkeypatch):
    monkeypatch.setattr(S, "MAX_CREATOR_SORT", 2)
    assert names(books, "cql.allRecords = 1 sortBy dc.creator/sort.descending")[:3] == [
        "fietsen",
        "zee",
        "fiets",
    ]
    monkeypatch.setattr(S, "_first_author_column", lambda: None)
    with pytest.raises(Diagnostic) as caught:
        ids("cql.allRecords = 1 sortBy dc.creator")
    assert caught.value.number == 83


@pytest.mark.parametrize(
    "text, number",
    [
        ("dc.colour = red", 16),
        ("foo.title = x", 15),
        ('>x="urn:unknown" x.title = y', 15),
        ("dc.title encloses x", 22),
        ("dc.title < x", 22),
        ("dc.title frobs x", 19),
        ("dc.date all 2001", 22),
        ("dc.date = recent", 36),
        ('dc.date within "2001"', 36),
        ("dc.title =/respectCase x", 20),
        ("dc.title =/locale=nl x", 20),
        ("dc.title =/masked/unmasked x", 21),
        ("a prox b", 39),
        ("a and/rel.combine=sum b", 46),
        ('dc.title = ""', 27),
        ('dc.title = "de het een"', 35),
        ("dc.title = z*", 29),
        ("dc.title = ^zee", 31),
        ("bath.isbn = 97890*", 28),
        ("dc.title == fiet*", 28),
        ("zee sortBy dc.subject", 88),
        ("zee sortBy dc.title dc.date", 84),
        ("zee sortBy dc.title/sort.respectCase", 91),
        ("zee sortBy dc.title/sort.missingFail", 92),
    ],
)
def test_unsupported_features_give_their_diagnostic(text, number):
    assert diagnostic(text) == number


def test_sort_keys_parameter_errors():
    with pytest.raises(Diagnostic) as caught:
        S.sort_from_sort_keys("dc.title,,1,1")
    assert caught.value.number == 91
    with pytest.raises(Diagnostic) as caught:
        S.sort_from_sort_keys("dc.subject")
    assert caught.value.number == 88
