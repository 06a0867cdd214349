"""The CQL parser: precedence, parentheses, relations, modifiers, quoting, prefixes,
sortBy, and malformed input with the right SRU diagnostic."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bci.protocols.sru.cql import (
    BooleanNode,
    CQLError,
    SearchClause,
    is_masked,
    parse,
    term_pieces,
    tokenize,
    unescape,
)


def shape(text):
    return str(parse(text))


def test_bare_term_is_server_choice():
    query = parse("zee")
    assert query.root == SearchClause("cql.serverchoice", query.root.relation, "zee", 0)
    assert query.root.relation.name == "="


def test_index_relation_term():
    clause = parse("dc.title any fiets").root
    assert (clause.index, clause.relation.name, clause.term) == ("dc.title", "any", "fiets")


@pytest.mark.parametrize("symbol", ["=", "==", "<", ">", "<=", ">=", "<>"])
def test_every_symbolic_relation(symbol):
    clause = parse(f"dc.date{symbol}2001").root
    assert clause.relation.name == symbol and clause.term == "2001"


@pytest.mark.parametrize("name", ["exact", "all", "any", "adj", "within", "cql.all"])
def test_named_relations_are_lower_cased(name):
    assert parse(f"dc.title {name.upper()} x").root.relation.name == name


def test_booleans_have_equal_precedence_and_associate_left():
    assert (
        shape("a or b and c")
        == "((cql.serverchoice = a or cql.serverchoice = b) and cql.serverchoice = c)"
    )
    assert (
        shape("a and b or c")
        == "((cql.serverchoice = a and cql.serverchoice = b) or cql.serverchoice = c)"
    )
    assert (
        shape("a not b not c")
        == "((cql.serverchoice = a not cql.serverchoice = b) not cql.serverchoice = c)"
    )


def test_parentheses_group():
    root = parse("a or (b and c)").root
    assert isinstance(root, BooleanNode) and root.op == "or"
    assert isinstance(root.right, BooleanNode) and root.right.op == "and"
    assert shape("((a))") == "cql.serverchoice = a"


def test_boolean_keywords_are_case_insensitive():
    assert parse("a AND b").root.op == "and"
    assert parse("a Or b").root.op == "or"
    assert parse("a NOT b").root.op == "not"


def test_prox_and_boolean_modifiers_are_parsed():
    root = parse("a prox/unit=word/distance<3 b").root
    assert root.op == "prox"
    assert [(m.name, m.comparison, m.value) for m in root.modifiers] == [
        ("unit", "=", "word"),
        ("distance", "<", "3"),
    ]


def test_relation_modifiers():
    clause = parse("dc.title any/relevant/cql.stem/locale=nl fiets").root
    assert [(m.name, m.comparison, m.value) for m in clause.relation.modifiers] == [
        ("relevant", None, None),
        ("cql.stem", None, None),
        ("locale", "=", "nl"),
    ]


def test_quoted_terms_and_escapes():
    assert parse('dc.title = "de grote zee"').root.term == "de grote zee"
    assert parse(r'"zeg \"hallo\""').root.term == 'zeg "hallo"'
    assert parse(r'"a\*b"').root.term == r"a\*b"  # escape kept for the masking rules
    assert parse('""').root.term == ""


def test_keywords_can_be_terms_and_indexes_can_be_quoted():
    assert parse('dc.title = "and"').root.term == "and"
    assert parse("dc.title = and").root.term == "and"  # a term position takes a keyword
    assert parse('"dc.title" = x').root.index == "dc.title"


def test_prefix_assignments_are_kept_in_scope():
    clause = parse('>dc="info:srw/cql-context-set/1/dc-v1.1" dc.title=x').root
    assert clause.prefixes == (("dc", "info:srw/cql-context-set/1/dc-v1.1"),)
    clause = parse('> "info:srw/cql-context-set/1/dc-v1.1" title=x').root
    assert clause.prefixes == (("", "info:srw/cql-context-set/1/dc-v1.1"),)
    root = parse("a and (>x=urn:y x.title=b)").root
    assert root.left.prefixes == () and root.right.prefixes == (("x", "urn:y"),)


def test_sortby():
    query = parse("zee sortBy dc.date/sort.descending dc.title")
    assert [(k.index, [m.name for m in k.modifiers]) for k in query.sort_keys] == [
        ("dc.date", ["sort.descending"]),
        ("dc.title", []),
    ]
    assert parse("a or b sortby dc.title").root.op == "or"


@pytest.mark.parametrize(
    "text, diagnostic",
    [
        ("", 10),
        ("   ", 10),
        ("dc.title =", 10),
        ("harry potter", 10),  # two bare words: quote them
        ("a and", 10),
        ("= x", 10),
        ("a b c d", 10),
        ('"open', 14),
        ('dc.title = "x', 14),
        ("(a and b", 13),
        ("a and b)", 13),
        ("()", 13),
        ("a and ()", 13),
        ("dc.title any/ x", 10),
        ("zee sortby", 10),
        ("(" * 60 + "a" + ")" * 60, 13),
        ("x" * 5000, 12),
        (" or ".join(["a"] * 150), 38),
    ],
)
def test_malformed_queries_raise_the_right_diagnostic(text, diagnostic):
    with pytest.raises(CQLError) as caught:
        parse(text)
    assert caught.value.diagnostic == diagnostic


def test_error_reports_the_offset():
    with pytest.raises(CQLError) as caught:
        parse("dc.title = zee )")
    assert caught.value.position == 15


def test_tokenizer_splits_symbols_without_spaces():
    kinds = [(t.kind, t.value) for t in tokenize("dc.date>=2001/x")]
    assert kinds == [
        ("word", "dc.date"),
        ("symbol", ">="),
        ("word", "2001"),
        ("slash", "/"),
        ("word", "x"),
        ("end", ""),
    ]


def test_masking_pieces():
    assert term_pieces("fiet*") == [("fiet", False), ("*", True)]
    assert term_pieces(r"a\*b?") == [("a*b", False), ("?", True)]
    assert is_masked("zee?") and not is_masked(r"zee\?")
    assert unescape(r"a\*b") == "a*b"


TOKENS = list('ab ()"=<>/\\*?') + ["and ", "or ", "not ", "prox ", "sortby ", "dc.title "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_parser_never_fails_other_than_with_cql_error(text):
    try:
        query = parse(text)
    except CQLError as exc:
        assert exc.diagnostic in (10, 12, 13, 14, 38)
    else:
        assert str(query)


def test_a_lone_keyword_is_a_term():
    assert parse("and").root.term == "and"
