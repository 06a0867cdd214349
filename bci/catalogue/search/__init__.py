"""Catalogue search on Tantivy: the public interface.

The OPAC, the API and SRU call ``search``; the indexer keeps the index in step with the
database through ``IndexQueue``. See docs/search.md.
"""

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Hit:
    record_id: int
    score: float


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    page: int
    per_page: int
    query: str
    corrected: bool = False


from .service import FACETS, SORTS  # noqa: E402


def search(
    q: str = "",
    *,
    filters: dict[str, list[str]] | None = None,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    facets: bool = True,
    index=None,
) -> SearchResult:
    """Search the catalogue. Never raises on what a user typed: a query tantivy refuses
    is retried as plain words, and failing that answers with no hits.

    ``sort``: relevance | year | -year | title. ``filters``: {facet: [values]}, values of a
    facet OR-ed, facets AND-ed; ``year`` values are ranges like "2020-2029". Empty ``q``
    with filters browses. ``index``: a CatalogueIndex (default: settings.BCI_INDEX_DIR).
    """
    from .service import run_search

    kwargs = dict(filters=filters, page=page, per_page=per_page, sort=sort, facets=facets)
    try:
        return run_search(q, index=index, **kwargs)
    except ValueError:
        log.warning("search query refused by tantivy, retrying as plain words: %r", q)
    plain = " ".join("".join(c if c.isalnum() else " " for c in str(q or "")).split())
    try:
        return run_search(plain, index=index, **kwargs)
    except ValueError:
        log.exception("search failed for %r", q)
        return SearchResult(0, [], {}, 1, 20, str(q or ""))


from .indexer import index_pending, rebuild_index, run_indexer  # noqa: E402

__all__ = [
    "FACETS",
    "SORTS",
    "Hit",
    "SearchResult",
    "index_pending",
    "rebuild_index",
    "run_indexer",
    "search",
]
