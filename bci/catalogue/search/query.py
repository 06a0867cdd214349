"""Lenient parsing of what people type into a search box, and building the tantivy query.

Grammar (everything optional, nothing ever raises):
  words            all must match (AND), each in title, author or any text
  "a phrase"       words in this order; an unterminated quote runs to the end
  a OR b           either; AND is the default and may be written; NOT x or -x excludes
  title:x author:x subject:x  (also titel:, auteur:, onderwerp:) restrict a word or phrase
  isbn:/issn:/ppn:/barcode:x   identifier only
An operator without an operand and a stray parenthesis are dropped (a query of nothing but
operators is read as plain words); an unknown ``field:`` is part of a plain word.
Identifiers (ISBN in any form, ISSN, PPN, barcode, system number) are looked up exactly
and ranked first.
"""

import re
from dataclasses import dataclass, field

import tantivy
from tantivy import Occur, Query

from . import schema as S
from .documents import normalise_identifier

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 32
FUZZY_MIN_CHARS = 5
FUZZY_BOOST = 0.3
IDENT_SCORE = 10_000.0

FIELD_ALIASES = {
    "title": S.TITLE,
    "titel": S.TITLE,
    "ti": S.TITLE,
    "author": S.AUTHOR,
    "auteur": S.AUTHOR,
    "au": S.AUTHOR,
    "subject": S.SUBJECT,
    "onderwerp": S.SUBJECT,
    "su": S.SUBJECT,
    "isbn": S.IDENT,
    "issn": S.IDENT,
    "ppn": S.IDENT,
    "barcode": S.IDENT,
    "id": S.IDENT,
}
OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT"}

_LEX = re.compile(
    r'(?P<neg>[-+!]?)(?:(?P<field>[A-Za-z]+):(?=["\w]))?'
    r'(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"()]+))'
    r"|(?P<junk>[()\"])"
)


@dataclass
class Clause:
    text: str
    phrase: bool = False
    field: str | None = None  # None = title/author/all
    negated: bool = False


@dataclass
class Parsed:
    groups: list = field(default_factory=list)  # list of OR-groups (lists of Clause)
    negated: list = field(default_factory=list)
    identifiers: set = field(default_factory=set)

    @property
    def empty(self):
        return not self.groups and not self.negated and not self.identifiers


def _lex(q):
    """Yield (kind, value) with kind in clause/op."""
    for m in _LEX.finditer(q):
        if m.group("junk") is not None:
            continue
        neg = m.group("neg")
        fname = (m.group("field") or "").lower()
        phrase = m.group("phrase")
        word = m.group("word")
        if phrase is None and not fname and not neg and word in OPERATORS:
            yield "op", OPERATORS[word], word
            continue
        target = None
        if fname:
            target = FIELD_ALIASES.get(fname)
            if target is None:  # unknown field: the whole thing is a plain word
                word = f"{m.group('field')}:{word if word is not None else phrase}"
                phrase = None
        if phrase is not None:
            text, is_phrase = phrase, True
        else:
            text, is_phrase = word or "", False
        if neg == "+":
            neg = ""
        yield "clause", Clause(text, is_phrase, target, bool(neg)), None


def parse(q: str) -> Parsed:
    q = (q or "")[:MAX_QUERY_CHARS]
    tokens = list(_lex(q))
    parsed = Parsed()
    pending_or = pending_not = False
    dangling = []
    n = len(tokens)
    for i, (kind, value, raw) in enumerate(tokens):
        if kind == "op":
            has_next = i + 1 < n and tokens[i + 1][0] == "clause"
            has_prev = bool(parsed.groups) and i > 0 and tokens[i - 1][0] == "clause"
            if value == "OR" and has_next and has_prev:
                pending_or = True
                continue
            if value == "AND" and has_next and has_prev:
                continue
            if value == "NOT" and has_next:
                pending_not = True
                continue
            dangling.append(raw)  # an operator without operands: dropped (see below)
            continue
        clause = value
        if pending_not:
            clause.negated, pending_not = True, False
        if clause.negated:
            parsed.negated.append(clause)
            pending_or = False
        elif pending_or and parsed.groups:
            parsed.groups[-1].append(clause)
            pending_or = False
        else:
            parsed.groups.append([clause])
        if len(parsed.groups) + len(parsed.negated) >= MAX_CLAUSES:
            break
    if not parsed.groups and not parsed.negated and dangling:
        # Nothing but operators ("AND", "OR OR"): search them as plain words.
        parsed.groups = [[Clause(raw)] for raw in dangling[:MAX_CLAUSES]]
    # Identifier candidates: the whole query and each bare word, in canonical form.
    whole = normalise_identifier(q.strip().strip('"'))
    if whole and any(c.isdigit() for c in whole) and len(whole) <= 40:
        parsed.identifiers.add(whole)
    for group in parsed.groups:
        for c in group:
            if c.field in (None, S.IDENT) and not c.phrase:
                v = normalise_identifier(c.text)
                if v and (c.field == S.IDENT or any(ch.isdigit() for ch in v)):
                    parsed.identifiers.add(v)
    return parsed


def _tokens(text):
    return [(t.position, t.text) for t in S.analyzer.pre_tokenize(text).tokens]


VARIANT_WEIGHT = 0.5
VARIANT_MIN_CHARS = 4


