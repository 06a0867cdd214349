"""23 patron status, 63 patron information, 01 block patron, 25 patron enable, 35 end
patron session."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bci.circulation import queries as circ_queries
from bci.circulation.models import Hold
from bci.circulation.policies import over_limit
from bci.patrons import services as patron_services
from bci.patrons.errors import WrongPin
from bci.patrons.queries import BLOCK_EXPIRED, BLOCK_MANUAL

from ..handler import _local, actor, institution
from ..messages.codec import make
from ..messages.codes import LANGUAGE_UNKNOWN, PATRON_STATUS_FLAGS
from ..messages.fields import flag
from .common import CURRENCY, MAX_LIST, KioskPatron, count_field, local_today, money


def patron_status_flags(patron, today, node, *, card_active=True) -> tuple[str, list[str]]:
    """The 14-character patron status and the screen messages of the blocks."""
    blocks = circ_queries.all_blocks(patron, today, node=node)
    codes = {code for code, _text in blocks}
    status = dict.fromkeys(PATRON_STATUS_FLAGS, False)
    if blocks or not card_active:
        for name in ("charge_denied", "renewal_denied", "recall_denied", "hold_denied"):
            status[name] = True
    status["card_lost"] = not card_active
    status["excessive_fines"] = status["excessive_fees"] = circ_queries.BLOCK_FEES in codes
    loans = circ_queries.active_loans(patron).count()
    limit = circ_queries.rules_for(patron.home_organisation, patron.category.code, None).max_items
    status["too_many_charged"] = over_limit(loans, limit)
    text = "".join("Y" if status[name] else " " for name in PATRON_STATUS_FLAGS)
    messages = [str(t) for code, t in blocks if code in (BLOCK_MANUAL, BLOCK_EXPIRED)] + [
        str(t) for code, t in blocks if code not in (BLOCK_MANUAL, BLOCK_EXPIRED)
    ]
    return text, messages


def _patron_or_refusal(message):
    return KioskPatron(message, active_only=False)


# --- 23 patron status, 63 patron information, 01 block, 25 enable -------------------------------


def _status_response(code, message, terminal, now, who, *, extra_fields=()):
    today = local_today(now)
    patron = who.patron
    status, notes = patron_status_flags(
        patron, today, terminal.branch, card_active=who.card.is_active
    )
    if who.pin_ok is False:
        status = "YYYY" + status[4:]
    fields = [
        ("AO", institution(message, terminal)),
        ("AA", who.card.barcode),
        ("AE", patron.name if who.pin_ok is not False else ""),
        ("BL", "Y"),
    ]
    if who.pin_given:
        fields.append(("CQ", flag(who.pin_ok)))
    if who.pin_ok is not False:  # a wrong PIN learns nothing of the account
        owed = circ_queries.outstanding_fees(patron)
        fields += [("BH", CURRENCY), ("BV", money(owed))]
    fields += list(extra_fields)
    if not who.card.is_active:
        notes.insert(0, _("This card is no longer valid."))
    if who.pin_ok is False:
        notes = [str(WrongPin())]
    if notes:
        fields.append(("AF", " ".join(notes)))
    fixed = {
        "patron_status": status,
        "language": message.fixed.get("language", LANGUAGE_UNKNOWN),
        "transaction_date": _local(now),
    }
    return make(code, fixed, fields)


def patron_status(message, terminal, now):
    return _status_response("24", message, terminal, now, _patron_or_refusal(message))


def patron_information(message, terminal, now):
    who = _patron_or_refusal(message)
    patron = who.patron
    today = local_today(now)
    if who.pin_ok is False:  # wrong PIN: status only, no personal lists
        resp = _status_response("24", message, terminal, now, who)
        fixed = dict(resp.fixed)
        fixed.update(
            {f"{n}_count": "0000" for n in ("hold_items", "overdue_items", "charged_items",
                                             "fine_items", "recall_items", "unavailable_holds")}
        )  # fmt: skip
        return make("64", fixed, resp.fields)

    loans = list(circ_queries.active_loans(patron))
    overdue = [loan for loan in loans if loan.due_date < today]
    holds = list(circ_queries.active_holds(patron))
    ready = [h for h in holds if h.status == Hold.Status.READY]
    waiting = [h for h in holds if h.status != Hold.Status.READY]
    fees = list(patron.fees.filter(settled_at__isnull=True).select_related("item"))

    summary = message["summary"]
    wanted = summary.index("Y") if "Y" in summary else -1
    start = _int(message.get("BP"), 1)
    end = _int(message.get("BQ"), start + MAX_LIST - 1)
    end = min(end, start + MAX_LIST - 1)

    def window(values):
        return values[max(start, 1) - 1 : max(end, 0)]

    lists = {
        0: ("AS", [h.copy.barcode if h.copy_id else h.record.title for h in ready]),
        1: ("AT", [loan.item.barcode for loan in overdue]),
        2: ("AU", [loan.item.barcode for loan in loans]),
        3: (
            "AV",
            [
                f"{f.pk} {CURRENCY} {money(f.outstanding)} {f.get_kind_display()}"
                + (f" {f.item.barcode}" if f.item_id else "")
                for f in fees
            ],
        ),  # fmt: skip
        4: ("BU", []),
        5: ("CD", [h.record.title for h in waiting]),
    }
    rules = circ_queries.rules_for(patron.home_organisation, patron.category.code, None)
    extra = []
    if rules.max_items is not None:
        extra.append(("CB", f"{rules.max_items:04d}"))
    if rules.fee_block_limit:
        extra.append(("CC", money(rules.fee_block_limit)))
    if wanted in lists:
        fid, values = lists[wanted]
        extra += [(fid, value) for value in window(values)]
    resp = _status_response("24", message, terminal, now, who, extra_fields=extra)
    fixed = dict(resp.fixed)
    fixed.update(
        {
            "hold_items_count": count_field(len(ready)),
            "overdue_items_count": count_field(len(overdue)),
            "charged_items_count": count_field(len(loans)),
            "fine_items_count": count_field(len(fees)),
            "recall_items_count": "0000",
            "unavailable_holds_count": count_field(len(waiting)),
        }
    )
    return make("64", fixed, resp.fields)


def _int(value, default):
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def block_patron(message, terminal, now):
    who = _patron_or_refusal(message)
    reason = (message.get("AL") or "").strip() or _("Blocked by a self-service kiosk.")
    if message["card_retained"] == "Y":
        reason = _("%(reason)s (card retained by the kiosk)") % {"reason": reason}
    patron_services.block_patron(patron=who.patron, reason=reason, by=actor(terminal), now=now)
    return _status_response("24", message, terminal, now, who)


def patron_enable(message, terminal, now):
    """Lifts the blocks that SIP2 terminals placed (never a block placed by staff)."""
    who = _patron_or_refusal(message)
    who.require_pin()
    for block in who.patron.blocks.filter(lifted_at__isnull=True, placed_by__startswith="sip2:"):
        patron_services.lift_block(block=block, by=actor(terminal), now=now)
    return _status_response("26", message, terminal, now, who)


def end_patron_session(message, terminal, now):
    """Nothing is kept per patron between messages, so ending a session always succeeds."""
    fields = [
        ("AO", institution(message, terminal)),
        ("AA", message.get("AA") or ""),
        ("AF", _("Thank you, see you next time.")),
    ]
    return make("36", {"end_session": "Y", "transaction_date": _local(now)}, fields)
