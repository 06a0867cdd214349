"""REST API under /api/v1/logistics/: scans from handheld scanners, crates, transits."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status

from bci.accounts.api_auth import STAFF_AUTH
from bci.accounts.permissions import LOGISTICS_SCAN, LOGISTICS_VIEW, can, restrict
from bci.core.errors import InvalidInput, NotFound, PermissionDenied
from bci.organisations.models import Node

from . import crates, queries
from .models import Transit
from .schemas import CrateOut, ErrorOut, ReceiptOut, ScanIn, TransitOut

router = Router(tags=["logistics"], auth=STAFF_AUTH)
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _node(request, code, action):
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise NotFound(message=f"No location with code {code}.")
    if not can(request.user, action, node):
        raise PermissionDenied()
    return node


def crate_out(crate):
    return {
        "barcode": crate.barcode,
        "status": crate.status,
        "destination": crate.destination.code if crate.destination else None,
        "location": crate.location.code if crate.location else None,
        "items": [t.item.barcode for t in queries.crate_manifest(crate)],
    }


def transit_out(transit):
    return {
        "id": transit.pk,
        "item": transit.item.barcode,
        "from_node": transit.from_node.code,
        "to_node": transit.to_node.code,
        "reason": transit.reason,
        "funding": transit.funding,
        "status": transit.status,
        "crate": transit.crate.barcode if transit.crate else None,
        "created_at": transit.created_at,
        "history": queries.transit_history(transit),
    }


@router.post(
    "/scans",
    response={200: CrateOut | ReceiptOut, **ERRORS},
    summary="A scan: pack an item, collect, unload, deliver or receive a crate",
)
def scan(request, payload: ScanIn):
    at = _node(request, payload.at, LOGISTICS_SCAN)
    by = request.user
    if payload.action == "pack":
        if not payload.item:
            raise InvalidInput(_("Packing needs an item barcode."))
        crate = crates.pack_item(
            crate_barcode=payload.crate, item_barcode=payload.item, at=at, by=by
        )
    elif payload.action == "collect":
        crate = crates.collect_crate(crate_barcode=payload.crate, at=at, by=by)
    elif payload.action == "unload":
        crates.unload_at_depot(crate_barcode=payload.crate, depot=at, by=by)
        crate = queries.crate_by_barcode(payload.crate)
    elif payload.action == "deliver":
        crate = crates.deliver_crate(crate_barcode=payload.crate, at=at, by=by)
    else:
        receipt = crates.receive_crate(
            crate_barcode=payload.crate, at=at, scanned=payload.items, by=by
        )
        return Status(200, vars(receipt))
    return Status(200, crate_out(crate))


@router.get("/crates/{barcode}", response={200: CrateOut, **ERRORS}, summary="A crate")
def get_crate(request, barcode: str):
    crate = queries.crate_by_barcode(barcode)
    if crate is None:
        raise NotFound(message=f"No crate with barcode {barcode}.")
    if not can(request.user, LOGISTICS_VIEW, crate.home):
        raise PermissionDenied()
    return Status(200, crate_out(crate))


@router.get(
    "/transits/overdue",
    response={200: list[TransitOut], **ERRORS},
    summary="Open transits older than the target lead time",
)
def overdue(request):
    visible = restrict(Node.objects.all(), request.user, LOGISTICS_VIEW, via="")
    return Status(200, [transit_out(t) for t in queries.overdue_transits(nodes=visible)[:500]])


@router.get(
    "/transits/{transit_id}",
    response={200: TransitOut, **ERRORS},
    summary="A transit with every scan",
)
def get_transit(request, transit_id: int):
    transit = get_object_or_404(
        Transit.objects.select_related("item", "from_node", "to_node", "crate"), pk=transit_id
    )
    if not (
        can(request.user, LOGISTICS_VIEW, transit.to_node)
        or can(request.user, LOGISTICS_VIEW, transit.from_node)
    ):
        raise PermissionDenied()
    return Status(200, transit_out(transit))


router.add_router("", "bci.logistics.api_reports.router")  # GET /kpis (key figures)
router.add_router("/national-ibl", "bci.logistics.national.api.router")