def _variants(word, stem):
    """The stem plus the stem of the word's singular/plural neighbour, for -s words.

    Dutch Snowball drops a final -s after a consonant ("fiets" -> "fiet") but stems the
    plural to the full word ("fietsen" -> "fiets"), so singular and plural miss each other.
    For a word ending in -s we add the stem of word+"en"; for one ending in -sen the stem
    of the word without "en". Variants score at half weight and must be 4+ characters
    ("jansen" does not also find "jan").
    """
    out = [(stem, 1.0)]
    folded = S.fold(word)
    if not folded.isalpha():
        return out
    candidates = []
    if folded.endswith("s"):
        candidates.append(folded + "en")
    elif folded.endswith("sen") and len(folded) > 5:
        candidates.append(folded[:-2])
    for c in candidates:
        toks = S.analyzer.analyze(c)
        if len(toks) == 1 and len(toks[0]) >= VARIANT_MIN_CHARS and toks[0] != stem:
            out.append((toks[0], VARIANT_WEIGHT))
    return out


def _field_terms(fields, terms):
    subs = []
    for f in fields:
        for t, weight in terms:
            q = Query.term_query(S.schema, f, t, index_option="position")
            boost = S.BOOSTS.get(f, 1.0) * weight
            subs.append((Occur.Should, Query.boost_query(q, boost) if boost != 1.0 else q))
    return subs[0][1] if len(subs) == 1 else Query.boolean_query(subs)


def _clause_query(clause: Clause, *, fuzzy: bool, match_only: bool = False):
    """The tantivy query of one clause, or None when nothing in it is searchable.

    ``match_only``: the same set of documents, cheaper (no per-field scoring): the ``all``
    field holds the title, author and subject text, so a clause on all three fields
    matches exactly where it matches ``all``. Used for facet counting.
    """
    if clause.field == S.IDENT:
        v = normalise_identifier(clause.text)
        return Query.term_query(S.schema, S.IDENT, v) if v else None
    if clause.field:
        fields = [clause.field]
    elif match_only and not fuzzy:
        fields = [S.ALL]
    else:
        fields = [S.TITLE, S.AUTHOR, S.ALL]
    toks = _tokens(clause.text)
    if not toks:
        return None
    if len(toks) > 1:
        # A phrase (quoted, or one "word" that the tokenizer splits, like "e-book").
        base = toks[0][0]
        words = [(p - base, t) for p, t in toks]
        subs = []
        for f in fields:
            q = Query.phrase_query(S.schema, f, words)
            b = S.BOOSTS.get(f, 1.0)
            subs.append((Occur.Should, Query.boost_query(q, b) if b != 1.0 else q))
        return subs[0][1] if len(subs) == 1 else Query.boolean_query(subs)
    stem = toks[0][1]
    terms = [(stem, 1.0)] if clause.phrase else _variants(clause.text, stem)
    exact = _field_terms(fields, terms)
    if not fuzzy or clause.phrase or len(S.fold(clause.text)) < FUZZY_MIN_CHARS:
        return exact
    subs = [(Occur.Should, exact)]
    for f in fields:
        if f in (S.TITLE, S.AUTHOR):
            fq = Query.fuzzy_term_query(S.schema, f, stem, distance=1)
            subs.append((Occur.Should, Query.boost_query(fq, FUZZY_BOOST * S.BOOSTS[f])))
    return Query.boolean_query(subs)


def has_fuzzy_candidates(parsed: Parsed) -> bool:
    return any(
        not c.phrase
        and c.field in (None, S.TITLE, S.AUTHOR)
        and len(S.fold(c.text)) >= FUZZY_MIN_CHARS
        for group in parsed.groups
        for c in group
    )


def build_query(parsed: Parsed, *, fuzzy: bool = False, match_only: bool = False):
    """The text query for ``parsed``; None means "match everything" (browse).
    ``match_only``: the same documents without the scoring structure (see _clause_query)."""
    if parsed.empty:
        return None
    must = []
    for group in parsed.groups:
        subs = [
            q
            for c in group
            if (q := _clause_query(c, fuzzy=fuzzy, match_only=match_only)) is not None
        ]
        if not subs:
            continue
        if len(subs) == 1:
            must.append(subs[0])
        else:
            must.append(Query.boolean_query([(Occur.Should, q) for q in subs]))
    nots = [
        q
        for c in parsed.negated
        if (q := _clause_query(c, fuzzy=False, match_only=match_only)) is not None
    ]
    if must:
        text = must[0] if len(must) == 1 and not nots else None
        if text is None:
            text = Query.boolean_query(
                [(Occur.Must, q) for q in must] + [(Occur.MustNot, q) for q in nots]
            )
    elif nots and not parsed.groups:
        # Only exclusions: everything except them.
        text = Query.boolean_query(
            [(Occur.Must, Query.all_query())] + [(Occur.MustNot, q) for q in nots]
        )
    else:
        text = None
    if parsed.identifiers:
        ident = Query.const_score_query(
            Query.term_set_query(S.schema, S.IDENT, sorted(parsed.identifiers)), IDENT_SCORE
        )
        if text is None:
            return ident
        return Query.boolean_query([(Occur.Should, ident), (Occur.Should, text)])
    if text is None:
        return tantivy.Query.empty_query()  # typed something, but nothing searchable
    return text
