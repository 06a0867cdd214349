"""Public catalogue API under /api/v1/catalogue/: search, records, items.

Read-only and public: it shows what the public catalogue shows (no patron data; a loan
contributes only its due date). Availability is read live from the database.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from bci.catalogue.errors import ItemNotFound, RecordNotFound
from bci.catalogue.fields import names
from bci.catalogue.models import Identifier, Item
from bci.catalogue.search import FACETS
from bci.circulation import queries as circulation_queries
from bci.core.errors import DomainError, InvalidInput

from .queries.copies import availability_for, public_items
from .queries.labels import STATUS_LABELS, facet_labels
from .queries.records import live_records, record_slug, resolve_record
from .schemas import ErrorOut, ItemOut, RecordDetail, RecordPage, RecordQuery

router = Router(tags=["catalogue"])


class RecordDeleted(DomainError):
    code = "record_deleted"
    message = _("Record %(record_id)s has been removed from the catalogue.")
    status = 410


class SearchUnavailable(DomainError):
    code = "search_unavailable"
    message = _("Searching is not possible right now. Please try again in a moment.")
    status = 503


def _opac_url(record):
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("opac:record", args=[record.pk, record_slug(record)])


def _identifiers(record_ids):
    rows = Identifier.objects.filter(record_id__in=list(record_ids)).order_by(
        "record_id", "scheme", "value"
    )
    out = {rid: [] for rid in record_ids}
    for ident in rows:
        out[ident.record_id].append({"scheme": ident.scheme, "value": ident.value})
    return out


def _fields(record, identifiers):
    return {
        "id": record.pk,
        "url": _opac_url(record),
        "title": record.title,
        "subtitle": record.subtitle,
        "authors": names(record.authors),
        "main_author": record.main_author,
        "publisher": record.publisher,
        "year": record.year,
        "language": record.language,
        "material_type": record.material_type,
        "audience": record.audience,
        "series": record.series,
        "subjects": names(record.subjects),
        "classification": record.classification,
        "identifiers": identifiers,
    }


def _place(node):
    return {"code": node.code, "name": node.name} if node is not None else None


def _item(item, due_date=None):
    return {
        "barcode": item.barcode,
        "record_id": item.record_id,
        "status": item.status,
        "status_label": str(STATUS_LABELS.get(item.status, item.status)),
        "due_date": due_date,
        "library": _place(item.owner),
        "home_branch": _place(item.home_branch),
        "current_location": _place(item.current_location),
        "shelf_code": item.shelf_code,
        "call_number": item.call_number,
        "material_type": item.material_type,
        "floating": item.floating,
    }


@router.get(
    "/records",
    response={200: RecordPage, 400: ErrorOut, 503: ErrorOut},
    summary="Search the catalogue",
    url_name="catalogue_records",
)
def list_records(request, params: Query[RecordQuery]):
    """Search with facet filters; each result carries its live availability, and the
    page carries facet counts for the whole result set."""
    from bci.catalogue.search import search

    filters = {name: getattr(params, name) for name in FACETS if getattr(params, name)}
    filters = {k: [v for v in vals if v] for k, vals in filters.items()}
    filters = {k: v for k, v in filters.items() if v}
    try:
        result = search(
            params.q.strip(),
            filters=filters or None,
            page=params.page,
            per_page=params.per_page,
            sort=params.sort,
            facets=True,
        )
    except ValueError as exc:
        raise InvalidInput(
            _("The search could not be understood: %(reason)s"), reason=str(exc)
        ) from exc
    except OSError as exc:
        raise SearchUnavailable() from exc
    records = live_records([h.record_id for h in result.hits])
    ids = [r.pk for r in records]
    availability = availability_for(ids)
    identifiers = _identifiers(ids)
    labels = facet_labels(result.facets, filters)
    return {
        "total": result.total,
        "page": params.page,
        "per_page": params.per_page,
        "query": params.q.strip(),
        "corrected": bool(getattr(result, "corrected", False)),
        "results": [
            {**_fields(r, identifiers[r.pk]), "availability": availability[r.pk].as_dict()}
            for r in records
        ],
        "facets": {
            name: [
                {"value": str(value), "label": str(labels[name].get(value, value)), "count": n}
                for value, n in pairs
            ]
            for name, pairs in (result.facets or {}).items()
        },
    }


@router.get(
    "/records/{record_id}",
    response={200: RecordDetail, 301: ErrorOut, 404: ErrorOut, 410: ErrorOut},
    summary="One record with its MARC and its copies",
    url_name="catalogue_record",
)
def get_record(request, record_id: int):
    """The record's fields, the whole MARC record (MARC-in-JSON) and every copy the public
    sees with its live status. A record merged into another answers 301 to the survivor;
    a removed record 410."""
    record, survivor = resolve_record(record_id)
    if record is None:
        raise RecordNotFound(record_id=record_id)
    if survivor is not None:
        return HttpResponsePermanentRedirect(
            reverse("api:catalogue_record", kwargs={"record_id": survivor.pk})
        )
    if record.is_deleted:
        raise RecordDeleted(record_id=record_id)
    items = list(public_items([record.pk]))
    dues = circulation_queries.due_dates([i.pk for i in items if i.status == Item.Status.ON_LOAN])
    identifiers = _identifiers([record.pk])[record.pk]
    availability = availability_for([record.pk])[record.pk]
    return {
        **_fields(record, identifiers),
        "availability": availability.as_dict(),
        "marc": record.marc if isinstance(record.marc, dict) else {},
        "items": [_item(i, dues.get(i.pk)) for i in items],
        "updated_at": record.updated_at,
    }


@router.get(
    "/items/{barcode}",
    response={200: ItemOut, 404: ErrorOut},
    summary="One item (copy) by barcode",
    url_name="catalogue_item",
)
def get_item(request, barcode: str):
    """The copy's live status, its record and where it belongs and stands."""
    barcode = barcode.strip()
    item = (
        Item.objects.select_related("owner", "home_branch", "current_location")
        .filter(barcode=barcode[:32])
        .first()
        if 0 < len(barcode) <= 32
        else None
    )
    if item is None:
        raise ItemNotFound(barcode=barcode[:40])
    dues = circulation_queries.due_dates([item.pk]) if item.status == Item.Status.ON_LOAN else {}
    return _item(item, dues.get(item.pk))
