"""CQL onto the catalogue index: a parsed CQL tree becomes one Tantivy query over the
fields of ``bci.catalogue.search`` (its schema, analyzer and identifier normalisation),
run through the same index handle the OPAC search uses.

The OPAC's ``search(q)`` takes a search-box string; CQL needs boolean trees, fielded
relations and year ranges, so this module builds the query from the index's documented
fields instead (read-only use of ``bci.catalogue.search.schema``).

Unsupported features raise ``Diagnostic`` with the SRU diagnostic number.
"""

import re
from dataclasses import dataclass

from tantivy import FieldType, Occur, Order, Query

from bci.catalogue.models import Item, Record
from bci.catalogue.search import schema as S
from bci.catalogue.search.documents import GONE_STATUSES, normalise_identifier
from bci.catalogue.search.index import get_index

from . import cql
from .diagnostics import MESSAGES, Diagnostic  # noqa: F401 - re-exported
from .indexes import (
    ACCEPTED_MODIFIERS,
    CODE_FIELDS,
    EXACT_FIELDS,
    INDEXES,
    KNOWN_RELATIONS,
    LANGUAGES,
    RELATIONS,
    TEXT_FIELDS,
    resolve_index,
)
from .sorting import Sort, sort_from_cql, sort_from_sort_keys  # noqa: F401 - re-exported

MAX_CREATOR_SORT = 5000  # creator sorting happens on the database: up to this many hits
MIN_MASKED_CHARS = 2
MAX_TERM_CHARS = 256
MAX_TERMS_PER_CLAUSE = 32
_YEAR = re.compile(r"^(\d{1,4})(?:-\d{2}(?:-\d{2})?)?$")


# --- clauses ------------------------------------------------------------------------------


def _modifiers(relation):
    names = set()
    for mod in relation.modifiers:
        name = mod.name.split(".", 1)[1] if mod.name.startswith("cql.") else mod.name
        if name not in ACCEPTED_MODIFIERS or mod.comparison is not None:
            raise Diagnostic(20, str(mod).lstrip("/"))
        names.add(name)
    if {"masked", "unmasked"} <= names:
        raise Diagnostic(21, "masked/unmasked")
    return names


def _analysed(text):
    """[(position, token)] of text under the index's analyzer."""
    return [(t.position, t.text) for t in S.analyzer.pre_tokenize(text).tokens]


def _regex_for(raw):
    out = []
    for text, masked in cql.term_pieces(raw):
        if masked:
            if text == "^":
                raise Diagnostic(31, raw)
            out.append(".*" if text == "*" else ".")
        else:
            out.append(re.escape(S.fold(text)))
    literal = sum(len(t) for t, m in cql.term_pieces(raw) if not m)
    if literal < MIN_MASKED_CHARS:
        raise Diagnostic(29, str(MIN_MASKED_CHARS))
    return "".join(out)


def _any_of(queries):
    queries = [q for q in queries if q is not None]
    if not queries:
        return Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def _all_of(queries):
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, q) for q in queries])


def _word_query(fields, word, mods):
    """One word (maybe masked) in any of ``fields``; in all text (serverChoice) a word that
    looks like an identifier (ISBN, PPN, barcode) also matches it exactly."""
    if "unmasked" not in mods and cql.is_masked(word):
        regex = _regex_for(word)
        return _any_of([Query.regex_query(S.schema, f, regex) for f in fields])
    text = cql.unescape(word)
    tokens = _analysed(text)
    subs = []
    if S.ALL in fields and any(c.isdigit() for c in text):
        value = normalise_identifier(text)
        if value:
            subs.append(Query.term_query(S.schema, S.IDENT, value))
    if len(tokens) > 1:  # "e-book": the tokenizer splits it, match it as a phrase
        subs.append(_phrase_query(fields, tokens))
    elif tokens:
        term = tokens[0][1]
        for variant in _variants(text, term):
            subs += [
                Query.term_query(S.schema, f, variant, index_option="position") for f in fields
            ]
        if "fuzzy" in mods and len(term) >= 4:
            subs += [Query.fuzzy_term_query(S.schema, f, term, distance=1) for f in fields]
    return _any_of(subs) if subs else None


def _variants(word, stem):
    """The stem plus the stem of the word's singular/plural neighbour (as the OPAC search
    does): Dutch Snowball stems "fiets" to "fiet" but "fietsen" to "fiets"."""
    out = [stem]
    folded = S.fold(word)
    if not folded.isalpha():
        return out
    candidate = None
    if folded.endswith("s"):
        candidate = folded + "en"
    elif folded.endswith("sen") and len(folded) > 5:
        candidate = folded[:-2]
    if candidate:
        tokens = S.analyzer.analyze(candidate)
        if len(tokens) == 1 and len(tokens[0]) >= 4 and tokens[0] != stem:
            out.append(tokens[0])
    return out


