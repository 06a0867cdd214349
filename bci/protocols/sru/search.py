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

MAX_CREATOR_SORT = 5000  # creator sorting happens on the database: up to this many hits
MIN_MASKED_CHARS = 2
MAX_TERM_CHARS = 256
MAX_TERMS_PER_CLAUSE = 32


class Diagnostic(Exception):
    def __init__(self, number, details="", message=""):
        super().__init__(message or MESSAGES.get(number, "Error"))
        self.number = number
        self.details = str(details)
        self.message = message or MESSAGES.get(number, "Error")

    @property
    def uri(self):
        return f"info:srw/diagnostic/1/{self.number}"


MESSAGES = {
    1: "General system error",
    4: "Unsupported operation",
    5: "Unsupported version",
    6: "Unsupported parameter value",
    7: "Mandatory parameter not supplied",
    8: "Unsupported parameter",
    10: "Query syntax error",
    12: "Too many characters in query",
    13: "Invalid or unsupported use of parentheses",
    14: "Invalid or unsupported use of quotes",
    15: "Unsupported context set",
    16: "Unsupported index",
    19: "Unsupported relation",
    20: "Unsupported relation modifier",
    22: "Unsupported combination of relation and index",
    23: "Too many characters in term",
    27: "Empty term unsupported",
    28: "Masking character not supported",
    29: "Masked words too short",
    31: "Anchoring character not supported",
    35: "Term contains only stopwords",
    36: "Term in invalid format for index or relation",
    38: "Too many boolean operators in query",
    39: "Proximity not supported",
    46: "Unsupported boolean modifier",
    61: "First record position out of range",
    66: "Unknown schema for retrieval",
    71: "Unsupported record packing",
    72: "XPath retrieval unsupported",
    80: "Sort not supported",
    83: "Too many records to sort",
    84: "Too many sort keys to sort",
    88: "Unsupported path for sort",
    90: "Unsupported direction",
    91: "Unsupported case",
    92: "Unsupported missing value action",
    110: "Stylesheets not supported",
}

# --- context sets and indexes ---------------------------------------------------------------

CONTEXT_SETS = {
    "cql": ("info:srw/cql-context-set/1/cql-v1.2", "info:srw/cql-context-set/1/cql-v1.1"),
    "dc": ("info:srw/cql-context-set/1/dc-v1.1",),
    "bath": ("http://zing.z3950.org/cql/bath/2.0/",),
    "rec": ("info:srw/cql-context-set/2/rec-1.1", "info:srw/cql-context-set/2/rec-1.0"),
    "bci": ("info:srw/cql-context-set/bci/1.0",),
}
SET_BY_URI = {uri.lower(): name for name, uris in CONTEXT_SETS.items() for uri in uris}

# index -> kind; the kind decides relations and the fields searched
INDEXES = {
    "cql.serverchoice": "text",
    "cql.anywhere": "text",
    "cql.allrecords": "all",
    "dc.title": "title",
    "dc.creator": "creator",
    "dc.subject": "subject",
    "dc.date": "date",
    "dc.language": "language",
    "dc.identifier": "identifier",
    "bath.isbn": "identifier",
    "bath.issn": "identifier",
    "rec.identifier": "recid",
    "bci.library": "library",
    "bci.branch": "branch",
    "bci.available": "available",
}
INDEX_TITLES = {
    "cql.serverchoice": "title, author and all text (a bare term)",
    "cql.anywhere": "title, author and all text",
    "cql.allrecords": "every record (cql.allRecords = 1)",
    "dc.title": "title",
    "dc.creator": "author",
    "dc.subject": "subject",
    "dc.date": "year of publication",
    "dc.language": "language (MARC code: dut, eng, ger ...)",
    "dc.identifier": "ISBN, ISSN, PPN, NBD number, barcode",
    "bath.isbn": "ISBN (10 or 13, any hyphenation)",
    "bath.issn": "ISSN",
    "rec.identifier": "record id or PPN",
    "bci.library": "held by library organisation (code)",
    "bci.branch": "held at branch (home branch code)",
    "bci.available": "available now at branch (code)",
}
TEXT_FIELDS = {
    "text": [S.TITLE, S.AUTHOR, S.ALL],
    "title": [S.TITLE],
    "creator": [S.AUTHOR],
    "subject": [S.SUBJECT],
}
EXACT_FIELDS = {"title": S.SORT_TITLE, "creator": "author_facet", "subject": "subject_facet"}
CODE_FIELDS = {"language": "language", "library": "library", "available": "available_at"}

ORDERING = {"<", ">", "<=", ">="}
TEXT_RELATIONS = {"=", "==", "exact", "adj", "all", "any", "<>"}
RELATIONS = {
    "text": TEXT_RELATIONS - {"==", "exact"},
    "title": TEXT_RELATIONS,
    "creator": TEXT_RELATIONS,
    "subject": TEXT_RELATIONS,
    "date": {"=", "==", "exact", "any", "<>", "within"} | ORDERING,
    "language": {"=", "==", "exact", "any", "<>"},
    "identifier": {"=", "==", "exact", "any", "<>"},
    "recid": {"=", "==", "exact", "any", "<>"},
    "library": {"=", "==", "exact", "any", "<>"},
    "branch": {"=", "==", "exact", "any", "<>"},
    "available": {"=", "==", "exact", "any", "<>"},
    "all": {"=", "==", "exact", "any", "all", "adj"},
}
# relations CQL defines (anything else is an unknown relation: 19)
KNOWN_RELATIONS = TEXT_RELATIONS | ORDERING | {"within", "encloses", "scr"}
# relation modifiers: accepted (they describe what we do anyway) and meaningful ones
ACCEPTED_MODIFIERS = {
    "ignorecase",
    "ignoreaccents",
    "relevant",
    "stem",
    "word",
    "string",
    "masked",
    "unmasked",
    "isodate",
    "number",
    "fuzzy",
}
LANGUAGES = {
    "nl": "dut",
    "nld": "dut",
    "dutch": "dut",
    "nederlands": "dut",
    "en": "eng",
    "english": "eng",
    "engels": "eng",
    "de": "ger",
    "deu": "ger",
    "german": "ger",
    "duits": "ger",
    "fr": "fre",
    "fra": "fre",
    "french": "fre",
    "frans": "fre",
    "es": "spa",
    "tr": "tur",
    "ar": "ara",
}
_YEAR = re.compile(r"^(\d{1,4})(?:-\d{2}(?:-\d{2})?)?$")


