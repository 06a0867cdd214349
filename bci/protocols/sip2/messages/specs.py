"""The layout of every SIP2 2.00 message type: fixed fields in order, the variable fields
the spec lists, and for a request the code of its answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .fields import KINDS

PROTOCOL_VERSION = "2.00"


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    fixed: tuple[tuple[str, str], ...]  # (name, kind)
    fields: tuple[str, ...] = ()  # the variable fields the spec lists (others are tolerated)
    response: str | None = None  # for a request: the code of its answer

    @property
    def fixed_length(self) -> int:
        return sum(KINDS[kind][0] for _, kind in self.fixed)


def _s(code, name, fixed=(), fields="", response=None):
    return Spec(code, name, tuple(fixed), tuple(fields.split()), response)


_TD = ("transaction_date", "date")

SPECS: dict[str, Spec] = {
    s.code: s
    for s in [
        # requests: self-check (SC) -> library system (ACS)
        _s("93", "Login", [("uid_algorithm", "char"), ("pwd_algorithm", "char")], "CN CO CP", "94"),
        _s(
            "99",
            "SC Status",
            [
                ("status_code", "sc_status"),
                ("max_print_width", "digits3"),
                ("protocol_version", "version"),
            ],
            "",
            "98",
        ),
        _s("97", "Request ACS Resend", [], "", None),
        _s("23", "Patron Status Request", [("language", "language"), _TD], "AO AA AC AD", "24"),
        _s(
            "63",
            "Patron Information",
            [("language", "language"), _TD, ("summary", "summary10")],
            "AO AA AC AD BP BQ",
            "64",
        ),
        _s(
            "11",
            "Checkout",
            [
                ("sc_renewal_policy", "yn"),
                ("no_block", "yn"),
                _TD,
                ("nb_due_date", "date_or_blank"),
            ],
            "AO AA AB AC CH AD BO BI",
            "12",
        ),
        _s(
            "09",
            "Checkin",
            [("no_block", "yn"), _TD, ("return_date", "date_or_blank")],
            "AP AO AB AC CH BI",
            "10",
        ),
        _s(
            "29",
            "Renew",
            [
                ("third_party_allowed", "yn"),
                ("no_block", "yn"),
                _TD,
                ("nb_due_date", "date_or_blank"),
            ],
            "AO AA AD AB AJ AC CH BO",
            "30",
        ),
        _s("65", "Renew All", [_TD], "AO AA AD AC BO", "66"),
        _s("17", "Item Information", [_TD], "AO AB AC", "18"),
        _s("35", "End Patron Session", [_TD], "AO AA AC AD", "36"),
        _s(
            "37",
            "Fee Paid",
            [
                _TD,
                ("fee_type", "digits2"),
                ("payment_type", "digits2"),
                ("currency_type", "currency"),
            ],
            "BV AO AA AC AD CG BK",
            "38",
        ),
        _s("15", "Hold", [("hold_mode", "hold_mode"), _TD], "BW BS BY AO AA AD AB AJ AC BO", "16"),
        _s("19", "Item Status Update", [_TD], "AO AB AC CH", "20"),
        _s("25", "Patron Enable", [_TD], "AO AA AC AD", "26"),
        _s("01", "Block Patron", [("card_retained", "yn"), _TD], "AO AL AA AC", "24"),
        # responses: ACS -> SC
        _s("94", "Login Response", [("ok", "bit")]),
        _s("96", "Request SC Resend"),
        _s(
            "98",
            "ACS Status",
            [
                ("online_status", "yn"),
                ("checkin_ok", "yn"),
                ("checkout_ok", "yn"),
                ("acs_renewal_policy", "yn"),
                ("status_update_ok", "yn"),
                ("offline_ok", "yn"),
                ("timeout_period", "digits3"),
                ("retries_allowed", "digits3"),
                ("date_time_sync", "date"),
                ("protocol_version", "version"),
            ],
            "AO AM BX AN AF AG",
        ),
        _s(
            "24",
            "Patron Status Response",
            [("patron_status", "status14"), ("language", "language"), _TD],
            "AO AA AE BL CQ BH BV AF AG",
        ),
        _s(
            "64",
            "Patron Information Response",
            [
                ("patron_status", "status14"),
                ("language", "language"),
                _TD,
                ("hold_items_count", "count"),
                ("overdue_items_count", "count"),
                ("charged_items_count", "count"),
                ("fine_items_count", "count"),
                ("recall_items_count", "count"),
                ("unavailable_holds_count", "count"),
            ],
            "AO AA AE BZ CA CB BL CQ BH BV CC AS AT AU AV BU CD BD BE BF AF AG",
        ),
        _s(
            "12",
            "Checkout Response",
            [
                ("ok", "bit"),
                ("renewal_ok", "yn"),
                ("magnetic_media", "ynu"),
                ("desensitize", "ynu"),
                _TD,
            ],
            "AO AA AB AJ AH BT CI BH BV CK CH BK AF AG",
        ),
        _s(
            "10",
            "Checkin Response",
            [("ok", "bit"), ("resensitize", "yn"), ("magnetic_media", "ynu"), ("alert", "yn"), _TD],
            "AO AB AQ AJ CL AA CK CH CT CV CY DA AF AG",
        ),
        _s(
            "30",
            "Renew Response",
            [
                ("ok", "bit"),
                ("renewal_ok", "yn"),
                ("magnetic_media", "ynu"),
                ("desensitize", "ynu"),
                _TD,
            ],
            "AO AA AB AJ AH BT CI BH BV CK CH BK AF AG",
        ),
        _s(
            "66",
            "Renew All Response",
            [("ok", "bit"), ("renewed_count", "count"), ("unrenewed_count", "count"), _TD],
            "AO BM BN AF AG",
        ),
        _s(
            "18",
            "Item Information Response",
            [
                ("circulation_status", "digits2"),
                ("security_marker", "digits2"),
                ("fee_type", "digits2"),
                _TD,
            ],
            "CF AH CJ CM AB AJ BG BH BV CK AQ AP CH AF AG",
        ),
        _s("36", "End Session Response", [("end_session", "yn"), _TD], "AO AA AF AG"),
        _s("38", "Fee Paid Response", [("payment_accepted", "yn"), _TD], "AO AA BK AF AG"),
        _s(
            "16",
            "Hold Response",
            [("ok", "bit"), ("available", "yn"), _TD],
            "BW BR BS AO AA AB AJ AF AG",
        ),
        _s(
            "20",
            "Item Status Update Response",
            [("item_properties_ok", "bit"), _TD],
            "AB AJ CH AF AG",
        ),
        _s(
            "26",
            "Patron Enable Response",
            [("patron_status", "status14"), ("language", "language"), _TD],
            "AO AA AE BL CQ AF AG",
        ),
    ]
}

REQUEST_CODES = tuple(code for code, s in SPECS.items() if s.response or code == "97")

# The "supported messages" field (BX) of the ACS status: 16 positions in this order.
SUPPORTED_MESSAGES_ORDER = (
    "23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19", "25", "15",
    "29", "65",
)  # fmt: skip


def supported_messages(codes: Iterable[str]) -> str:
    codes = set(codes)
    return "".join("Y" if c in codes else "N" for c in SUPPORTED_MESSAGES_ORDER)
