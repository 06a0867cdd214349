from django.http import QueryDict

from bci.catalogue.search import FACETS as SEARCH_FACETS
from bci.catalogue.search import SORTS as SEARCH_SORTS
from bci.opac.params import FACETS, MAX_PAGE, MAX_QUERY_LENGTH, SORTS, parse_params


def test_facet_names_and_sorts_match_the_search_service():
    assert tuple(FACETS) == tuple(SEARCH_FACETS)
    assert set(SORTS) <= set(SEARCH_SORTS)


def test_parse_keeps_known_facets_and_drops_unknown_parameters():
    p = parse_params(QueryDict("q=jip&material_type=book&material_type=dvd&colour=red&page=2"))
    assert p.q == "jip"
    assert p.filters == {"material_type": ("book", "dvd")}
    assert p.page == 2
    assert p.notes == ()


def test_parse_is_lenient_with_bad_input():
    p = parse_params(QueryDict("page=abc&sort=bogus&year=&q=%00jip%1f"))
    assert (p.page, p.sort, p.filters, p.q) == (1, "relevance", {}, "jip")
    assert p.notes  # the reader is told the page number was not understood
    assert parse_params(QueryDict("page=-5")).page == 1
    huge = parse_params(QueryDict("page=999999999999999999999999"))
    assert huge.page == MAX_PAGE and huge.notes
    long = parse_params(QueryDict("q=" + "a" * 5000))
    assert len(long.q) == MAX_QUERY_LENGTH and long.notes


def test_toggling_a_facet_value_adds_or_removes_it_and_resets_the_page():
    p = parse_params(QueryDict("q=jip&language=dut&page=3&sort=title"))
    assert p.toggled("material_type", "book") == (
        "q=jip&material_type=book&language=dut&sort=title"
    )
    assert p.toggled("language", "dut") == "q=jip&sort=title"
    assert p.query_string(page=2) == "q=jip&language=dut&sort=title&page=2"
