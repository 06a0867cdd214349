"""REST API under /api/v1/logistics/: scans from handheld scanners (crates, arrivals at
the stops of today's route plan), crates, transits, stored route plans."""

import datetime as dt

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status

from bci.accounts.api_auth import STAFF_AUTH
from bci.accounts.permissions import LOGISTICS_SCAN, LOGISTICS_VIEW, can, restrict
from bci.core.errors import InvalidInput, NotFound, PermissionDenied
from bci.organisations.models import Node

from . import crates, plans, queries
from .models import Transit
from .schemas import (
    ArrivalOut,
    CrateOut,
    ErrorOut,
    PlanOut,
    ReceiptOut,
    ScanIn,
    TransitOut,
)

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


def arrival_out(stop, tolerance):
    progress = plans.stop_progress(stop, tolerance=tolerance, now=stop.arrived_at)
    return {
        "at": stop.node.code,
        "depot": stop.plan.depot.code,
        "day": stop.plan.day,
        "route": stop.route,
        "seq": stop.seq,
        "eta": stop.eta,
        "arrived_at": stop.arrived_at,
        "arrived_by": stop.arrived_by,
        "status": progress.status,
        "delay_minutes": progress.delay_minutes,
    }


def tally_out(tally):
    return {
        "reached": tally.reached,
        "on_time": tally.on_time,
        "late": tally.late,
        "not_reached": tally.not_reached,
        "on_time_percent": tally.on_time_share,
    }


def plan_out(route_plan, progress):
    summary = route_plan.summary
    by_route = {}
    for p in progress.stops:
        s = p.stop
        by_route.setdefault(s.route, []).append(
            {
                "seq": s.seq,
                "code": s.node.code,
                "name": s.node.name,
                "eta": s.eta,
                "window_opens": s.window_opens,
                "window_closes": s.window_closes,
                "deliver": s.deliver,
                "collect": s.collect,
                "arrived_at": s.arrived_at,
                "arrived_by": s.arrived_by,
                "status": p.status,
                "delay_minutes": p.delay_minutes,
            }
        )
    routes = [
        {
            "number": r["number"],
            "van": r["van"],
            "start": r["start"],
            "end": r["end"],
            "km": r["km"],
            "hours": r["hours"],
            "cost": r["cost"],
            "tally": tally_out(progress.routes.get(r["number"], plans.Tally())),
            "stops": by_route.get(r["number"], []),
        }
        for r in summary.get("routes", [])
    ]
    return {
        "depot": route_plan.depot.code,
        "day": route_plan.day,
        "planned_at": route_plan.created_at,
        "planned_by": route_plan.created_by.get_username() if route_plan.created_by else None,
        "method": route_plan.method,
        "km": route_plan.km,
        "hours": route_plan.hours,
        "cost": float(route_plan.cost),
        "crates": route_plan.crates,
        "tolerance_minutes": progress.tolerance,
        "unserved": summary.get("unserved", []),
        "tally": tally_out(progress.total),
        "routes": routes,
    }


@router.post(
    "/scans",
    response={200: CrateOut | ReceiptOut | ArrivalOut, **ERRORS},
    summary="A scan: pack an item, collect, unload, deliver or receive a crate; arrive at "
    "a stop of today's route plan",
    description="Collecting or delivering a crate at a stop of today's plan also records "
    "the van's arrival there (the first scan at a stop counts).",
)
def scan(request, payload: ScanIn):
    at = _node(request, payload.at, LOGISTICS_SCAN)
    by = request.user
    if payload.action == "arrive":
        with transaction.atomic():  # a bad tolerance setting refuses the scan as a whole
            stop = plans.record_arrival(at=at, by=by)
            answer = arrival_out(stop, plans.eta_tolerance(stop.plan.depot))
        return Status(200, answer)
    if not payload.crate:
        raise InvalidInput(_("This scan needs a crate barcode."))
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


@router.get(
    "/plans/{depot}/{day}",
    response={200: PlanOut, **ERRORS},
    summary="A depot's stored route plan for a day: routes, stops, ETAs and actual arrivals",
)
def get_plan(request, depot: str, day: dt.date):
    node = _node(request, depot, LOGISTICS_VIEW)
    if node.kind != Node.Kind.DEPOT:
        raise NotFound(message=f"{depot} is not a depot.")
    route_plan = plans.stored_plan(node, day)
    if route_plan is None:
        raise NotFound(message=f"No route plan is kept for {depot} on {day.isoformat()}.")
    return Status(200, plan_out(route_plan, plans.plan_progress(route_plan)))


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
