"""Public catalogue pages: home, search results with facets, record page.

Thin: parsing in params.py, reads in queries/, search in bci.catalogue.search.
A request from htmx gets the results partial, any other request the whole page.
"""

from __future__ import annotations

import hashlib
import logging
import math
from urllib.parse import urlencode

from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from bci.catalogue.fields import names
from bci.catalogue.models import Identifier
from bci.core.errors import DomainError

from .params import MAX_PAGE, PER_PAGE, SORTS, SearchParams, parse_params
from .queries.copies import availability_for, copies_of
from .queries.labels import FACET_TITLES, facet_labels, language_name
from .queries.linked_data import json_ld, schema_org
from .queries.records import live_records, record_slug, resolve_record

log = logging.getLogger(__name__)

FACETS_SHOWN = 8  # values shown per facet before "more"


def record_url(record):
    return reverse("opac:record", args=[record.pk, record_slug(record)])


def _wants_partial(request):
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def home(request):
    return render(request, "opac/home.html", {"params": SearchParams()})


def _dom_id(name, value):
    """A stable element id per facet value, so htmx keeps keyboard focus across a swap."""
    return f"f-{name}-{hashlib.blake2s(value.encode(), digest_size=5).hexdigest()}"


def _facet_groups(params, facets, labels):
    groups = []
    for name, title in FACET_TITLES.items():
        pairs = list(facets.get(name, ()))
        selected = list(params.filters.get(name, ()))
        seen = {value for value, _count in pairs}
        values = [
            {
                "value": value,
                "label": labels.get(name, {}).get(value, value),
                "count": None,
                "selected": True,
                "id": _dom_id(name, value),
                "url": "?" + params.toggled(name, value),
            }
            for value in selected
            if value not in seen
        ]
        for value, count in pairs:
            values.append(
                {
                    "value": value,
                    "label": labels.get(name, {}).get(value, value),
                    "count": count,
                    "selected": value in selected,
                    "id": _dom_id(name, value),
                    "url": "?" + params.toggled(name, value),
                }
            )
        if not values:
            continue
        # selected values always in view; the rest behind "more"
        first = [v for v in values if v["selected"]]
        rest = [v for v in values if not v["selected"]]
        room = max(FACETS_SHOWN - len(first), 0)
        groups.append(
            {
                "name": name,
                "title": title,
                "shown": first + rest[:room],
                "more": rest[room:],
                "selected": bool(selected),
            }
        )
    return groups


def _page_links(params, page, last):
    if last <= 1:
        return []
    numbers = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    links, prev = [], 0
    for n in numbers:
        if n - prev > 1:
            links.append({"gap": True})
        links.append({"number": n, "url": "?" + params.query_string(page=n), "current": n == page})
        prev = n
    return links


