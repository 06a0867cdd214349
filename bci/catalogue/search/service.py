"""The query service: query + filters -> one page of record ids, exact facet counts."""

import logging
import re

from tantivy import FieldType, Occur, Order, Query

from . import query as Q
from . import schema as S
from .index import CatalogueIndex, get_index

log = logging.getLogger(__name__)

FACETS = (
    "material_type",
    "language",
    "audience",
    "year",
    "author",
    "subject",
    "library",
    "available_at",
)
SORTS = ("relevance", "year", "-year", "title")
MAX_PER_PAGE = 100
MAX_OFFSET = 10_000  # deeper pages are refused: refine the query instead
FUZZY_WHEN_FEWER_THAN = 1  # typo tolerance kicks in when the exact query finds nothing
YEAR_BUCKET = 10  # the year facet counts by decade: "2020-2029"
FACET_SIZE = {"author": 10, "subject": 10}  # top-N; the others list every value
FACET_SIZE_ALL = 1000
_YEAR_RANGE = re.compile(r"^\s*(\d{1,4})?\s*-\s*(\d{1,4})?\s*$|^\s*(\d{1,4})\s*$")


def _year_filter(value):
    m = _YEAR_RANGE.match(str(value))
    if not m:
        return None
    if m.group(3):
        lo = hi = int(m.group(3))
    else:
        lo = int(m.group(1)) if m.group(1) else 1
        hi = int(m.group(2)) if m.group(2) else 9999
    lo = max(lo, 1)  # 0 stands for "no year"
    if lo > hi:
        return None
    return Query.range_query(S.schema, S.YEAR, FieldType.Integer, lo, hi)


def filter_queries(filters):
    """One query per facet in ``filters`` (values of one facet OR-ed, facets AND-ed).
    Unknown facets and malformed values are ignored; a facet whose values are all
    malformed matches nothing."""
    out = []
    for name, values in (filters or {}).items():
        if name not in FACETS or values is None:
            continue
        if isinstance(values, str):
            values = [values]
        values = [str(v) for v in values if v is not None and str(v) != ""][:50]
        if not values:
            continue
        if name == "year":
            subs = [q for v in values if (q := _year_filter(v)) is not None]
        else:
            subs = [Query.term_query(S.schema, S.FACET_FIELDS[name], v) for v in values]
        if not subs:
            out.append(Query.empty_query())
        elif len(subs) == 1:
            out.append(subs[0])
        else:
            out.append(Query.boolean_query([(Occur.Should, q) for q in subs]))
    return out


def combine(text_query, filters):
    """Text query AND filters; filters do not score."""
    clauses = [(Occur.Must, Query.const_score_query(f, 0.0)) for f in filters]
    if text_query is not None:
        clauses.insert(0, (Occur.Must, text_query))
    if not clauses:
        return Query.all_query()
    if len(clauses) == 1 and text_query is not None:
        return text_query
    return Query.boolean_query(clauses)


def _terms(field, size, segment_size=None, include=None):
    spec = {"field": field, "size": size, "segment_size": segment_size or max(size * 10, 100)}
    if include is not None:
        spec["include"] = include
    return {"terms": spec}


def _buckets(raw, key):
    return raw.get(key, {}).get("buckets", [])


def _complete(raw, key):
    """True when a terms aggregation listed every value with its exact count."""
    agg = raw.get(key, {})
    return not agg.get("sum_other_doc_count", 0) and not agg.get("doc_count_error_upper_bound", 0)


def _overflow_counts(raw, key, counts):
    for b in _buckets(raw, key):
        if b["key"] != S.EMPTY:
            for v in b["key"].split(S.SEP):
                counts[v] = counts.get(v, 0) + b["doc_count"]


ALL_VALUES = 2**31 - 1  # segment_size: every segment reports every value


