"""SIP2 handlers for patrons and circulation: they call the desk's services.

Each function takes (message, terminal, now) and returns the response Message. A
DomainError raised here or by a service is turned into the message type's refusal by
``handler.handle`` (the error's Dutch text in AF).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bci.catalogue.errors import ItemNotFound
from bci.catalogue.models import Item, MaterialType
from bci.circulation import queries as circ_queries
from bci.circulation import services as circ
from bci.circulation.errors import (
    AlreadyOnLoanToPatron,
    HoldNotFound,
    InvalidAmount,
    ItemAlreadyOnLoan,
    LoanNotFound,
    Overpayment,
)
from bci.circulation.models import Fee, Hold, Loan
from bci.circulation.policies import over_limit
from bci.core import throttle
from bci.core.errors import DomainError, InvalidInput
from bci.organisations.models import Node
from bci.patrons import services as patron_services
from bci.patrons.errors import WrongPin
from bci.patrons.queries import BLOCK_EXPIRED, BLOCK_MANUAL, card_by_barcode

from .handler import _local, actor, institution
from .messages.codec import make
from .messages.codes import (
    LANGUAGE_UNKNOWN,
    PATRON_STATUS_FLAGS,
    AlertType,
    CirculationStatus,
    FeeType,
    MediaType,
)
from .messages.dates import format_date, parse_date
from .messages.fields import flag

CURRENCY = "EUR"
MAX_LIST = 50  # items per list in a patron information response

CIRCULATION_STATUS = {
    Item.Status.AVAILABLE: CirculationStatus.AVAILABLE,
    Item.Status.ON_LOAN: CirculationStatus.CHARGED,
    Item.Status.IN_TRANSIT: CirculationStatus.IN_TRANSIT,
    Item.Status.ON_HOLD_SHELF: CirculationStatus.WAITING_ON_HOLD_SHELF,
    Item.Status.IN_PROCESSING: CirculationStatus.IN_PROCESS,
    Item.Status.MISSING: CirculationStatus.MISSING,
    Item.Status.LOST: CirculationStatus.LOST,
    Item.Status.WITHDRAWN: CirculationStatus.OTHER,
}

MEDIA_TYPE = {
    MaterialType.BOOK: MediaType.BOOK,
    MaterialType.LARGE_PRINT: MediaType.BOOK,
    MaterialType.PICTURE_BOOK: MediaType.BOOK,
    MaterialType.COMIC: MediaType.BOOK,
    MaterialType.SHEET_MUSIC: MediaType.BOOK,
    MaterialType.MAGAZINE: MediaType.MAGAZINE,
    MaterialType.AUDIOBOOK: MediaType.CD,
    MaterialType.MUSIC: MediaType.CD,
    MaterialType.DVD: MediaType.VIDEO_TAPE,
    MaterialType.GAME: MediaType.CD,
}

FEE_TYPE = {
    Fee.Kind.OVERDUE: FeeType.OVERDUE,
    Fee.Kind.LOST: FeeType.REPLACEMENT,
    Fee.Kind.HOLD: FeeType.HOLD_FEE,
    Fee.Kind.DAMAGE: FeeType.DAMAGE,
    Fee.Kind.SUBSCRIPTION: FeeType.ADMINISTRATIVE,
    Fee.Kind.OTHER: FeeType.OTHER,
}

# the sort bin (CL) a returns sorter gets for each check-in outcome
SORT_BIN = {circ.HOLD_SHELF: "H", circ.TRANSIT: "T", circ.RESHELVE: "R"}


# --- lookups --------------------------------------------------------------------------------


class _Patron:
    """The patron behind the AA card of a request, and whether the PIN (AD) matched."""

    def __init__(self, message, *, active_only=True):
        barcode = (message.get("AA") or "").strip()
        self.card = card_by_barcode(barcode, active_only=active_only)
        self.patron = self.card.patron
        pin = message.get("AD")
        # AD absent or empty: the kiosk does not ask for PINs (the terminal is trusted, as in
        # Evergreen and Koha); AD present: it must match.
        self.pin_given = bool(pin)
        self.pin_ok = None
        if pin:  # wrong PINs count per card with the OPAC's: a kiosk is no way to guess
            if throttle.pin_locked(barcode):
                self.pin_ok = False
            elif self.patron.check_pin(pin):
                self.pin_ok = True
                throttle.pin_ok(barcode)
            else:
                self.pin_ok = False
                throttle.pin_failed(barcode)

    def require_pin(self):
        if self.pin_ok is False:
            raise WrongPin()
        return self.patron


def _money(amount) -> str:
    return f"{Decimal(amount):.2f}"


def _today(now):
    return timezone.localdate(now)


def _media(item) -> str:
    return MEDIA_TYPE.get(item.material_type, MediaType.OTHER)


def _due(loan) -> str:
    return format_date(loan.due_date)


def _title(item) -> str:
    return item.record.title if item is not None else ""


def _item(barcode) -> Item:
    barcode = (barcode or "").strip()
    item = (
        Item.objects.select_related("record", "home_branch", "current_location", "owner")
        .filter(barcode=barcode)
        .first()
        if barcode
        else None
    )
    if item is None:
        raise ItemNotFound(barcode=barcode or "-")
    return item


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
    return _Patron(message, active_only=False)


# --- 23 patron status, 63 patron information, 01 block, 25 enable -------------------------------


def _status_response(code, message, terminal, now, who, *, extra_fields=()):
    today = _today(now)
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
        fields += [("BH", CURRENCY), ("BV", _money(owed))]
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
    today = _today(now)
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
                f"{f.pk} {CURRENCY} {_money(f.outstanding)} {f.get_kind_display()}"
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
        extra.append(("CC", _money(rules.fee_block_limit)))
    if wanted in lists:
        fid, values = lists[wanted]
        extra += [(fid, value) for value in window(values)]
    resp = _status_response("24", message, terminal, now, who, extra_fields=extra)
    fixed = dict(resp.fixed)
    fixed.update(
        {
            "hold_items_count": _count(len(ready)),
            "overdue_items_count": _count(len(overdue)),
            "charged_items_count": _count(len(loans)),
            "fine_items_count": _count(len(fees)),
            "recall_items_count": "0000",
            "unavailable_holds_count": _count(len(waiting)),
        }
    )
    return make("64", fixed, resp.fields)


def _count(n):
    return f"{min(n, 9999):04d}"


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


# --- 11 checkout, 09 checkin, 29 renew, 65 renew all --------------------------------------------


def _loan_response(code, message, terminal, now, loan, *, renewal, screen=None):
    item = loan.item
    fields = [
        ("AO", institution(message, terminal)),
        ("AA", message.get("AA") or ""),
        ("AB", item.barcode),
        ("AJ", item.record.title),
        ("AH", _due(loan)),
        ("CK", _media(item)),
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
    who = _Patron(message)
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
        ("CK", _media(item)),
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
    who = _Patron(message)
    who.require_pin()
    loan = _own_loan(who, message)
    loan = circ.renew_loan(loan=loan, by=actor(terminal), now=now)
    loan = Loan.objects.select_related("item__record").get(pk=loan.pk)
    return _loan_response("30", message, terminal, now, loan, renewal=True)


def renew_all(message, terminal, now):
    who = _Patron(message)
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
        "renewed_count": _count(len(renewed)),
        "unrenewed_count": _count(len(refused)),
        "transaction_date": _local(now),
    }
    return make("66", fixed, fields)


# --- 17 item information, 19 item status update ----------------------------------------------


def item_information(message, terminal, now):
    item = _item(message.get("AB"))
    fields = [("AB", item.barcode), ("AJ", _title(item)), ("CK", _media(item))]
    loan = Loan.objects.filter(item=item, ended_at__isnull=True).first()
    if loan is not None:
        fields.append(("AH", _due(loan)))
    queue = circ_queries.hold_queue(item.record)
    fields.append(("CF", str(queue.count())))
    ready = Hold.objects.filter(copy=item, status=Hold.Status.READY).first()
    if ready is not None and ready.shelf_until:
        fields.append(("CM", format_date(ready.shelf_until)))
    fields.append(("AQ", item.home_branch.code))
    if item.current_location_id:
        fields.append(("AP", item.current_location.code))
    fields.append(("BG", item.owner.code))
    if item.call_number:
        fields.append(("CS", item.call_number))
    fixed = {
        "circulation_status": CIRCULATION_STATUS.get(item.status, CirculationStatus.OTHER),
        "security_marker": "00",  # other: RFID security, not a 3M strip
        "fee_type": FeeType.OTHER,
        "transaction_date": _local(now),
    }
    return make("18", fixed, fields)


def item_status_update(message, terminal, now):
    """Item properties (CH) are not stored in BCI: a known item is answered with
    item_properties_ok 0 and an explanation (the ACS status says status_update_ok N)."""
    item = _item(message.get("AB"))
    fields = [
        ("AB", item.barcode),
        ("AJ", _title(item)),
        ("AF", _("Item properties are not kept by this library system.")),
    ]
    return make("20", {"item_properties_ok": "0", "transaction_date": _local(now)}, fields)


# --- 35 end session, 37 fee paid, 15 hold ---------------------------------------------------


def end_patron_session(message, terminal, now):
    """Nothing is kept per patron between messages, so ending a session always succeeds."""
    fields = [
        ("AO", institution(message, terminal)),
        ("AA", message.get("AA") or ""),
        ("AF", _("Thank you, see you next time.")),
    ]
    return make("36", {"end_session": "Y", "transaction_date": _local(now)}, fields)


PAYMENT_METHOD = {"00": "cash", "01": "card", "02": "card"}


@transaction.atomic
def fee_paid(message, terminal, now):
    """Pays fee CG when given, else the patron's oldest outstanding fees in order; the whole
    amount or nothing (one transaction)."""
    who = _Patron(message)
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
        raise Overpayment(outstanding=_money(outstanding))
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
        ("AF", _("EUR %(amount)s received, thank you.") % {"amount": _money(amount)}),
    ]
    return make("38", {"payment_accepted": "Y", "transaction_date": _local(now)}, fields)


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
    who = _Patron(message)
    who.require_pin()
    mode = message["hold_mode"]
    barcode = (message.get("AB") or "").strip()
    if barcode:
        item = _item(barcode)
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


HANDLERS = {
    "23": patron_status,
    "63": patron_information,
    "11": checkout,
    "09": checkin,
    "29": renew,
    "65": renew_all,
    "17": item_information,
    "35": end_patron_session,
    "37": fee_paid,
    "15": hold,
    "19": item_status_update,
    "25": patron_enable,
    "01": block_patron,
}
