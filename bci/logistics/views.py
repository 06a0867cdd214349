"""Planner pages: depots, a depot's day (stops on a map, crates waiting, the kept plan with
each stop's actual arrival), driver sheets. Planning itself runs the same ``plan_day`` as
``bci plan-routes`` and keeps the plan in the database (``plans.store_plan``)."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from bci.accounts.permissions import LOGISTICS_PLAN, LOGISTICS_VIEW, can, restrict
from bci.core.errors import DomainError
from bci.organisations.models import Node

from .planning import build_day, next_working_day, plan_day
from .plans import plan_progress, plan_with_actuals, store_plan, stored_plan
from .render import hhmm, svg_map

PAGE_TIME_LIMIT = 5.0  # seconds a planner waits for a plan made from the page


def _depot(request, code, action=LOGISTICS_VIEW):
    node = Node.objects.filter(code=code, kind=Node.Kind.DEPOT).first()
    if node is None:
        raise Http404
    if not can(request.user, action, node):
        raise DjangoPermissionDenied
    return node


def _day(text):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Http404 from None


@login_required
def depots(request):
    rows = list(
        restrict(Node.objects.filter(kind=Node.Kind.DEPOT), request.user, LOGISTICS_VIEW, via="")
    )
    if not rows:
        raise DjangoPermissionDenied
    day = next_working_day(timezone.localdate())
    return render(request, "logistics/depots.html", {"depots": rows, "day": day})


def _waiting(day_input):
    """Per stop of the day's input: crates and items waiting, the window."""
    rows = []
    for stop in day_input.problem.stops:
        items = day_input.items[stop.code]
        rows.append(
            {
                "code": stop.code,
                "name": stop.name,
                "deliver": stop.deliver,
                "collect": stop.collect,
                "items_deliver": items["deliver"],
                "items_collect": items["collect"],
                "window": f"{hhmm(stop.opens)}-{hhmm(stop.closes)}",
            }
        )
    return rows


def _kept_plan(depot, day):
    """(plan dict with actual arrivals, stored RoutePlan, problem) or Nones; a bad
    tolerance setting shows the plan without actuals and says why."""
    stored = stored_plan(depot, day)
    if stored is None:
        return None, None, None
    try:
        return plan_with_actuals(stored, plan_progress(stored)), stored, None
    except DomainError as exc:
        return stored.summary, stored, str(exc)


def _day_context(request, depot, day, *, error=None):
    day_input, svg, problems = None, "", [error] if error else []
    try:
        day_input = build_day(depot, day)
    except DomainError as exc:
        problems.append(str(exc))
    plan, stored, trouble = _kept_plan(depot, day)
    if trouble:
        problems.append(trouble)
    if stored is not None and stored.map_svg:
        svg = stored.map_svg
    elif day_input is not None and day_input.problem.stops:
        svg = svg_map(day_input.problem)
    return {
        "depot": depot,
        "day": day,
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "error": "; ".join(problems),
        "input": day_input,
        "waiting": _waiting(day_input) if day_input is not None else [],
        "map": mark_safe(svg),  # noqa: S308 - built by svg_map, escaped there
        "plan": plan,
        "stored": stored,
        "may_plan": can(request.user, LOGISTICS_PLAN, depot),
    }


@login_required
@require_http_methods(["GET"])
def depot_day(request, code, date):
    depot = _depot(request, code)
    return render(request, "logistics/day.html", _day_context(request, depot, _day(date)))


@login_required
@require_POST
def make_plan(request, code, date):
    """Plan the day and keep the plan in the database (replacing an unscanned one)."""
    depot = _depot(request, code, LOGISTICS_PLAN)
    day = _day(date)
    try:
        store_plan(plan_day(depot, day, time_limit=PAGE_TIME_LIMIT), by=request.user)
    except DomainError as exc:
        context = _day_context(request, depot, day, error=str(exc))
        return render(request, "logistics/day.html", context, status=exc.status)
    return redirect("logistics:day", code=depot.code, date=day.isoformat())


@login_required
def driver_sheet(request, code, date, number):
    depot = _depot(request, code)
    plan, _stored, _trouble = _kept_plan(depot, _day(date))
    route = next((r for r in (plan or {}).get("routes", []) if r["number"] == number), None)
    if route is None:
        raise Http404
    return render(request, "logistics/driver_sheet.html", {"plan": plan, "route": route})


@login_required
def packing_slip(request, barcode):
    """The printable manifest of a crate: its barcode, destination and items."""
    from .national.barcodes import code128_svg
    from .queries import crate_by_barcode, crate_manifest

    crate = crate_by_barcode(barcode)
    if crate is None:
        raise Http404
    if not can(request.user, LOGISTICS_VIEW, crate.home):
        raise DjangoPermissionDenied
    return render(
        request,
        "logistics/packing_slip.html",
        {
            "crate": crate,
            "barcode": code128_svg(crate.barcode),
            "transits": crate_manifest(crate),
            "printed": timezone.now(),
        },
    )