def search_context(params):
    """Run the search for ``params`` and gather everything the results partial shows."""
    from bci.catalogue.search import search

    error = None
    result = None
    unavailable = False
    # An empty search browses the whole catalogue (refine it with the facets).
    try:
        result = search(
            params.q,
            filters={k: list(v) for k, v in params.filters.items()} or None,
            page=params.page,
            per_page=PER_PAGE,
            sort=params.sort,
            facets=True,
        )
    except DomainError as exc:
        error = str(exc)
    except ValueError as exc:  # a query the parser could not make sense of
        log.info("search refused %r: %s", params.q, exc)
        error = _("This search could not be understood. Try other words.")
    except OSError:  # the index cannot be read: say so, record pages keep working
        log.exception("search index unavailable")
        error = _("Searching is not possible right now. Please try again in a moment.")
        unavailable = True
    total = result.total if result else 0
    hits = result.hits if result else []
    facets = result.facets if result else {}
    records = live_records([h.record_id for h in hits])
    availability = availability_for([r.pk for r in records])
    labels = facet_labels(facets, params.filters)
    last = min(max(math.ceil(total / PER_PAGE), 1), MAX_PAGE)
    results = [
        {"record": r, "url": record_url(r), "availability": availability[r.pk]} for r in records
    ]
    selected = [
        {
            "facet": FACET_TITLES[name],
            "label": labels.get(name, {}).get(value, value),
            "url": "?" + params.toggled(name, value),
        }
        for name, values in params.filters.items()
        for value in values
    ]
    return {
        "params": params,
        "searched": result is not None,
        "unavailable": unavailable,
        "error": error,
        "total": total,
        "results": results,
        "first_number": (params.page - 1) * PER_PAGE + 1,
        "facet_groups": _facet_groups(params, facets, labels),
        "selected_filters": selected,
        "clear_url": "?" + params.query_string(filters={}),
        "page": params.page,
        "last_page": last,
        "page_beyond_end": bool(total) and params.page > last,
        "last_page_url": "?" + params.query_string(page=last),
        "prev_url": "?" + params.query_string(page=params.page - 1) if params.page > 1 else "",
        "next_url": "?" + params.query_string(page=params.page + 1) if params.page < last else "",
        "page_links": _page_links(params, params.page, last),
        "sorts": list(SORTS.items()),
        "corrected": bool(getattr(result, "corrected", False)),
        "language_labels": labels.get("language", {}),
    }


def search_results(request):
    params = parse_params(request.GET)
    context = search_context(params)
    partial = _wants_partial(request)
    template = "opac/partials/results.html" if partial else "opac/search.html"
    status = 503 if context["unavailable"] else 200
    response = render(request, template, {**context, "partial": partial}, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def record_detail(request, pk, slug=None):
    record, survivor = resolve_record(pk)
    if record is None:
        raise Http404(_("No such record."))
    if survivor is not None:
        return HttpResponsePermanentRedirect(record_url(survivor))
    if record.is_deleted:
        return render(request, "opac/gone.html", {"record": record}, status=410)
    if slug != record_slug(record):
        return HttpResponsePermanentRedirect(record_url(record))
    identifiers = list(record.identifiers.order_by("scheme", "value"))
    libraries = copies_of(record)
    url = request.build_absolute_uri(record_url(record))
    isbns = [i.value for i in identifiers if i.scheme == Identifier.Scheme.ISBN]
    total = sum(lib.total for lib in libraries)
    available = sum(lib.available for lib in libraries)
    context = {
        "record": record,
        "canonical_url": url,
        "identifiers": identifiers,
        "libraries": libraries,
        "total": total,
        "available": available,
        "language": language_name(record.language),
        "marc": _marc_rows(record.marc),
        "json_ld": json_ld(schema_org(record, url=url, isbns=isbns, libraries=libraries)),
        "authors": _links("author", names(record.authors) or [record.main_author]),
        "subjects": _links("subject", names(record.subjects)),
    }
    return render(request, "opac/record.html", context)


def _links(facet, values):
    base = reverse("opac:search")
    return [{"label": str(v), "url": f"{base}?{urlencode({facet: str(v)})}"} for v in values if v]


def _marc_rows(marc):
    """MARC-in-JSON as rows (tag, ind1, ind2, [(code, value)] or text) for display."""
    rows = []
    if not isinstance(marc, dict):
        return rows
    if marc.get("leader"):
        rows.append({"tag": "LDR", "control": True, "text": marc["leader"]})
    for entry in marc.get("fields") or []:
        if not isinstance(entry, dict):
            continue
        for tag, body in entry.items():
            if isinstance(body, dict):
                subfields = []
                for sub in body.get("subfields") or []:
                    if isinstance(sub, dict):
                        subfields.extend((str(c), str(v)) for c, v in sub.items())
                rows.append(
                    {
                        "tag": tag,
                        "control": False,
                        "ind1": body.get("ind1", " "),
                        "ind2": body.get("ind2", " "),
                        "subfields": subfields,
                    }
                )
            else:
                rows.append({"tag": tag, "control": True, "text": str(body)})
    return rows
