"""The catalogue index schema and its Dutch text analysis.

One document per live record. Text fields are analysed with ``bci_nl`` (simple tokenizer,
lower-case, ASCII folding, Dutch stop words, Dutch Snowball stemmer); identifier and facet
fields are raw (one token per value) fast fields so that filters are term queries and facet
counts are terms aggregations over columnar data.
"""

import re
import unicodedata

import tantivy

# Bump when the schema or the analysis changes: the index then lives in a new folder and
# ``bci reindex`` fills it (an old index is never read with a new schema).
SCHEMA_VERSION = 4

ANALYZER = "bci_nl"

# Scored text fields and their boosts.
TITLE, AUTHOR, SUBJECT, ALL = "title", "author", "subject", "all"
BOOSTS = {TITLE: 3.0, AUTHOR: 2.0, ALL: 1.0}

ID = "id"
IDENT = "ident"
YEAR = "year"
YEAR_ASC = "year_asc"  # the year for ascending sort: unknown = 9999 so it sorts last
UNKNOWN_YEAR_LAST = 9999
SORT_TITLE = "sort_title"

# Facet name (the public name, see FACETS) -> the indexed field that filters use (raw, one
# token per value, every value of the record).
FACET_FIELDS = {
    "material_type": "material_type",
    "language": "language",
    "audience": "audience",
    "author": "author_facet",
    "subject": "subject_facet",
    "library": "library",
    "available_at": "available_at",
}
# Counting. A terms aggregation over a *dense single-valued* fast column costs ~3 ns of CPU
# per matching document plus a cost per distinct value it returns; over a multi-valued
# column ~100 ns per document (measured on 1M records, bench/search.py). So:
# * material type, language, audience and decade each have a dense single-valued column
#   (EMPTY when unknown); every document has exactly one material type value, so that
#   column's buckets also sum to the number of matching documents;
# * a multi-valued facet is counted from K single-valued "slot" columns (the record's
#   1st..Kth value, or EMPTY) plus one overflow column holding the remaining values joined
#   by SEP (EMPTY when none). Every value of a record is in exactly one slot or in the
#   overflow, so the counts are exact.
SINGLE_VALUED = ("material_type", "language", "audience")
COUNT_FIELDS = {
    "material_type": "material_type_c",
    "language": "language_c",
    "audience": "audience_c",
    "year": "decade_c",
}
SLOTS = {"library": 2, "available_at": 3, "author": 2, "subject": 3}
EMPTY = "\x1e"
SEP = "\x1f"


def slot_fields(facet):
    return [f"{facet}_{i}" for i in range(SLOTS[facet])]


def overflow_field(facet):
    return f"{facet}_x"


def build_analyzer():
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stopword("dutch"))
        .filter(tantivy.Filter.stemmer("dutch"))
        .build()
    )


# The same analyzer object serves query analysis in Python (it is immutable).
analyzer = build_analyzer()


def build_schema():
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field(ID, stored=True, indexed=True, fast=True)
    for name in (TITLE, AUTHOR, SUBJECT, ALL):
        sb.add_text_field(name, tokenizer_name=ANALYZER, index_option="position")
    sb.add_text_field(IDENT, tokenizer_name="raw", index_option="basic")
    for field in FACET_FIELDS.values():
        sb.add_text_field(field, tokenizer_name="raw", index_option="basic")
    for field in COUNT_FIELDS.values():
        sb.add_text_field(field, fast=True, tokenizer_name="raw", index_option="basic")
    for facet in SLOTS:
        for field in (*slot_fields(facet), overflow_field(facet)):
            sb.add_text_field(field, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field(YEAR, indexed=True, fast=True)  # 0 = unknown (keeps it dense)
    sb.add_integer_field(YEAR_ASC, fast=True)
    sb.add_text_field(SORT_TITLE, fast=True, tokenizer_name="raw", index_option="basic")
    return sb.build()


schema = build_schema()

_LEADING_ARTICLE = re.compile(r"^(de|het|een|the|a|an|der|die|das|le|la|les|l)\s+")
_NON_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Lower-case and strip accents ("Café" -> "cafe")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def sort_key(title: str) -> str:
    """Title sort key: folded, leading article dropped, punctuation squeezed."""
    key = _NON_WORD.sub(" ", fold(title or "")).strip()
    key = _LEADING_ARTICLE.sub("", key)
    return key[:120]
