"""REST API under /api/v1/logistics/national-ibl/: national IBL shipments for staff and
handheld scanners. Seeing needs LOGISTICS_VIEW (or LOGISTICS_SCAN) on the shipment's
location; sending, requesting and scanning need LOGISTICS_SCAN there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from ninja import Field, Router, Schema, Status

from bci.accounts.api_auth import STAFF_AUTH
from bci.accounts.permissions import LOGISTICS_SCAN, LOGISTICS_VIEW, can
from bci.core.errors import InvalidInput, NotFound, PermissionDenied
from bci.organisations.models import Node

from . import queries, services
from .queries import may_see, visible_nodes

router = Router(tags=["logistics"], auth=STAFF_AUTH)

Text = Field(..., min_length=1, max_length=32)


class ErrorOut(Schema):
    code: str
    message: str


class ShipmentOut(Schema):
    id: int
    direction: str
    status: str
    outbound_barcode: str
    return_barcode: str
    item: str | None
    title: str
    partner_isil: str
    partner_name: str
    location: str
    reference: str
    cost: Decimal
    created_at: dt.datetime
    sent_at: dt.datetime | None
    arrived_at: dt.datetime | None
    returned_at: dt.datetime | None
    slip: str


class SendIn(Schema):
    item: str = Text
    partner_isil: str = Text
    partner_name: str = Field("", max_length=200)
    at: str = Field(..., min_length=1, max_length=64, description="Code of the sending branch")
    reference: str = Field("", max_length=64)


class RequestIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    partner_isil: str = Text
    partner_name: str = Field("", max_length=200)
    pickup: str = Field(..., min_length=1, max_length=64, description="Pick-up branch code")
    reference: str = Field("", max_length=64)


class ScanIn(Schema):
    barcode: str = Text
    at: str = Field(..., min_length=1, max_length=64, description="Code of the scanning place")


class CostOut(Schema):
    code: str
    name: str
    outbound: int
    inbound: int
    shipments: int
    cost: Decimal


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def shipment_out(s):
    return {
        "id": s.pk,
        "direction": s.direction,
        "status": s.status,
        "outbound_barcode": s.outbound_barcode,
        "return_barcode": s.return_barcode,
        "item": s.item.barcode if s.item_id else None,
        "title": s.title,
        "partner_isil": s.partner_isil,
        "partner_name": s.partner_name,
        "location": s.location.code,
        "reference": s.reference,
        "cost": s.cost,
        "created_at": s.created_at,
        "sent_at": s.sent_at,
        "arrived_at": s.arrived_at,
        "returned_at": s.returned_at,
        "slip": reverse("logistics:national:slip", args=[s.outbound_barcode]),
    }


def _node(request, code, action=LOGISTICS_SCAN):
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise NotFound(message=f"No location with code {code}.")
    if not can(request.user, action, node):
        raise PermissionDenied()
    return node


def _fresh(shipment):
    return queries.shipment_by_barcode(shipment.outbound_barcode)


@router.get(
    "/shipments",
    response={200: list[ShipmentOut], **ERRORS},
    summary="Open national IBL shipments of the locations in your scope",
)
def open_list(request, at: str | None = None):
    nodes = visible_nodes(request.user)
    if at:
        branch = nodes.filter(code=at).first()
        if branch is None:
            raise NotFound(message=f"No location with code {at} in your scope.")
        nodes = nodes.filter(path__startswith=branch.path)
    return Status(200, [shipment_out(s) for s in queries.open_shipments(nodes)[:500]])


@router.get(
    "/shipments/{barcode}",
    response={200: ShipmentOut, **ERRORS},
    summary="A shipment by its outbound or return barcode",
)
def get_shipment(request, barcode: str):
    shipment = queries.shipment_by_barcode(barcode)
    if shipment is None:
        raise NotFound(message=f"No national IBL shipment has barcode {barcode}.")
    if not may_see(request.user, shipment):
        raise PermissionDenied()
    return Status(200, shipment_out(shipment))


@router.post("/send", response={201: ShipmentOut, **ERRORS}, summary="Lend our item")
def send(request, payload: SendIn):
    shipment = services.send_national(
        item_barcode=payload.item,
        partner_isil=payload.partner_isil,
        partner_name=payload.partner_name,
        at=_node(request, payload.at),
        reference=payload.reference,
        by=request.user,
    )
    return Status(201, shipment_out(_fresh(shipment)))


@router.post(
    "/request", response={201: ShipmentOut, **ERRORS}, summary="Borrow another library's item"
)
def request_in(request, payload: RequestIn):
    shipment = services.request_national(
        title=payload.title,
        partner_isil=payload.partner_isil,
        partner_name=payload.partner_name,
        pickup_location=_node(request, payload.pickup),
        reference=payload.reference,
        by=request.user,
    )
    return Status(201, shipment_out(_fresh(shipment)))


@router.post(
    "/scans",
    response={200: ShipmentOut, **ERRORS},
    summary="Scan a slip barcode: leaving the hub, back home, arrived, sent back",
)
def scan(request, payload: ScanIn):
    at = _node(request, payload.at)
    found = queries.shipment_by_barcode(payload.barcode)
    if found is not None and not can(request.user, LOGISTICS_SCAN, found):
        raise PermissionDenied()
    shipment = services.scan_national(barcode=payload.barcode, at=at, by=request.user)
    return Status(200, shipment_out(_fresh(shipment)))


@router.get(
    "/costs",
    response={200: list[CostOut], **ERRORS},
    summary="Shipments and their cost per library organisation between two dates",
)
def costs(request, node: str, first: dt.date, last: dt.date):
    scope = _node(request, node, LOGISTICS_VIEW)
    if last < first or (last - first).days > 366:
        raise InvalidInput(message="Give a period of at most a year, first <= last.")
    rows = queries.national_costs(scope, first, last)
    return Status(200, [{**r, "outbound": r["out"], "inbound": r["in"]} for r in rows])
