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


def facet_counts(searcher, query, names=FACETS):
    """Exact counts per facet value for the documents matching ``query``.

    Terms aggregations over dense single-valued fast columns (see schema.SLOTS), in one
    pass. Facets listing every value (all but author/subject) are exact when each column
    is complete; an incomplete one is recounted with unlimited segment lists. For the
    top-N facets (author, subject) the first pass yields candidates (top 3N per slot, 10N
    per segment) and a second pass counts exactly the 2N best-looking ones (``include``)
    in every slot; the overflow column is always counted completely. The counts shown are
    exact; which N are shown is decided on the candidates.
    """
    aggs = {}
    for name in names:
        if name == "year":
            aggs["year"] = {
                "histogram": {"field": S.YEAR, "interval": YEAR_BUCKET, "min_doc_count": 1}
            }
        elif name in S.SINGLE_VALUED:
            aggs[name] = _terms(S.FACET_FIELDS[name], FACET_SIZE_ALL, 2**31 - 1)
        else:
            top = FACET_SIZE.get(name)
            size = top * 3 if top else FACET_SIZE_ALL
            seg = top * 10 if top else 2**31 - 1
            for f in S.slot_fields(name):
                aggs[f] = _terms(f, size, seg)
            aggs[S.overflow_field(name)] = _terms(S.overflow_field(name), 5000, 2**31 - 1)
    raw = searcher.aggregate(query, aggs) if aggs else {}
    # Columns whose every value is needed: recount any that came back incomplete.
    redo = {
        key: _terms(spec["terms"]["field"], 2**20, 2**31 - 1)
        for key, spec in aggs.items()
        if "terms" in spec and spec["terms"]["segment_size"] == 2**31 - 1
        if not _complete(raw, key)
    }
    if redo:
        raw.update(searcher.aggregate(query, redo))
    out = {}
    second = {}
    for name in names:
        if name == "year":
            pairs = [
                (f"{int(b['key'])}-{int(b['key']) + YEAR_BUCKET - 1}", b["doc_count"])
                for b in _buckets(raw, "year")
                if b["doc_count"] and b["key"] >= YEAR_BUCKET
            ]
            out[name] = sorted(pairs, reverse=True)
            continue
        counts = {}
        keys = [S.FACET_FIELDS[name]] if name in S.SINGLE_VALUED else S.slot_fields(name)
        for key in keys:
            for b in _buckets(raw, key):
                if b["key"] != S.EMPTY:
                    counts[b["key"]] = counts.get(b["key"], 0) + b["doc_count"]
        if name not in S.SINGLE_VALUED:
            ofield = S.overflow_field(name)
            _overflow_counts(raw, ofield, counts)
        top = FACET_SIZE.get(name)
        if top:
            candidates = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: top * 2]
            second[name] = [k for k, _ in candidates]
        out[name] = counts
    if second:
        out.update(_exact_top(searcher, query, second, raw))
    result = {}
    for name in names:
        pairs = out[name] if name == "year" else list(out[name].items())
        if name != "year":
            pairs.sort(key=lambda kv: (-kv[1], kv[0]))
            if FACET_SIZE.get(name):
                pairs = pairs[: FACET_SIZE[name]]
        result[name] = [(k, int(c)) for k, c in pairs if c]
    return result


def _exact_top(searcher, query, candidates, first_raw):
    """Exact counts of the candidate values of top-N facets: every slot column restricted
    to the candidates (``include``), plus the overflow column of the first pass."""
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
    query = combine(Q.build_query(parsed), fq)
    kwargs = {"limit": per_page, "offset": (page - 1) * per_page, "count": True}
    if sort == "year":
        kwargs.update(order_by_field=S.YEAR_ASC, order=Order.Asc)
    elif sort == "-year":
        kwargs.update(order_by_field=S.YEAR, order=Order.Desc)
    elif sort == "title":
        kwargs.update(order_by_field=S.SORT_TITLE, order=Order.Asc)
    result = searcher.search(query, **kwargs)
    corrected = False
    if result.count < FUZZY_WHEN_FEWER_THAN and Q.has_fuzzy_candidates(parsed):
        fuzzy_query = combine(Q.build_query(parsed, fuzzy=True), fq)
        fuzzy_result = searcher.search(fuzzy_query, **kwargs)
        if fuzzy_result.count > result.count:
            query, result, corrected = fuzzy_query, fuzzy_result, True
    hits = result.hits
    ids = searcher.fast_field_values(S.ID, [addr for _, addr in hits]) if hits else []
    scores = [float(s) if sort == "relevance" else 0.0 for s, _ in hits]
    return SearchResult(
        total=result.count,
        hits=[Hit(record_id=int(i), score=s) for i, s in zip(ids, scores, strict=True)],
        facets=facet_counts(searcher, query) if facets else {},
        page=page,
        per_page=per_page,
        query=q,
        corrected=corrected,
    )