def _phrase_query(fields, tokens):
    if len(tokens) == 1:
        return _any_of([Query.term_query(S.schema, f, tokens[0][1]) for f in fields])
    base = tokens[0][0]
    words = [(pos - base, text) for pos, text in tokens]
    return _any_of([Query.phrase_query(S.schema, f, words) for f in fields])


def _split_words(raw):
    """Words of a raw term, escapes kept (masking is decided per word)."""
    words, current, i = [], [], 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            current.append(raw[i : i + 2])
            i += 2
            continue
        if raw[i].isspace():
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(raw[i])
        i += 1
    if current:
        words.append("".join(current))
    return words


def _text_clause(kind, relation, raw, mods):
    fields = TEXT_FIELDS[kind]
    name = relation.name
    if name in ("==", "exact"):
        if cql.is_masked(raw) and "unmasked" not in mods:
            raise Diagnostic(28, raw)
        value = cql.unescape(raw)
        key = S.sort_key(value) if kind == "title" else value
        return Query.term_query(S.schema, EXACT_FIELDS[kind], key)
    words = _split_words(raw)
    if len(words) > MAX_TERMS_PER_CLAUSE:
        raise Diagnostic(23, str(MAX_TERM_CHARS))
    masked = "unmasked" not in mods and any(cql.is_masked(w) for w in words)
    if name in ("adj", "=", "<>") and not (name == "=" and kind == "text") and not masked:
        tokens = _analysed(cql.unescape(raw))
        if not tokens:
            raise Diagnostic(35, raw)
        query = _phrase_query(fields, tokens)
        if "fuzzy" in mods and len(tokens) == 1:
            query = _word_query(fields, raw, mods)
        return query
    if name in ("adj", "<>") and masked:
        raise Diagnostic(28, raw, "Masking is not supported inside adj phrases")
    subs = [q for w in words if (q := _word_query(fields, w, mods)) is not None]
    if not subs:
        raise Diagnostic(35, raw)
    return _any_of(subs) if name == "any" else _all_of(subs)


def _year(value):
    match = _YEAR.match(value.strip())
    if not match:
        raise Diagnostic(36, value)
    return int(match.group(1))


def _year_range(lo, hi):
    """Years lo..hi inclusive; the index stores 0 for "no year", which no range includes."""
    return Query.range_query(S.schema, S.YEAR, FieldType.Integer, max(lo, 1), hi)


def _date_clause(relation, raw):
    value = cql.unescape(raw).strip()
    name = relation.name
    if name == "within":
        parts = value.split()
        if len(parts) != 2:
            raise Diagnostic(36, value, 'within takes two years: "2000 2010"')
        lo, hi = _year(parts[0]), _year(parts[1])
        return _year_range(min(lo, hi), max(lo, hi))
    if name == "any":
        return _any_of([_year_range(y, y) for y in map(_year, value.split())] or [None])
    year = _year(value)
    if name in ("=", "==", "exact", "<>"):
        return _year_range(year, year)
    return {
        "<": lambda: _year_range(1, year - 1),
        "<=": lambda: _year_range(1, year),
        ">": lambda: _year_range(year + 1, 9999),
        ">=": lambda: _year_range(year, 9999),
    }[name]()


def _values(relation, raw):
    value = cql.unescape(raw).strip()
    values = value.split() if relation.name == "any" else [value]
    if not values or not all(values):
        raise Diagnostic(27, "")
    return values


def _branch_records(codes):
    ids = (
        Item.objects.filter(home_branch__code__in=codes)
        .exclude(status__in=GONE_STATUSES)
        .values_list("record_id", flat=True)
        .distinct()
    )
    return Query.term_set_query(S.schema, S.ID, sorted(set(ids)))


def _code_clause(kind, relation, raw, mods):
    if cql.is_masked(raw) and "unmasked" not in mods:
        raise Diagnostic(28, raw)
    values = _values(relation, raw)
    if kind == "language":
        values = [LANGUAGES.get(v.lower(), v.lower()) for v in values]
        return _any_of([Query.term_query(S.schema, "language", v) for v in values])
    if kind == "identifier":
        normalised = [normalise_identifier(v) for v in values]
        return Query.term_set_query(S.schema, S.IDENT, [v for v in normalised if v] or [""])
    if kind == "recid":
        subs = [Query.term_query(S.schema, S.IDENT, normalise_identifier(v)) for v in values]
        numbers = [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 19]
        if numbers:
            subs.append(Query.term_set_query(S.schema, S.ID, numbers))
        return _any_of(subs)
    values = sorted({v for value in values for v in (value, value.upper())})
    if kind == "branch":
        return _branch_records(values)
    return _any_of([Query.term_query(S.schema, CODE_FIELDS[kind], v) for v in values])


