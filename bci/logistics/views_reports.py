"""Report pages for logistics staff (``logistics.view``): key figures for a period, one
transit with every step, and the transits overdue against the target lead time. Rows are
narrowed to the user's scope with ``restrict``; a single object is judged with ``can``."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from bci.accounts.permissions import LOGISTICS_VIEW, can, restrict
from bci.core.errors import InvalidInput
from bci.organisations.models import Node

from . import kpis, queries
from .models import Transit

OVERDUE_ROWS = 500  # rows the overdue page shows; the count above the table says how many

STEP_LABELS = {
    "transit.missing_from_crate": _("missing from the crate"),
    "hold.ready": _("on the hold shelf"),
}


def _visible(request):
    if not can(request.user, LOGISTICS_VIEW):
        raise DjangoPermissionDenied
    return restrict(Node.objects.all(), request.user, LOGISTICS_VIEW, via="")


def _volume_row(row):
    """A volumes row with its counts as lists in the order of the column headings."""
    return {
        **row,
        "by_funding": [row["funding"].get(v, 0) for v in Transit.Funding.values],
        "by_reason": [row["reason"].get(v, 0) for v in Transit.Reason.values],
    }


@login_required
@require_GET
def kpi_page(request):
    visible = _visible(request)
    start_text, end_text = request.GET.get("from", ""), request.GET.get("to", "")
    context = {"start_text": start_text, "end_text": end_text, "error": None}
    try:
        start, end = kpis.parse_period(start_text, end_text)
    except InvalidInput as exc:
        context["error"] = str(exc)
        return render(request, "logistics/kpis.html", context, status=400)
    figures = kpis.logistics_kpis(start, end, nodes=visible)
    volumes = figures["volumes"]
    labels = dict(Transit.Funding.choices)
    context.update(
        start=start,
        end=end,
        start_text=start.isoformat(),
        end_text=end.isoformat(),
        figures=figures,
        target_days=kpis.TARGET_DAYS,
        fundings=Transit.Funding.labels,
        reasons=Transit.Reason.labels,
        volume_rows=[_volume_row(r) for r in volumes["rows"]],
        volume_total=_volume_row(volumes["total"]),
        streams=[
            {**r, "label": labels.get(r["stream"], r["stream"])}
            for r in figures["transit_lead_time"]["rows"]
        ],
    )
    return render(request, "logistics/kpis.html", context)


def step_label(kind):
    name = kind.removeprefix("transit.")
    if name in Transit.Status.values:
        return Transit.Status(name).label
    return STEP_LABELS.get(kind, kind)


@login_required
@require_GET
def transit_page(request, pk):
    transit = get_object_or_404(
        Transit.objects.select_related("item__record", "from_node", "to_node", "crate"), pk=pk
    )
    if not (
        can(request.user, LOGISTICS_VIEW, transit.to_node)
        or can(request.user, LOGISTICS_VIEW, transit.from_node)
    ):
        raise DjangoPermissionDenied
    history = queries.transit_history(transit) + queries.hold_shelf_steps(transit)
    places = dict(
        Node.objects.filter(code__in={s["where"] for s in history}).values_list("code", "name")
    )
    steps = [
        {**s, "label": step_label(s["kind"]), "place": places.get(s["where"], "")} for s in history
    ]
    return render(request, "logistics/transit.html", {"transit": transit, "steps": steps})


@login_required
@require_GET
def overdue_page(request):
    visible = _visible(request)
    now = timezone.now()
    qs = queries.overdue_transits(now=now, nodes=visible).select_related("item__record")
    total = qs.count()
    rows = [{"transit": t, "age": (now - t.created_at).days} for t in qs[:OVERDUE_ROWS]]
    return render(
        request,
        "logistics/overdue.html",
        {"rows": rows, "total": total, "lead_days": queries.lead_days(), "limit": OVERDUE_ROWS},
    )
