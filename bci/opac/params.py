"""Lenient parsing of the search page's query string: whatever comes in, something sane
goes to the search service (no 500 on bad input; what was changed is reported)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _

from bci.catalogue.search import FACETS

MAX_QUERY_LENGTH = 500
MAX_PAGE = 500  # deeper than 10,000 results nobody pages; refine instead
PER_PAGE = 20
MAX_VALUES_PER_FACET = 20
MAX_VALUE_LENGTH = 200

SORTS = {
    "relevance": _("Relevance"),
    "-year": _("Newest first"),
    "year": _("Oldest first"),
    "title": _("Title A-Z"),
}
DEFAULT_SORT = "relevance"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(value, limit):
    return _CONTROL.sub(" ", value or "").strip()[:limit].strip()


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    filters: dict = field(default_factory=dict)  # facet -> tuple of values
    page: int = 1
    sort: str = DEFAULT_SORT
    notes: tuple = ()  # messages about input we had to change

    @property
    def is_empty(self):
        return not self.q and not self.filters

    def items(self, *, page=None, sort=None, filters=None):
        """(key, value) pairs for a query string; page 1 and the default sort are left out."""
        pairs = []
        if self.q:
            pairs.append(("q", self.q))
        for name in FACETS:
            for value in (filters if filters is not None else self.filters).get(name, ()):
                pairs.append((name, value))
        sort = sort or self.sort
        if sort != DEFAULT_SORT:
            pairs.append(("sort", sort))
        page = page or 1
        if page > 1:
            pairs.append(("page", str(page)))
        return pairs

    def query_string(self, **changes):
        return urlencode(self.items(**changes))

    def toggled(self, name, value):
        """Filters with ``value`` of facet ``name`` switched on or off (back to page 1)."""
        filters = {k: list(v) for k, v in self.filters.items()}
        current = filters.get(name, [])
        if value in current:
            current = [v for v in current if v != value]
        else:
            current = [*current, value]
        if current:
            filters[name] = current
        else:
            filters.pop(name, None)
        return self.query_string(filters=filters)


def parse_params(querydict):
    """SearchParams from request.GET; never raises."""
    notes = []
    raw_q = querydict.get("q", "") or ""
    q = clean_text(raw_q, MAX_QUERY_LENGTH)
    if len(raw_q.strip()) > MAX_QUERY_LENGTH:
        notes.append(_("Your search was shortened to %(n)s characters.") % {"n": MAX_QUERY_LENGTH})
    filters = {}
    for name in FACETS:
        values = []
        for raw in querydict.getlist(name):
            value = clean_text(raw, MAX_VALUE_LENGTH)
            if value and value not in values:
                values.append(value)
        if len(values) > MAX_VALUES_PER_FACET:
            values = values[:MAX_VALUES_PER_FACET]
            notes.append(
                _("Only the first %(n)s choices per filter are used.") % {"n": MAX_VALUES_PER_FACET}
            )
        if values:
            filters[name] = tuple(values)
    page = 1
    raw_page = (querydict.get("page", "") or "").strip()
    if raw_page:
        try:
            page = int(raw_page[:12])
        except ValueError:
            notes.append(_("That page number is not valid; showing the first page."))
            page = 1
        if page < 1:
            page = 1
        elif page > MAX_PAGE:
            notes.append(
                _("Only the first %(n)s pages can be shown; refine your search instead.")
                % {"n": MAX_PAGE}
            )
            page = MAX_PAGE
    sort = querydict.get("sort", DEFAULT_SORT) or DEFAULT_SORT
    if sort not in SORTS:
        sort = DEFAULT_SORT
    return SearchParams(q=q, filters=filters, page=page, sort=sort, notes=tuple(notes))
