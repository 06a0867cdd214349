"""Circulation API under /api/v1/circulation/: the desk's operations for other doors.

Staff only: a staff session or a bearer token (``bci api-token``). Desk staff may check
out at branches in their scope (the patron presents the card: the network lends to members
of every library), check in anywhere in the network (return anywhere), and act on patron
accounts (holds, renewals, fees) only for patrons of their own organisations or guests
registered there.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from ninja import Router, Status

from bci.accounts.api_auth import STAFF_AUTH
from bci.accounts.permissions import CIRCULATION_DESK, can
from bci.core.errors import PermissionDenied
from bci.organisations.models import Node
from bci.patrons.queries import card_by_barcode, visible_patron, visible_patrons

from . import queries, services
from .errors import FeeNotFound, HoldNotFound, LoanNotFound, NotALendingLocation
from .models import Fee, Hold, Loan
from .schemas import (
    AccountOut,
    AmountIn,
    CancelIn,
    CheckinIn,
    CheckoutIn,
    ErrorOut,
    FeeOut,
    HoldIn,
    HoldOut,
    LoanOut,
    PickOut,
    RoutingOut,
    WaiveIn,
)

router = Router(tags=["circulation"], auth=STAFF_AUTH)

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _branch(code):
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise NotALendingLocation(node=code)
    return node


def _desk_at(request, node):
    if not can(request.user, CIRCULATION_DESK, node):
        raise PermissionDenied()


def _may_serve(request, patron):
    """Desk rights over the patron: home organisation or guest registration in scope."""
    if not visible_patrons(request.user, CIRCULATION_DESK).filter(pk=patron.pk).exists():
        raise PermissionDenied()


def _place(node):
    return {"code": node.code, "name": node.name}


def loan_out(loan):
    return {
        "id": loan.pk,
        "item_barcode": loan.item.barcode,
        "title": loan.item.record.title,
        "patron_id": loan.patron_id,
        "branch": _place(loan.branch),
        "checked_out_at": loan.checked_out_at,
        "due_date": loan.due_date,
        "renewals": loan.renewals,
        "renewals_allowed": loan.renewals_allowed,
        "short_loan": loan.short_loan,
        "ended_at": loan.ended_at,
    }


def hold_out(hold):
    position = None
    if hold.status == Hold.Status.WAITING:
        position = (
            Hold.objects.filter(record_id=hold.record_id, status=Hold.Status.WAITING)
            .filter(Q(placed_at__lt=hold.placed_at) | Q(placed_at=hold.placed_at, id__lt=hold.pk))
            .count()
            + 1
        )
    return {
        "id": hold.pk,
        "record_id": hold.record_id,
        "title": hold.record.title,
        "patron_id": hold.patron_id,
        "pickup_branch": _place(hold.pickup_branch),
        "status": hold.status,
        "placed_at": hold.placed_at,
        "item_barcode": hold.item.barcode if hold.item_id else None,
        "copy_barcode": hold.copy.barcode if hold.copy_id else None,
        "copy_reason": hold.copy_reason,
        "shelf_until": hold.shelf_until,
        "queue_position": position,
    }


def fee_out(fee):
    return {
        "id": fee.pk,
        "patron_id": fee.patron_id,
        "kind": fee.kind,
        "amount": fee.amount,
        "paid": fee.paid,
        "waived": fee.waived,
        "outstanding": fee.outstanding,
        "note": fee.note,
        "created_at": fee.created_at,
        "settled_at": fee.settled_at,
    }


@router.post("/checkouts", response={201: LoanOut, **ERRORS}, summary="Check out an item")
def checkout(request, payload: CheckoutIn):
    branch = _branch(payload.branch)
    _desk_at(request, branch)
    loan = services.checkout_item(
        item_barcode=payload.item_barcode,
        card_barcode=payload.patron_barcode,
        branch=branch,
        by=request.user,
    )
    return Status(201, loan_out(loan))


@router.post(
    "/checkins",
    response={200: RoutingOut, **ERRORS},
    summary="Check in an item at any branch; answers what to do with it",
)
def checkin(request, payload: CheckinIn):
    branch = _branch(payload.branch)
    _desk_at(request, branch)  # any item (return anywhere), but only at one's own branches
    result = services.checkin_item(
        item_barcode=payload.item_barcode, branch=branch, by=request.user
    )
    return result.as_dict()


@router.post("/loans/{loan_id}/renew", response={200: LoanOut, **ERRORS}, summary="Renew a loan")
def renew(request, loan_id: int):
    loan = Loan.objects.select_related("patron").filter(pk=loan_id, ended_at__isnull=True).first()
    if loan is None or loan.patron is None:
        raise LoanNotFound()
    _may_serve(request, loan.patron)
    loan = services.renew_loan(loan=loan, by=request.user)
    return loan_out(Loan.objects.select_related("item__record", "branch").get(pk=loan.pk))


@router.post("/holds", response={201: HoldOut, **ERRORS}, summary="Place a hold")
def place(request, payload: HoldIn):
    pickup = _branch(payload.pickup_branch)
    patron = card_by_barcode(payload.patron_barcode).patron
    _may_serve(request, patron)
    hold = services.place_hold(
        record=payload.record_id,
        patron=patron,
        pickup_branch=pickup,
        item_barcode=payload.item_barcode,
        not_needed_after=payload.not_needed_after,
        by=request.user,
    )
    return Status(201, hold_out(_hold(hold.pk)))


def _hold(hold_id):
    hold = (
        Hold.objects.select_related("record", "pickup_branch", "item", "copy", "patron")
        .filter(pk=hold_id)
        .first()
    )
    if hold is None:
        raise HoldNotFound()
    return hold


@router.get("/holds/{hold_id}", response={200: HoldOut, **ERRORS}, summary="One hold")
def get_hold(request, hold_id: int):
    hold = _hold(hold_id)
    _may_serve(request, hold.patron)
    return hold_out(hold)


@router.post(
    "/holds/{hold_id}/cancel",
    response={200: HoldOut, **ERRORS},
    summary="Cancel a hold",
)
def cancel(request, hold_id: int, payload: CancelIn):
    hold = _hold(hold_id)
    _may_serve(request, hold.patron)
    services.cancel_hold(hold=hold, reason=payload.reason, by=request.user)
    return hold_out(_hold(hold_id))


def _fee(request, fee_id):
    fee = Fee.objects.select_related("patron").filter(pk=fee_id).first()
    if fee is None:
        raise FeeNotFound()
    _may_serve(request, fee.patron)
    return fee


@router.post("/fees/{fee_id}/pay", response={200: FeeOut, **ERRORS}, summary="Pay a fee")
def pay(request, fee_id: int, payload: AmountIn):
    fee = services.pay_fee(fee=_fee(request, fee_id), amount=payload.amount, by=request.user)
    return fee_out(fee)


@router.post("/fees/{fee_id}/waive", response={200: FeeOut, **ERRORS}, summary="Waive a fee")
def waive(request, fee_id: int, payload: WaiveIn):
    fee = services.waive_fee(
        fee=_fee(request, fee_id), amount=payload.amount, reason=payload.reason, by=request.user
    )
    return fee_out(fee)


@router.get(
    "/branches/{code}/pick-list",
    response={200: list[PickOut], **ERRORS},
    summary="The pick list (kastlijst): copies to pull for holds",
)
def pick_list(request, code: str):
    branch = _branch(code)
    _desk_at(request, branch)
    return [
        {
            "hold_id": hold.pk,
            "item_barcode": hold.copy.barcode,
            "shelf_code": hold.copy.shelf_code,
            "call_number": hold.copy.call_number,
            "title": hold.record.title,
            "pickup_branch": _place(hold.pickup_branch),
            "reason": hold.copy_reason,
            "placed_at": hold.placed_at,
        }
        for hold in queries.pick_list(branch)
    ]


@router.get(
    "/branches/{code}/hold-shelf",
    response={200: list[HoldOut], **ERRORS},
    summary="Holds ready for pick-up at a branch",
)
def hold_shelf(request, code: str):
    branch = _branch(code)
    _desk_at(request, branch)
    holds = queries.hold_shelf(branch).select_related("item", "pickup_branch")
    return [hold_out(h) for h in holds]


@router.get(
    "/patrons/{patron_id}/account",
    response={200: AccountOut, **ERRORS},
    summary="A patron's account: blocks, loans, holds, fees",
)
def account(request, patron_id: int):
    patron = visible_patron(request.user, patron_id)
    today = timezone.localdate()
    return {
        "patron_id": patron.pk,
        "blocks": [{"code": c, "message": str(m)} for c, m in queries.all_blocks(patron, today)],
        "loans": [loan_out(x) for x in queries.active_loans(patron).select_related("item__record")],
        "holds": [
            hold_out(x)
            for x in queries.active_holds(patron).select_related("item", "record", "pickup_branch")
        ],
        "fees": [fee_out(x) for x in patron.fees.filter(settled_at__isnull=True)],
        "owed": queries.outstanding_fees(patron),
    }