def resolve_index(name, prefixes):
    """The canonical ``set.index`` name for a CQL index, honouring prefix assignments."""
    name = name.lower()
    if name.startswith("cql.") and name[4:] in ("serverchoice", "anywhere", "allrecords"):
        return name
    if "." in name:
        prefix, local = name.split(".", 1)
        for assigned, uri in reversed(prefixes):
            if assigned == prefix:
                canonical = SET_BY_URI.get(uri.lower())
                if canonical is None:
                    raise Diagnostic(15, uri)
                prefix = canonical
                break
        else:
            if prefix not in CONTEXT_SETS:
                raise Diagnostic(15, prefix)
        full = f"{prefix}.{local}"
        if full not in INDEXES:
            raise Diagnostic(16, name)
        return full
    default = [uri for assigned, uri in prefixes if assigned == ""]
    sets = [SET_BY_URI.get(default[-1].lower())] if default else list(CONTEXT_SETS)
    if default and sets[0] is None:
        raise Diagnostic(15, default[-1])
    for set_name in sets:
        if f"{set_name}.{name}" in INDEXES:
            return f"{set_name}.{name}"
    raise Diagnostic(16, name)


# --- clauses ------------------------------------------------------------------------------


def _modifiers(relation):
    names = set()
    for mod in relation.modifiers:
        name = mod.name.split(".", 1)[1] if mod.name.startswith("cql.") else mod.name
        if name not in ACCEPTED_MODIFIERS or mod.comparison is not None:
            raise Diagnostic(20, str(mod).lstrip("/"))
        names.add(name)
    if {"masked", "unmasked"} <= names:
        raise Diagnostic(21, "masked/unmasked", "Unsupported combination of relation modifers")
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
        numbers = [int(v) for v in values if v.isdigit() and len(v) < 19]
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


# --- sorting ------------------------------------------------------------------------------

SORT_FIELDS = {"dc.title": "title", "dc.date": "date", "dc.creator": "creator"}


@dataclass(frozen=True)
class Sort:
    key: str  # title | date | creator
    descending: bool = False


def sort_from_cql(keys, prefixes=()):
    """The Sort of CQL ``sortBy`` keys (the first key; more keys are refused: 84)."""
    if not keys:
        return None
    if len(keys) > 1:
        raise Diagnostic(84, "1")
    key = keys[0]
    try:
        index = resolve_index(key.index, key.prefixes or prefixes)
    except Diagnostic as exc:
        raise Diagnostic(88, key.index) from exc
    if index not in SORT_FIELDS:
        raise Diagnostic(88, key.index)
    descending = False
    for mod in key.modifiers:
        name = mod.name.removeprefix("sort.")
        if name == "descending":
            descending = True
        elif name in ("ascending", "ignorecase", "ignoreaccents", "missinghigh", "missinglow"):
            continue
        elif name == "respectcase":
            raise Diagnostic(91, mod.name)
        else:
            raise Diagnostic(92 if name.startswith("missing") else 80, mod.name)
    return Sort(SORT_FIELDS[index], descending)


def sort_from_sort_keys(value):
    """SRU 1.x ``sortKeys``: "path,schema,ascending,caseSensitive,missingValue" ..."""
    keys = value.split()
    if not keys:
        return None
    if len(keys) > 1:
        raise Diagnostic(84, "1")
    parts = keys[0].split(",") + [""] * 5
    path, _schema, ascending, case, missing = parts[:5]
    try:
        index = resolve_index(path, ())
    except Diagnostic as exc:
        raise Diagnostic(88, path) from exc
    if index not in SORT_FIELDS:
        raise Diagnostic(88, path)
    if ascending not in ("", "1", "0", "true", "false"):
        raise Diagnostic(90, ascending)
    if case not in ("", "0", "false"):
        raise Diagnostic(91, case)
    if missing not in ("", "highValue", "lowValue", "omit"):
        raise Diagnostic(92, missing)
    return Sort(SORT_FIELDS[index], descending=ascending in ("0", "false"))


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


def _run_creator_sorted(searcher, query, *, offset, limit, sort):
    """The index has no single-valued author fast field: sort the hits on the database's
    main author. Refused (83) beyond MAX_CREATOR_SORT hits."""
    result = searcher.search(query, limit=MAX_CREATOR_SORT + 1, count=True)
    if result.count > MAX_CREATOR_SORT:
        raise Diagnostic(83, str(MAX_CREATOR_SORT))
    ids = [int(i) for i in searcher.fast_field_values(S.ID, [a for _, a in result.hits])]
    authors = dict(Record.objects.filter(id__in=ids).values_list("id", "main_author"))
    present = [i for i in ids if authors.get(i)]
    missing = [i for i in ids if not authors.get(i)]
    present.sort(key=lambda i: (S.fold(authors[i]), i), reverse=sort.descending)
    ordered = present + missing  # records without an author last, either direction
    return Found(result.count, ordered[offset : offset + limit] if limit else [])
