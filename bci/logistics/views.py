"""Planner pages: depots, a depot's day (stops on a map, crates waiting, the plan), driver
sheets. Planning itself runs the same ``plan_day`` as ``bci plan-routes``."""

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
from .render import plans_dir, read_plan, svg_map, write_plan_files

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


@login_required
@require_http_methods(["GET"])
def depot_day(request, code, date):
    depot = _depot(request, code)
    day = _day(date)
    error, day_input, svg = None, None, ""
    try:
        day_input = build_day(depot, day)
    except DomainError as exc:
        error = str(exc)
    plan = read_plan(depot.code, day)
    if day_input is not None and day_input.problem.stops:
        svg = svg_map(day_input.problem)
    waiting = []
    if day_input is not None:
        for stop in day_input.problem.stops:
            items = day_input.items[stop.code]
            waiting.append(
                {
                    "code": stop.code,
                    "name": stop.name,
                    "deliver": stop.deliver,
                    "collect": stop.collect,
                    "items_deliver": items["deliver"],
                    "items_collect": items["collect"],
                    "window": f"{stop.opens // 60:02d}:{stop.opens % 60:02d}-"
                    f"{stop.closes // 60:02d}:{stop.closes % 60:02d}",
                }
            )
    plan_svg = ""
    if plan is not None:
        try:
            plan_svg = (plans_dir(depot.code, day) / "map.svg").read_text(encoding="utf-8")
        except OSError:
            plan_svg = ""
    return render(
        request,
        "logistics/day.html",
        {
            "depot": depot,
            "day": day,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "error": error,
            "input": day_input,
            "waiting": waiting,
            "map": mark_safe(plan_svg or svg),  # noqa: S308 - built by svg_map, escaped there
            "plan": plan,
            "may_plan": can(request.user, LOGISTICS_PLAN, depot),
        },
    )


@login_required
@require_POST
def make_plan(request, code, date):
    depot = _depot(request, code, LOGISTICS_PLAN)
    day = _day(date)
    try:
        result = plan_day(depot, day, time_limit=PAGE_TIME_LIMIT)
    except DomainError as exc:
        return render(
            request,
            "logistics/day.html",
            {
                "depot": depot,
                "day": day,
                "previous": day - dt.timedelta(days=1),
                "next": day + dt.timedelta(days=1),
                "error": str(exc),
                "waiting": [],
                "may_plan": True,
            },
            status=400,
        )
    write_plan_files(plans_dir(depot.code, day), result.input.problem, result.plan, result.summary)
    return redirect("logistics:day", code=depot.code, date=day.isoformat())


@login_required
def driver_sheet(request, code, date, number):
    depot = _depot(request, code)
    plan = read_plan(depot.code, _day(date))
    route = next((r for r in (plan or {}).get("routes", []) if r["number"] == number), None)
    if route is None:
        raise Http404
    return render(request, "logistics/driver_sheet.html", {"plan": plan, "route": route})


@login_required
def packing_slip(request, barcode):
    """The printable manifest of a crate: its barcode, destination and items."""
    from .queries import crate_by_barcode, crate_manifest

    crate = crate_by_barcode(barcode)
    if crate is None:
        raise Http404
    if not can(request.user, LOGISTICS_VIEW, crate.home):
        raise DjangoPermissionDenied
    return render(
        request,
        "logistics/packing_slip.html",
        {"crate": crate, "transits": crate_manifest(crate), "printed": timezone.now()},
    )