def clause_query(clause):
    index = resolve_index(clause.index, clause.prefixes)
    kind = INDEXES[index]
    relation = clause.relation
    name = relation.name.removeprefix("cql.")
    relation = cql.Relation(name, relation.modifiers)
    if name not in KNOWN_RELATIONS and name not in RELATIONS[kind]:
        raise Diagnostic(19, clause.relation.name)
    if name not in RELATIONS[kind]:
        raise Diagnostic(22, f"{index} {clause.relation.name}")
    mods = _modifiers(relation)
    if kind == "all":
        return Query.all_query(), False
    if len(clause.term) > MAX_TERM_CHARS:
        raise Diagnostic(23, str(MAX_TERM_CHARS))
    if not cql.unescape(clause.term).strip():
        raise Diagnostic(27, "")
    if kind in TEXT_FIELDS:
        query = _text_clause(kind, relation, clause.term, mods)
    elif kind == "date":
        query = _date_clause(relation, clause.term)
    else:
        query = _code_clause(kind, relation, clause.term, mods)
    return query, name == "<>"


def build(node):
    """The Tantivy query of a CQL tree."""
    if isinstance(node, cql.SearchClause):
        query, negated = clause_query(node)
        if negated:
            return Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, query)])
        return query
    if node.op == "prox":
        raise Diagnostic(39, "prox")
    if node.modifiers:
        raise Diagnostic(46, str(node.modifiers[0]).lstrip("/"))
    left, right = build(node.left), build(node.right)
    if node.op == "and":
        return Query.boolean_query([(Occur.Must, left), (Occur.Must, right)])
    if node.op == "or":
        return Query.boolean_query([(Occur.Should, left), (Occur.Should, right)])
    return Query.boolean_query([(Occur.Must, left), (Occur.MustNot, right)])


# --- running ------------------------------------------------------------------------------


@dataclass
class Found:
    total: int
    record_ids: list


def run(query, *, offset, limit, sort=None, index=None):
    """Record ids of one page of ``query`` (a Tantivy Query) and the total."""
    index = index or get_index()
    searcher = index.searcher()
    if sort is not None and sort.key == "creator":
        return _run_creator_sorted(searcher, query, offset=offset, limit=limit, sort=sort)
    kwargs = {"limit": max(limit, 1), "offset": offset, "count": True}
    if sort is not None:
        if sort.key == "title":
            kwargs["order_by_field"] = S.SORT_TITLE
        else:  # records without a year last in both directions
            kwargs["order_by_field"] = S.YEAR if sort.descending else S.YEAR_ASC
        kwargs["order"] = Order.Desc if sort.descending else Order.Asc
    result = searcher.search(query, **kwargs)
    hits = result.hits if limit else []
    ids = searcher.fast_field_values(S.ID, [addr for _, addr in hits]) if hits else []
    return Found(result.count, [int(i) for i in ids])


def _first_author_column():
    """The index's single-valued column of a record's first author (raw text, EMPTY when
    none), if the index schema has one."""
    slots = getattr(S, "SLOTS", {})
    if "author" in slots and hasattr(S, "slot_fields"):
        return S.slot_fields("author")[0]
    return None


def _run_creator_sorted(searcher, query, *, offset, limit, sort):
    """Sort on the author. Up to MAX_CREATOR_SORT hits: on the database's main author,
    folded (case and accents ignored), records without an author last. Beyond: on the
    index's first-author column (exact text order, records without an author first when
    ascending); without such a column, refused (83)."""
    result = searcher.search(query, limit=MAX_CREATOR_SORT + 1, count=True)
    if result.count > MAX_CREATOR_SORT:
        column = _first_author_column()
        if column is None:
            raise Diagnostic(83, str(MAX_CREATOR_SORT))
        order = Order.Desc if sort.descending else Order.Asc
        page = searcher.search(
            query,
            limit=max(limit, 1),
            offset=offset,
            count=True,
            order_by_field=column,
            order=order,
        )
        hits = page.hits if limit else []
        ids = searcher.fast_field_values(S.ID, [addr for _, addr in hits]) if hits else []
        return Found(page.count, [int(i) for i in ids])
    ids = [int(i) for i in searcher.fast_field_values(S.ID, [a for _, a in result.hits])]
    authors = dict(Record.objects.filter(id__in=ids).values_list("id", "main_author"))
    present = [i for i in ids if authors.get(i)]
    missing = [i for i in ids if not authors.get(i)]
    present.sort(key=lambda i: (S.fold(authors[i]), i), reverse=sort.descending)
    ordered = present + missing  # records without an author last, either direction
    return Found(result.count, ordered[offset : offset + limit] if limit else [])
