"""11 checkout, 09 checkin, 29 renew, 65 renew all."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bci.catalogue.errors import ItemNotFound
from bci.catalogue.models import Item
from bci.circulation import queries as circ_queries
from bci.circulation import services as circ
from bci.circulation.errors import AlreadyOnLoanToPatron, ItemAlreadyOnLoan, LoanNotFound
from bci.circulation.models import Loan
from bci.core.errors import DomainError, InvalidInput

from ..handler import _local, actor, institution
from ..messages.codec import make
from ..messages.codes import AlertType
from ..messages.fields import flag
from .common import SORT_BIN, KioskPatron, count_field, due_field, media_type


def _loan_response(code, message, terminal, now, loan, *, renewal, screen=None):
    item = loan.item
    fields = [
        ("AO", institution(message, terminal)),
        ("AA", message.get("AA") or ""),
        ("AB", item.barcode),
        ("AJ", item.record.title),
        ("AH", due_field(loan)),
        ("CK", media_type(item)),
        ("AF", screen or _("Due back on %(date)s.") % {"date": loan.due_date.strftime("%d-%m-%Y")}),
    ]
    fixed = {
        "ok": "1",
        "renewal_ok": flag(renewal),
        "magnetic_media": "U",
        "desensitize": "Y" if code == "12" else "U",
        "transaction_date": _local(now),
    }
    return make(code, fixed, fields)


def checkout(message, terminal, now):
    who = KioskPatron(message)
    who.require_pin()
    barcode = (message.get("AB") or "").strip()
    by = actor(terminal)
    try:
        loan = circ.checkout_item(
            item_barcode=barcode, card_barcode=who.card.barcode, branch=terminal.branch,
            by=by, now=now,
        )  # fmt: skip
        renewal = False
    except ItemAlreadyOnLoan:
        # The same patron presents an item they already have: with the kiosk's renewal
        # policy on, that is a renewal (as Evergreen and Koha do).
        loan = Loan.objects.filter(
            item__barcode=barcode, ended_at__isnull=True, patron=who.patron
        ).first()
        if loan is None:
            raise
        if message["sc_renewal_policy"] != "Y" or not terminal.may_renew:
            raise AlreadyOnLoanToPatron() from None
        loan = circ.renew_loan(loan=loan, by=by, now=now)
        renewal = True
    loan = Loan.objects.select_related("item__record").get(pk=loan.pk)
    return _loan_response("12", message, terminal, now, loan, renewal=renewal)


def checkin(message, terminal, now):
    barcode = (message.get("AB") or "").strip()
    result = circ.checkin_item(item_barcode=barcode, branch=terminal.branch,
                               by=actor(terminal), now=now)  # fmt: skip
    routing = result.routing
    item = Item.objects.select_related("record", "home_branch").get(pk=routing.item.pk)
    alert = routing.action in (circ.HOLD_SHELF, circ.TRANSIT)
    notes = [str(routing.message)] + [str(n) for n in result.notes + routing.notes]
    fields = [
        ("AO", institution(message, terminal)),
        ("AB", item.barcode),
        ("AQ", item.home_branch.code),
        ("AJ", item.record.title),
        ("CL", SORT_BIN.get(routing.action, "")),
        ("CK", media_type(item)),
    ]
    if item.call_number:
        fields.append(("CS", item.call_number))
    if alert and routing.destination is not None:
        fields.append(("CT", routing.destination.code))
    if routing.action == circ.HOLD_SHELF:
        fields.append(("CV", AlertType.HOLD_LOCAL))
        fields.append(("DA", circ.common.shelf_name(routing.hold.patron)))
    elif routing.action == circ.TRANSIT:
        hold_transit = routing.hold is not None
        fields.append(
            (
                "CV",
                AlertType.HOLD_OTHER_BRANCH if hold_transit else AlertType.SEND_TO_OTHER_BRANCH,
            )
        )
    fields.append(("AF", " ".join(notes)))
    fixed = {
        "ok": "1",
        "resensitize": "Y",
        "magnetic_media": "U",
        "alert": flag(alert),
        "transaction_date": _local(now),
    }
    return make("10", fixed, fields)


def _own_loan(who, message):
    barcode = (message.get("AB") or "").strip()
    if not barcode:
        raise InvalidInput(_("No item identifier (AB) given."))
    loan = (
        Loan.objects.filter(item__barcode=barcode, ended_at__isnull=True, patron=who.patron)
        .select_related("item__record")
        .first()
    )
    if loan is None:
        if not Item.objects.filter(barcode=barcode).exists():
            raise ItemNotFound(barcode=barcode)
        raise LoanNotFound()
    return loan


def renew(message, terminal, now):
    """Only the patron's own loans, whatever the third-party flag says."""
    who = KioskPatron(message)
    who.require_pin()
    loan = _own_loan(who, message)
    loan = circ.renew_loan(loan=loan, by=actor(terminal), now=now)
    loan = Loan.objects.select_related("item__record").get(pk=loan.pk)
    return _loan_response("30", message, terminal, now, loan, renewal=True)


def renew_all(message, terminal, now):
    who = KioskPatron(message)
    who.require_pin()
    renewed, refused, reasons = [], [], []
    for loan in circ_queries.active_loans(who.patron):
        try:
            circ.renew_loan(loan=loan, by=actor(terminal), now=now)
            renewed.append(loan.item.barcode)
        except DomainError as exc:
            refused.append(loan.item.barcode)
            reasons.append(f"{loan.item.barcode}: {exc}")
    fields = [("AO", institution(message, terminal))]
    fields += [("BM", b) for b in renewed]
    fields += [("BN", b) for b in refused]
    text = _("%(renewed)s renewed, %(refused)s not renewed.") % {
        "renewed": len(renewed), "refused": len(refused)
    }  # fmt: skip
    fields.append(("AF", " ".join([text, *reasons])))
    fixed = {
        "ok": "1",
        "renewed_count": count_field(len(renewed)),
        "unrenewed_count": count_field(len(refused)),
        "transaction_date": _local(now),
    }
    return make("66", fixed, fields)
