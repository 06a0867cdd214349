"""15 hold: place or cancel."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bci.circulation import queries as circ_queries
from bci.circulation import services as circ
from bci.circulation.errors import HoldNotFound
from bci.circulation.models import Hold
from bci.core.errors import InvalidInput
from bci.organisations.models import Node

from ..handler import _local, actor, institution
from ..messages.codec import make
from ..messages.dates import format_date, parse_date
from ..messages.fields import flag
from .common import KioskPatron, find_item


def _pickup(message, terminal):
    code = (message.get("BS") or "").strip()
    if not code:
        return terminal.branch
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise InvalidInput(_("Unknown pick-up location %(code)s.") % {"code": code})
    return node


def _expiry(message):
    value = (message.get("BW") or "").strip()
    if not value:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise InvalidInput(_("The expiration date is not valid."))
    return parsed.date()


def hold(message, terminal, now):
    """+ places a hold on the title of item AB (item-level when hold type BY is 3), or on
    record AJ (its id); - cancels the patron's hold on that title; * is refused."""
    who = KioskPatron(message)
    who.require_pin()
    mode = message["hold_mode"]
    barcode = (message.get("AB") or "").strip()
    if barcode:
        item = find_item(barcode)
        record = item.record
    else:
        title_id = (message.get("AJ") or "").strip()
        if not title_id.isdigit():
            raise InvalidInput(_("Give an item (AB) or a title number (AJ)."))
        record = circ.common.get_record(title_id)
        item = None
    by = actor(terminal)
    if mode == "+":
        placed = circ.place_hold(
            record=record,
            pickup_branch=_pickup(message, terminal),
            patron=who.patron,
            item_barcode=barcode if (item is not None and message.get("BY") == "3") else None,
            not_needed_after=_expiry(message),
            by=by,
            now=now,
            placed_at_branch=terminal.branch,
        )
        queue = list(circ_queries.hold_queue(record).values_list("pk", flat=True))
        position = queue.index(placed.pk) + 1 if placed.pk in queue else 0
        fields = [
            ("BW", format_date(placed.not_needed_after) if placed.not_needed_after else None),
            ("BR", str(position)),
            ("BS", placed.pickup_branch.code),
            ("AO", institution(message, terminal)),
            ("AA", who.card.barcode),
            ("AB", barcode or None),
            ("AJ", record.title),
            ("AF", _("Hold placed; you are number %(n)s in the queue.") % {"n": position}),
        ]
        available = placed.status == Hold.Status.READY
        return make("16", {"ok": "1", "available": flag(available),
                           "transaction_date": _local(now)}, fields)  # fmt: skip
    if mode == "-":
        existing = Hold.objects.filter(
            patron=who.patron, record=record, status__in=Hold.ACTIVE_STATUSES
        ).first()
        if existing is None:
            raise HoldNotFound()
        circ.cancel_hold(hold=existing, reason=_("cancelled at a kiosk"), by=by, now=now)
        fields = [
            ("AO", institution(message, terminal)),
            ("AA", who.card.barcode),
            ("AB", barcode or None),
            ("AJ", record.title),
            ("AF", _("Hold cancelled.")),
        ]
        return make("16", {"ok": "1", "available": "N", "transaction_date": _local(now)},
                    fields)  # fmt: skip
    raise InvalidInput(_("Changing a hold is not possible here; please ask at the desk."))
