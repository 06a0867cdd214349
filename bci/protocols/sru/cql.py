"""A CQL (Contextual Query Language, version 1.2) parser: recursive descent over the
grammar of the specification.

    sortedQuery      ::= prefixAssignment sortedQuery | scopedClause ['sortby' sortSpec]
    cqlQuery         ::= prefixAssignment cqlQuery | scopedClause
    prefixAssignment ::= '>' prefix '=' uri | '>' uri
    scopedClause     ::= scopedClause booleanGroup searchClause | searchClause
    booleanGroup     ::= boolean [modifierList]
    boolean          ::= 'and' | 'or' | 'not' | 'prox'
    searchClause     ::= '(' cqlQuery ')' | index relation searchTerm | searchTerm
    relation         ::= comparitor [modifierList]
    comparitor       ::= '=' | '>' | '<' | '>=' | '<=' | '<>' | '==' | namedComparitor
    modifierList     ::= modifier+ ;  modifier ::= '/' name [comparitorSymbol value]
    sortSpec         ::= (index [modifierList])+

All booleans have the same precedence and associate to the left: ``a or b and c`` is
``(a or b) and c``. Keywords are case-insensitive. A term is a word (no whitespace and
none of ``()=<>"/``) or a double-quoted string in which ``\\"`` is a quote; other
backslash escapes are kept for the masking rules (``\\*`` is a literal asterisk).

Errors raise ``CQLError`` carrying the SRU diagnostic number (10 syntax, 13 parentheses,
14 quotes, 12 query too long) and the character offset.
"""

