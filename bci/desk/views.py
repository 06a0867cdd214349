"""The circulation desk: staff pages, keyboard-first (a scanner types a barcode + Enter).

Every page calls the circulation services; refusals show the service's Dutch message.
With htmx a form swaps only its result panel, without it the whole page re-renders.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bci.accounts.permissions import CIRCULATION_DESK, can, restrict
from bci.circulation import queries as circ
from bci.circulation import services
from bci.circulation.models import Fee, Hold, Loan
from bci.core.errors import DomainError
from bci.logistics.models import Transit
from bci.organisations.models import Node
from bci.patrons.errors import PatronNotFound
from bci.patrons.queries import card_by_barcode, search_patrons, visible_patron, visible_patrons

MAX_BARCODE = 32


def _branch(request, code):
    node = Node.objects.filter(code=code).first()
    if node is None or node.kind not in Node.Kind.lending_kinds():
        raise Http404
    if not can(request.user, CIRCULATION_DESK, node):
        raise DjangoPermissionDenied
    return node


def _desk_branches(user):
    return restrict(Node.objects.branches().active(), user, CIRCULATION_DESK, via="")


def _scan(request, name):
    """A scanned barcode from the form: stripped, bounded."""
    return (request.POST.get(name) or request.GET.get(name) or "").strip()[:MAX_BARCODE]


def _render(request, template, partial, context):
    return render(request, partial if request.htmx else template, context)


@login_required
def home(request):
    branches = list(_desk_branches(request.user).order_by("name"))
    if not branches:
        raise DjangoPermissionDenied
    if len(branches) == 1:
        return redirect("desk:checkout", code=branches[0].code)
    return render(request, "desk/home.html", {"branches": branches})


def _patron_panel(patron, branch, user):
    """What the desk needs to lend. Members of another library borrow here too, but their
    own library keeps their account: staff outside it see blocks, holds ready here and
    loans made at this library, not the member's other titles or fees."""
    today = timezone.localdate()
    own = visible_patrons(user, CIRCULATION_DESK).filter(pk=patron.pk).exists()
    loans = circ.active_loans(patron).order_by("-checked_out_at", "-id")
    if not own:
        loans = loans.filter(branch__path__startswith=branch.organisation.path)
    return {
        "patron": patron,
        "own_patron": own,
        "blocks": circ.all_blocks(patron, today, node=branch),
        "loans": list(loans),
        "ready_holds": list(
            circ.active_holds(patron).filter(status=Hold.Status.READY, pickup_branch=branch)
        ),
        "owed": circ.outstanding_fees(patron) if own else None,
        "today": today,
    }


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request, code):
    """Scan the patron's card, then the items; Enter submits each scan."""
    branch = _branch(request, code)
    context = {"branch": branch, "error": None, "done": None, "page": "checkout"}
    card = _scan(request, "card")
    patron = None
    if card:
        try:
            patron = card_by_barcode(card).patron
        except DomainError as exc:
            context["error"] = exc
            card = ""
    if patron is not None and request.method == "POST" and "item" in request.POST:
        item = _scan(request, "item")
        try:
            context["done"] = services.checkout_item(
                item_barcode=item, card_barcode=card, branch=branch, by=request.user
            )
        except DomainError as exc:
            context["error"] = exc
            context["failed_item"] = item
    context["card"] = card
    if patron is not None:
        context.update(_patron_panel(patron, branch, request.user))
    return _render(request, "desk/checkout.html", "desk/partials/_checkout.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request, code):
    """Scan returned items; the page says in big letters what to do with each."""
    branch = _branch(request, code)
    context = {"branch": branch, "result": None, "error": None, "page": "checkin"}
    if request.method == "POST":
        item = _scan(request, "item")
        try:
            context["result"] = services.checkin_item(
                item_barcode=item, branch=branch, by=request.user
            )
        except DomainError as exc:
            context["error"] = exc
        context["scanned"] = item
    return _render(request, "desk/checkin.html", "desk/partials/_checkin.html", context)


@login_required
def patron_search(request):
    q = (request.GET.get("q") or "").strip()[:100]
    patrons = list(search_patrons(request.user, q)) if q else []
    if not can(request.user, CIRCULATION_DESK):
        raise DjangoPermissionDenied
    if len(patrons) == 1:
        return redirect("desk:patron", pk=patrons[0].pk)
    return render(request, "desk/patron_search.html", {"q": q, "patrons": patrons})


def _act(request, patron):
    """One action from the patron page: renew, cancel a hold, pay or waive a fee."""
    action = request.POST.get("action", "")
    if action == "hold":
        return _place_hold(request, patron)
    target = request.POST.get("id", "")
    if not target.isdigit():
        return _("Choose what to act on.")
    if action == "renew":
        loan = Loan.objects.filter(pk=target, patron=patron, ended_at__isnull=True).first()
        if loan is None:
            return _("Choose what to act on.")
        loan = services.renew_loan(loan=loan, by=request.user)
        return _("Renewed until %(date)s.") % {"date": loan.due_date.strftime("%d-%m-%Y")}
    if action == "cancel":
        hold = Hold.objects.filter(pk=target, patron=patron).first()
        if hold is None:
            return _("Choose what to act on.")
        routing = services.cancel_hold(hold=hold, by=request.user)
        message = _("Hold cancelled.")
        if routing is not None:
            message += " " + str(routing.message)
        return message
    if action in ("pay", "waive"):
        fee = Fee.objects.filter(pk=target, patron=patron).first()
        if fee is None:
            return _("Choose what to act on.")
        amount = (request.POST.get("amount") or "").strip() or None
        if action == "pay":
            services.pay_fee(fee=fee, amount=amount, by=request.user)
            return _("Payment received.")
        services.waive_fee(
            fee=fee, amount=amount, reason=request.POST.get("reason", ""), by=request.user
        )
        return _("Fee waived.")
    return _("Choose what to act on.")


def _place_hold(request, patron):
    """A hold for a title, given by its record number or the barcode of any copy."""
    from bci.catalogue.models import Item

    wanted = _scan(request, "title")
    record = wanted if wanted.isdigit() else None
    if record is None:
        item = Item.objects.filter(barcode=wanted).first() if wanted else None
        if item is None:
            return _("Give a title number or the barcode of a copy.")
        record = item.record_id
    pickup = Node.objects.filter(code=request.POST.get("pickup", "")[:64]).first()
    hold = services.place_hold(record=record, patron=patron, pickup_branch=pickup, by=request.user)
    if hold.copy_id:
        return _("Hold placed: %(reason)s.") % {"reason": hold.copy_reason}
    return _("Hold placed; no copy is available yet.")


@login_required
@require_http_methods(["GET", "POST"])
def patron_detail(request, pk):
    try:
        patron = visible_patron(request.user, pk, CIRCULATION_DESK)
    except PatronNotFound:
        raise Http404 from None
    context = {"message": None, "error": None}
    if request.method == "POST":
        try:
            context["message"] = _act(request, patron)
        except DomainError as exc:
            context["error"] = exc
    today = timezone.localdate()
    context.update(
        {
            "patron": patron,
            "cards": patron.cards.all(),
            "blocks": circ.all_blocks(patron, today),
            "manual_blocks": patron.blocks.filter(lifted_at__isnull=True),
            "loans": circ.active_loans(patron),
            "holds": circ.active_holds(patron),
            "fees": patron.fees.filter(settled_at__isnull=True),
            "owed": circ.outstanding_fees(patron),
            "guest_at": patron.guest_registrations.filter(ended_at__isnull=True).select_related(
                "organisation"
            ),
            "today": today,
            "pickup_branches": Node.objects.branches().active().order_by("name"),
            "default_pickup": request.GET.get("branch") or request.POST.get("pickup", ""),
        }
    )
    return render(request, "desk/patron.html", context)


@login_required
def pick_list(request, code):
    branch = _branch(request, code)
    return render(
        request, "desk/pick_list.html", {"branch": branch, "holds": circ.pick_list(branch)}
    )


@login_required
def hold_shelf(request, code):
    branch = _branch(request, code)
    today = timezone.localdate()
    return render(
        request,
        "desk/hold_shelf.html",
        {"branch": branch, "holds": circ.hold_shelf(branch), "today": today},
    )


@login_required
def transits(request, code):
    branch = _branch(request, code)
    open_ = Transit.objects.filter(status__in=Transit.OPEN_STATUSES).select_related(
        "item", "item__record", "from_node", "to_node"
    )
    return render(
        request,
        "desk/transits.html",
        {
            "branch": branch,
            "incoming": open_.filter(to_node=branch).order_by("created_at"),
            "outgoing": open_.filter(from_node=branch).order_by("created_at"),
        },
    )
