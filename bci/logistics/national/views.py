"""National IBL pages: open shipments of the branches in the user's scope with forms to
send, request and scan, and the printable envelope slip with both barcodes.

Seeing shipments needs LOGISTICS_VIEW or LOGISTICS_SCAN on the shipment's location (desk
staff who send an envelope must print its slip); sending, requesting and scanning need
LOGISTICS_SCAN there.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bci.accounts.permissions import LOGISTICS_SCAN, LOGISTICS_VIEW, can, restrict
from bci.core.errors import DomainError
from bci.organisations.models import Node

from . import barcodes, queries, services
from .forms import CancelForm, RequestForm, ScanForm, SendForm
from .queries import may_see, visible_nodes

LENDING = Node.Kind.lending_kinds()


def _choices(user, kinds):
    nodes = restrict(Node.objects.filter(kind__in=kinds, is_active=True), user, LOGISTICS_SCAN)
    return [(n.code, f"{n.name} ({n.code})") for n in nodes.order_by("name")]


def _forms(user, data=None, which=None):
    lending = _choices(user, LENDING)
    scan_at = _choices(user, [*LENDING, Node.Kind.HUB])
    return {
        "send_form": SendForm(data if which == "send" else None, locations=lending),
        "request_form": RequestForm(data if which == "request" else None, locations=lending),
        "scan_form": ScanForm(data if which == "scan" else None, locations=scan_at),
    }


def _page(request, *, which=None, error=None, status=200):
    nodes = visible_nodes(request.user)
    if not can(request.user, LOGISTICS_VIEW) and not can(request.user, LOGISTICS_SCAN):
        raise DjangoPermissionDenied
    branch = None
    code = (request.GET.get("at") or "").strip()
    if code:
        branch = nodes.filter(code=code).first()
        if branch is None:
            raise Http404
        nodes = nodes.filter(path__startswith=branch.path)
    context = {
        "shipments": list(queries.open_shipments(nodes)[:500]),
        "branch": branch,
        "error": error,
        **_forms(request.user, request.POST if which else None, which),
    }
    return render(request, "logistics/national/list.html", context, status=status)


@login_required
def shipments(request):
    return _page(request)


def _scan_node(request, code):
    node = Node.objects.filter(code=code).first()
    if node is None or not can(request.user, LOGISTICS_SCAN, node):
        raise DjangoPermissionDenied
    return node


def _open_shipment(request, which, form_class, write):
    """Validate the send or request form, open the shipment with ``write(cleaned_data)``
    and show its slip; a bad form or a refused write shows the page again."""
    form = form_class(request.POST, locations=_choices(request.user, LENDING))
    if not form.is_valid():
        return _page(request, which=which, status=400)
    try:
        shipment = write(form.cleaned_data)
    except DomainError as exc:
        return _page(request, which=which, error=exc, status=400)
    return redirect("logistics:national:slip", barcode=shipment.outbound_barcode)


@login_required
@require_POST
def send(request):
    return _open_shipment(
        request,
        "send",
        SendForm,
        lambda data: services.send_national(
            item_barcode=data["item"],
            partner_isil=data["partner_isil"],
            partner_name=data["partner_name"],
            at=_scan_node(request, data["at"]),
            reference=data["reference"],
            by=request.user,
        ),
    )


@login_required
@require_POST
def request_in(request):
    return _open_shipment(
        request,
        "request",
        RequestForm,
        lambda data: services.request_national(
            title=data["title"],
            partner_isil=data["partner_isil"],
            partner_name=data["partner_name"],
            pickup_location=_scan_node(request, data["pickup"]),
            reference=data["reference"],
            by=request.user,
        ),
    )


def _shipment_to_scan(request, barcode):
    shipment = queries.shipment_by_barcode(barcode)
    if shipment is not None and not can(request.user, LOGISTICS_SCAN, shipment):
        raise DjangoPermissionDenied
    return shipment


@login_required
@require_POST
def scan(request):
    locations = _choices(request.user, [*LENDING, Node.Kind.HUB])
    form = ScanForm(request.POST, locations=locations)
    if not form.is_valid():
        return _page(request, which="scan", status=400)
    data = form.cleaned_data
    try:
        _shipment_to_scan(request, data["barcode"])
        shipment = services.scan_national(
            barcode=data["barcode"], at=_scan_node(request, data["at"]), by=request.user
        )
    except DomainError as exc:
        return _page(request, which="scan", error=exc, status=400)
    messages.success(
        request,
        _("%(barcode)s: %(status)s.")
        % {"barcode": barcodes.normalise(data["barcode"]), "status": shipment.get_status_display()},
    )
    return redirect("logistics:national:list")


@login_required
@require_POST
def cancel(request, barcode):
    shipment = _shipment_to_scan(request, barcode)
    if shipment is None:
        raise Http404
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.cancel_national(barcode=barcode, reason=reason, by=request.user)
    except DomainError as exc:
        return _page(request, error=exc, status=400)
    messages.success(request, _("Shipment %(barcode)s is cancelled.") % {"barcode": barcode})
    return redirect("logistics:national:list")


@login_required
def slip(request, barcode):
    """The envelope slip: both barcodes as Code 128, the partner, the item, our branch."""
    shipment = queries.shipment_by_barcode(barcode)
    if shipment is None:
        raise Http404
    if not may_see(request.user, shipment):
        raise DjangoPermissionDenied
    return render(
        request,
        "logistics/national/slip.html",
        {
            "shipment": shipment,
            "outbound_svg": barcodes.code128_svg(shipment.outbound_barcode),
            "return_svg": barcodes.code128_svg(shipment.return_barcode),
            "printed": timezone.now(),
            "may_cancel": can(request.user, LOGISTICS_SCAN, shipment)
            and shipment.status in (shipment.Status.SENT, shipment.Status.REQUESTED),
        },
    )