import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 4000
MAX_DEPTH = 40
MAX_BOOLEANS = 100
BOOLEANS = ("and", "or", "not", "prox")
SYMBOLS = ("<=", ">=", "<>", "==", "=", "<", ">")

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<symbol><=|>=|<>|==|=|<|>)
      | (?P<paren>[()])
      | (?P<slash>/)
      | (?P<quote>")
      | (?P<word>[^\s()=<>"/]+)""",
    re.VERBOSE,
)


class CQLError(Exception):
    def __init__(self, diagnostic, message, position=None):
        super().__init__(message)
        self.diagnostic = diagnostic
        self.message = message
        self.position = position

    @property
    def details(self):
        return "" if self.position is None else str(self.position)


@dataclass(frozen=True)
class Token:
    kind: str  # symbol, paren, slash, word, string, end
    value: str
    position: int

    def is_keyword(self, *names):
        return self.kind == "word" and self.value.lower() in names


@dataclass(frozen=True)
class Modifier:
    name: str
    comparison: str | None = None
    value: str | None = None

    def __str__(self):
        return f"/{self.name}" + (f"{self.comparison}{self.value}" if self.comparison else "")


@dataclass(frozen=True)
class Relation:
    name: str  # a symbol or a lower-cased named comparitor ("all", "cql.any")
    modifiers: tuple = ()

    def __str__(self):
        return self.name + "".join(str(m) for m in self.modifiers)


@dataclass(frozen=True)
class SearchClause:
    index: str  # "cql.serverchoice" for a bare term; lower-cased
    relation: Relation
    term: str  # raw: quotes removed, \" unescaped, other escapes kept
    position: int = 0
    prefixes: tuple = ()  # (prefix, uri) assignments in scope, innermost last

    def __str__(self):
        return f"{self.index} {self.relation} {quote(self.term)}"


@dataclass(frozen=True)
class BooleanNode:
    op: str  # and | or | not | prox
    left: object
    right: object
    modifiers: tuple = ()
    position: int = 0

    def __str__(self):
        mods = "".join(str(m) for m in self.modifiers)
        return f"({self.left} {self.op}{mods} {self.right})"


@dataclass(frozen=True)
class SortKey:
    index: str
    modifiers: tuple = ()
    prefixes: tuple = ()


@dataclass
class CQLQuery:
    root: object
    sort_keys: list = field(default_factory=list)

    def __str__(self):
        text = str(self.root)
        if self.sort_keys:
            keys = " ".join(k.index + "".join(str(m) for m in k.modifiers) for k in self.sort_keys)
            text += f" sortBy {keys}"
        return text


def quote(term):
    if term and not re.search(r'[\s()=<>"/]', term):
        return term
    return '"' + term.replace('"', '\\"') + '"'


def tokenize(text):
    tokens = []
    i, n = 0, len(text)
    while i < n:
        match = _TOKEN.match(text, i)
        kind = match.lastgroup
        if kind == "quote":
            j, chars = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    if text[j + 1] == '"':
                        chars.append('"')
                    else:
                        chars.append(text[j : j + 2])
                    j += 2
                    continue
                chars.append(text[j])
                j += 1
            if j >= n:
                raise CQLError(14, "A quoted term is not closed.", i)
            tokens.append(Token("string", "".join(chars), i))
            i = j + 1
            continue
        if kind != "space":
            tokens.append(Token(kind, match.group(), i))
        i = match.end()
    tokens.append(Token("end", "", n))
    return tokens


class _Parser:
    def __init__(self, text):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.booleans = 0

    @property
    def tok(self):
        return self.tokens[self.i]

    def peek(self, k=1):
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self):
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, message, token=None, diagnostic=10):
        token = token or self.tok
        raise CQLError(diagnostic, message, token.position)

    # --- grammar --------------------------------------------------------------------------

    def sorted_query(self, prefixes=()):
        while self.tok.kind == "symbol" and self.tok.value == ">":
            prefixes = prefixes + (self.prefix_assignment(),)
        root = self.scoped_clause(prefixes)
        keys = []
        if self.tok.is_keyword("sortby"):
            sortby = self.advance()
            while self.tok.kind in ("word", "string"):
                index = self.advance().value.lower()
                keys.append(SortKey(index, self.modifiers(), prefixes))
            if not keys:
                self.fail("sortBy needs at least one index.", sortby)
        return CQLQuery(root, keys)

    def cql_query(self, prefixes):
        while self.tok.kind == "symbol" and self.tok.value == ">":
            prefixes = prefixes + (self.prefix_assignment(),)
        return self.scoped_clause(prefixes)

    def prefix_assignment(self):
        self.advance()  # '>'
        first = self.term("a context set prefix or URI")
        if self.tok.kind == "symbol" and self.tok.value == "=":
            self.advance()
            uri = self.term("a context set URI")
            return (first.lower(), uri)
        return ("", first)

    def scoped_clause(self, prefixes):
        clause = self.search_clause(prefixes)
        while self.tok.is_keyword(*BOOLEANS):
            token = self.advance()
            self.booleans += 1
            if self.booleans > MAX_BOOLEANS:
                raise CQLError(38, "Too many boolean operators.", token.position)
            modifiers = self.modifiers()
            right = self.search_clause(prefixes)
            clause = BooleanNode(token.value.lower(), clause, right, modifiers, token.position)
        return clause

    def search_clause(self, prefixes):
        token = self.tok
        if token.kind == "paren" and token.value == "(":
            self.advance()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self.fail("Parentheses are nested too deeply.", token, diagnostic=13)
            inner = self.cql_query(prefixes)
            if not (self.tok.kind == "paren" and self.tok.value == ")"):
                self.fail("A parenthesis is not closed.", token, diagnostic=13)
            self.advance()
            self.depth -= 1
            return inner
        first = self.term("a search term or an index")
        nxt = self.tok
        if nxt.kind == "symbol" or (nxt.kind == "word" and not nxt.is_keyword(*BOOLEANS, "sortby")):
            relation_token = self.advance()
            relation = Relation(
                relation_token.value.lower()
                if relation_token.kind == "word"
                else relation_token.value,
                self.modifiers(),
            )
            term = self.term("a search term after the relation")
            return SearchClause(first.lower(), relation, term, token.position, prefixes)
        return SearchClause("cql.serverchoice", Relation("="), first, token.position, prefixes)

    def modifiers(self):
        mods = []
        while self.tok.kind == "slash":
            self.advance()
            name = self.term("a modifier name")
            if self.tok.kind == "symbol":
                comparison = self.advance().value
                value = self.term("a modifier value")
                mods.append(Modifier(name.lower(), comparison, value))
            else:
                mods.append(Modifier(name.lower()))
        return tuple(mods)

    def term(self, what):
        token = self.tok
        if token.kind in ("word", "string"):
            self.advance()
            return token.value
        if token.kind == "end":
            self.fail(f"The query ends where {what} was expected.")
        if token.kind == "paren":
            self.fail(f"Unexpected parenthesis where {what} was expected.", diagnostic=13)
        self.fail(f"Unexpected {token.value!r} where {what} was expected.")


def parse(text: str) -> CQLQuery:
    """Parse a CQL query; raises CQLError."""
    if text is None or not text.strip():
        raise CQLError(10, "The query is empty.", 0)
    if len(text) > MAX_QUERY_CHARS:
        raise CQLError(12, f"The query is longer than {MAX_QUERY_CHARS} characters.", None)
    parser = _Parser(text)
    query = parser.sorted_query()
    token = parser.tok
    if token.kind != "end":
        if token.kind == "paren":
            parser.fail("A closing parenthesis has no opening one.", token, diagnostic=13)
        parser.fail(f"Unexpected {token.value!r}: expected a boolean or the end.", token)
    return query


# --- terms ----------------------------------------------------------------------------------

MASKS = "*?"


def term_pieces(raw):
    """[(text, masked)] of a raw term: runs of literal text and single unescaped mask
    characters (``*`` any characters, ``?`` one character). ``^`` anchors are returned as
    masked pieces too so the caller can refuse them."""
    pieces, literal = [], []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            literal.append(raw[i + 1])
            i += 2
            continue
        if ch in MASKS or ch == "^":
            if literal:
                pieces.append(("".join(literal), False))
                literal = []
            pieces.append((ch, True))
        else:
            literal.append(ch)
        i += 1
    if literal:
        pieces.append(("".join(literal), False))
    return pieces


def unescape(raw):
    return "".join(text for text, _ in term_pieces(raw))


def is_masked(raw):
    return any(masked for _, masked in term_pieces(raw))
