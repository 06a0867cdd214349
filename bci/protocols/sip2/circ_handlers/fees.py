"""37 fee paid."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from bci.circulation import services as circ
from bci.circulation.errors import InvalidAmount, Overpayment
from bci.circulation.models import Fee
from bci.core.errors import InvalidInput

from ..handler import _local, actor, institution
from ..messages.codec import make
from .common import CURRENCY, KioskPatron, money

PAYMENT_METHOD = {"00": "cash", "01": "card", "02": "card"}


@transaction.atomic
def fee_paid(message, terminal, now):
    """Pays fee CG when given, else the patron's oldest outstanding fees in order; the whole
    amount or nothing (one transaction)."""
    who = KioskPatron(message)
    who.require_pin()
    if message["currency_type"] not in (CURRENCY, "   "):
        raise InvalidAmount(amount=f"{message.get('BV')} {message['currency_type']}")
    amount = circ.fees.parse_amount(message.get("BV") or "")
    method = f"sip2-{PAYMENT_METHOD.get(message['payment_type'], 'other')}"
    fees = Fee.objects.filter(patron=who.patron, settled_at__isnull=True).order_by(
        "created_at", "id"
    )
    fee_id = (message.get("CG") or "").strip()
    if fee_id:
        if not fee_id.isdigit():
            raise InvalidInput(_("Unknown fee identifier."))
        fees = fees.filter(pk=int(fee_id))
        if not fees.exists():
            raise InvalidInput(_("Unknown fee identifier."))
    fees = list(fees)
    outstanding = sum((f.outstanding for f in fees), Decimal("0"))
    if amount > outstanding:
        raise Overpayment(outstanding=money(outstanding))
    left = amount
    for fee in fees:
        if left <= 0:
            break
        part = min(left, fee.outstanding)
        circ.pay_fee(fee=fee, amount=part, by=actor(terminal), now=now, method=method)
        left -= part
    fields = [
        ("AO", institution(message, terminal)),
        ("AA", who.card.barcode),
        ("BK", message.get("BK")),
        ("AF", _("EUR %(amount)s received, thank you.") % {"amount": money(amount)}),
    ]
    return make("38", {"payment_accepted": "Y", "transaction_date": _local(now)}, fields)