def facet_counts(searcher, query, names=FACETS):
    """``(facets, total)``: exact counts per facet value for the documents matching
    ``query``, and the number of those documents.

    One aggregation pass over dense single-valued fast columns (see schema.COUNT_FIELDS
    and schema.SLOTS). Columns listing every value are exact when complete; an incomplete one is
    recounted with unlimited lists. For the top-N facets (author, subject) the first pass
    takes the top 2N per slot (5N per segment); when a slot's list was cut, a second pass
    counts the 2N best-looking candidates exactly (``include``) in every slot; the overflow
    column is always counted completely. The counts shown are exact; which N are shown is
    decided among those candidates.
    """
    aggs = {}
    for name in ("material_type", *names):  # material_type also gives the total
        if name in S.COUNT_FIELDS:
            aggs[S.COUNT_FIELDS[name]] = _terms(S.COUNT_FIELDS[name], FACET_SIZE_ALL, ALL_VALUES)
    multi = [n for n in names if n in S.SLOTS]
    for name in multi:
        top = FACET_SIZE.get(name)
        for f in S.slot_fields(name):
            aggs[f] = _terms(f, top * 2, top * 5) if top else _terms(f, FACET_SIZE_ALL, ALL_VALUES)
        aggs[S.overflow_field(name)] = _terms(S.overflow_field(name), 5000, ALL_VALUES)
    raw = searcher.aggregate(query, aggs)
    # Columns whose every value is needed: recount any that came back incomplete.
    redo = {
        key: _terms(spec["terms"]["field"], 2**20, ALL_VALUES)
        for key, spec in aggs.items()
        if spec["terms"]["segment_size"] == ALL_VALUES and not _complete(raw, key)
    }
    if redo:
        raw.update(searcher.aggregate(query, redo))

    counts = {name: {} for name in names}
    total = sum(b["doc_count"] for b in _buckets(raw, S.COUNT_FIELDS["material_type"]))
    for name in names:
        if name in S.COUNT_FIELDS:
            c = counts[name]
            for b in _buckets(raw, S.COUNT_FIELDS[name]):
                if b["key"] != S.EMPTY:
                    c[b["key"]] = c.get(b["key"], 0) + b["doc_count"]
    if "year" in counts:
        counts["year"] = {f"{d}-{int(d) + YEAR_BUCKET - 1}": n for d, n in counts["year"].items()}
    second = {}
    for name in multi:
        c = counts[name]
        for key in S.slot_fields(name):
            for b in _buckets(raw, key):
                if b["key"] != S.EMPTY:
                    c[b["key"]] = c.get(b["key"], 0) + b["doc_count"]
        _overflow_counts(raw, S.overflow_field(name), c)
        top = FACET_SIZE.get(name)
        if top and not all(_complete(raw, key) for key in S.slot_fields(name)):
            best = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[: top * 2]
            second[name] = [k for k, _ in best]
    if second:
        counts.update(_exact_top(searcher, query, second, raw))
    result = {}
    for name in names:
        if name == "year":
            pairs = sorted(counts[name].items(), reverse=True)
        else:
            pairs = sorted(counts[name].items(), key=lambda kv: (-kv[1], kv[0]))
            if FACET_SIZE.get(name):
                pairs = pairs[: FACET_SIZE[name]]
        result[name] = [(k, int(n)) for k, n in pairs if n]
    return result, total


def _exact_top(searcher, query, candidates, first_raw):
    """Exact counts of the candidate values of top-N facets: every slot column restricted
    to the candidates (``include``), plus the complete overflow column of the first pass."""
    aggs = {}
    for name, values in candidates.items():
        if values:
            for f in S.slot_fields(name):
                aggs[f] = _terms(f, len(values), len(values), include=values)
    raw = searcher.aggregate(query, aggs) if aggs else {}
    out = {}
    for name, values in candidates.items():
        counts = dict.fromkeys(values, 0)
        for f in S.slot_fields(name):
            for b in _buckets(raw, f):
                if b["key"] in counts:
                    counts[b["key"]] += b["doc_count"]
        over = {}
        _overflow_counts(first_raw, S.overflow_field(name), over)
        for v in values:
            counts[v] += over.get(v, 0)
        out[name] = counts
    return out


def _clamp_int(value, default, lo, hi):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return default
    return max(lo, min(hi, value))


def run_search(
    q="",
    *,
    filters=None,
    page=1,
    per_page=20,
    sort="relevance",
    facets=True,
    index: CatalogueIndex | None = None,
):
    from . import Hit, SearchResult

    q = "" if q is None else str(q)
    per_page = _clamp_int(per_page, 20, 1, MAX_PER_PAGE)
    page = _clamp_int(page, 1, 1, MAX_OFFSET // per_page + 1)
    sort = sort if sort in SORTS else "relevance"
    index = index or get_index()
    searcher = index.searcher()

    parsed = Q.parse(q)
    fq = filter_queries(filters)
    kwargs = {"limit": per_page, "offset": (page - 1) * per_page}
    if sort == "year":
        kwargs.update(order_by_field=S.YEAR_ASC, order=Order.Asc)
    elif sort == "-year":
        kwargs.update(order_by_field=S.YEAR, order=Order.Desc)
    elif sort == "title":
        kwargs.update(order_by_field=S.SORT_TITLE, order=Order.Asc)

    def page_and_count(query, match):
        if facets:
            # The facet pass counts the hits too, on the cheaper match-only query; the
            # page is then collected without counting.
            counts, total = facet_counts(searcher, match)
            hits = searcher.search(query, count=False, **kwargs).hits if total else []
            return total, hits, counts
        result = searcher.search(query, count=True, **kwargs)
        return result.count, result.hits, {}

    query = combine(Q.build_query(parsed), fq)
    match = combine(Q.build_query(parsed, match_only=True), fq)
    total, hits, facet_result = page_and_count(query, match)
    corrected = False
    if total < FUZZY_WHEN_FEWER_THAN and Q.has_fuzzy_candidates(parsed):
        fuzzy_query = combine(Q.build_query(parsed, fuzzy=True), fq)
        fuzzy = page_and_count(fuzzy_query, fuzzy_query)
        if fuzzy[0] > total:
            (total, hits, facet_result), corrected = fuzzy, True
    ids = searcher.fast_field_values(S.ID, [addr for _, addr in hits]) if hits else []
    scores = [float(s) if sort == "relevance" else 0.0 for s, _ in hits]
    return SearchResult(
        total=total,
        hits=[Hit(record_id=int(i), score=s) for i, s in zip(ids, scores, strict=True)],
        facets=facet_result,
        page=page,
        per_page=per_page,
        query=q,
        corrected=corrected,
    )
