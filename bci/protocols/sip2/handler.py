"""SIP2 message handlers: sync, Django-aware, one function per message.

Each handler takes the parsed request and the connection's ``Session`` and returns the
response ``Message``. Writes go through the same circulation and patron services as the
desk; a refusal (DomainError) becomes the message type's negative answer with the error's
Dutch text in AF (screen message). The server runs ``handle()`` in a worker thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from bci.core.errors import DomainError

from .messages.codec import Message, make
from .messages.codes import LANGUAGE_ENGLISH, LANGUAGE_UNKNOWN, CirculationStatus, FeeType
from .messages.dates import format_date
from .messages.fields import flag
from .messages.specs import PROTOCOL_VERSION, supported_messages

logger = logging.getLogger("bci.sip2")

# The supported-messages field (BX) of the ACS status.
SUPPORTED = (
    "23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19", "25", "15", "29",
    "65",
)  # fmt: skip

NOT_LOGGED_IN = gettext_lazy("This terminal is not logged in.")
DISABLED = gettext_lazy("This terminal has been disabled.")
NOT_ALLOWED = gettext_lazy("This terminal may not do this. Please ask at the desk.")
SYSTEM_ERROR = gettext_lazy("Something went wrong. Please ask at the desk.")


@dataclass
class Session:
    """What the server keeps per connection between messages (touched by one thread at a
    time: a connection handles its messages in order)."""

    peer: str = ""
    terminal_id: int | None = None
    login: str = ""
    institution_id: str = ""
    print_width: int = 0
    failed_logins: int = 0

    def logout(self):
        self.terminal_id = None
        self.login = ""


# Which terminal permission each message needs (None: any logged-in terminal).
PERMISSION = {
    "11": "checkout",
    "09": "checkin",
    "29": "renew",
    "65": "renew",
    "37": "fee",
    "15": "hold",
    "01": "block",
    "25": "block",
}


def language_of(message: Message) -> str:
    return "en" if message.fixed.get("language") == LANGUAGE_ENGLISH else "nl"


def handle(message: Message, session: Session, *, now=None) -> Message | None:
    """The answer to ``message``; None for a message type the ACS does not take (the
    server then asks for a resend, counting it as malformed)."""
    now = now or timezone.now()
    func = handlers().get(message.code)
    if func is None:
        return None
    with translation.override(language_of(message)):
        if message.code == "93":
            return login(message, session, now)
        terminal = None
        if session.terminal_id is not None:
            terminal = _terminal(session.terminal_id)
            if terminal is None or not terminal.is_enabled:
                logger.warning(
                    "SIP2 %s terminal %s disabled: logged out", session.peer, session.login
                )
                session.logout()
                return refusal(message, str(DISABLED), now)
        if message.code == "99":
            return sc_status(message, session, terminal, now)
        if terminal is None:
            return refusal(message, str(NOT_LOGGED_IN), now)
        needed = PERMISSION.get(message.code)
        if needed and not terminal.may(needed):
            return refusal(message, str(NOT_ALLOWED), now, terminal=terminal)
        try:
            return func(message, terminal, now)
        except DomainError as exc:
            return refusal(message, str(exc), now, terminal=terminal)


def _terminal(pk):
    from bci.protocols.models import Sip2Terminal

    return Sip2Terminal.objects.select_related("branch").filter(pk=pk).first()


def actor(terminal) -> str:
    return f"sip2:{terminal.login}"


def institution(message, terminal) -> str:
    """We answer with the terminal's institution id (a kiosk echoing another one is
    tolerated, as Evergreen and Koha do: they only log it)."""
    return terminal.institution_id if terminal is not None else (message.get("AO") or "")


# --- 93 login, 99 SC status -----------------------------------------------------------------


def login(message, session, now):
    from .terminals import authenticate_terminal

    ok = False
    if message["uid_algorithm"] == "0" and message["pwd_algorithm"] == "0":
        terminal = authenticate_terminal(message.get("CN") or "", message.get("CO") or "", now=now)
        if terminal is not None:
            ok = True
            session.terminal_id = terminal.pk
            session.login = terminal.login
            session.institution_id = terminal.institution_id
            session.failed_logins = 0
            logger.info("SIP2 %s terminal %s logged in", session.peer, terminal.login)
    if not ok:
        session.logout()
        session.failed_logins += 1
        logger.warning("SIP2 %s login failed", session.peer)
    return make("94", {"ok": "1" if ok else "0"})


def sc_status(message, session, terminal, now):
    session.print_width = int(message["max_print_width"])
    if message["status_code"] != "0":
        logger.warning(
            "SIP2 %s terminal %s reports status %s (1: out of paper, 2: shutting down)",
            session.peer, session.login or "-", message["status_code"],
        )  # fmt: skip
    fields = [("AO", institution(message, terminal))]
    if terminal is not None:
        organisation = terminal.branch.organisation
        fields.append(("AM", organisation.name if organisation else terminal.branch.name))
    fields.append(("BX", supported_messages(SUPPORTED)))
    if terminal is not None:
        fields.append(("AN", terminal.branch.code))
    return make(
        "98",
        {
            "online_status": "Y",
            "checkin_ok": flag(terminal is not None and terminal.may_checkin),
            "checkout_ok": flag(terminal is not None and terminal.may_checkout),
            "acs_renewal_policy": flag(terminal is not None and terminal.may_renew),
            "status_update_ok": "N",  # item properties are not stored (see 19)
            "offline_ok": "N",
            "timeout_period": "600",
            "retries_allowed": "003",
            "date_time_sync": _local(now),
            "protocol_version": PROTOCOL_VERSION,
        },
        fields,
    )


def _local(moment):
    return format_date(timezone.localtime(moment).replace(tzinfo=None))


# --- refusals -------------------------------------------------------------------------------

NO_PRIVILEGES = "YYYY" + " " * 10


def refusal(message, text, now, *, terminal=None) -> Message:
    """The negative answer of ``message``'s type with ``text`` as screen message."""
    td = _local(now)
    ao = ("AO", institution(message, terminal))
    aa = ("AA", message.get("AA") or "")
    ab = ("AB", message.get("AB") or "")
    af = ("AF", text)
    lang = message.fixed.get("language", LANGUAGE_UNKNOWN)
    code = message.code
    if code in ("23", "01"):
        fixed = {"patron_status": NO_PRIVILEGES, "language": lang, "transaction_date": td}
        return make("24", fixed, [ao, aa, ("AE", ""), ("BL", "N"), af])
    if code == "25":
        fixed = {"patron_status": NO_PRIVILEGES, "language": lang, "transaction_date": td}
        return make("26", fixed, [ao, aa, ("AE", ""), ("BL", "N"), af])
    if code == "63":
        fixed = {"patron_status": NO_PRIVILEGES, "language": lang, "transaction_date": td}
        fixed.update({f"{n}_count": "0000" for n in _COUNT_NAMES})
        return make("64", fixed, [ao, aa, ("AE", ""), ("BL", "N"), af])
    if code in ("11", "29"):
        fixed = {"ok": "0", "renewal_ok": "N", "magnetic_media": "U", "desensitize": "N",
                 "transaction_date": td}  # fmt: skip
        return make("12" if code == "11" else "30", fixed,
                    [ao, aa, ab, ("AJ", ""), ("AH", ""), af])  # fmt: skip
    if code == "09":
        fixed = {"ok": "0", "resensitize": "N", "magnetic_media": "U", "alert": "N",
                 "transaction_date": td}  # fmt: skip
        return make("10", fixed, [ao, ab, ("AQ", ""), af])
    if code == "65":
        fixed = {"ok": "0", "renewed_count": "0000", "unrenewed_count": "0000",
                 "transaction_date": td}  # fmt: skip
        return make("66", fixed, [ao, af])
    if code == "17":
        fixed = {"circulation_status": CirculationStatus.OTHER, "security_marker": "00",
                 "fee_type": FeeType.OTHER, "transaction_date": td}  # fmt: skip
        return make("18", fixed, [ab, ("AJ", ""), af])
    if code == "35":
        return make("36", {"end_session": "N", "transaction_date": td}, [ao, aa, af])
    if code == "37":
        return make("38", {"payment_accepted": "N", "transaction_date": td},
                    [ao, aa, ("BK", message.get("BK")), af])  # fmt: skip
    if code == "15":
        return make("16", {"ok": "0", "available": "N", "transaction_date": td},
                    [ao, aa, ("AB", message.get("AB")), af])  # fmt: skip
    if code == "19":
        return make("20", {"item_properties_ok": "0", "transaction_date": td},
                    [ab, ("AJ", ""), af])  # fmt: skip
    if code == "93":
        return make("94", {"ok": "0"})
    if code == "99":
        return sc_status(message, Session(), None, now)
    raise ValueError(f"no refusal for message {code}")


def refusal_for_error(message: Message) -> Message | None:
    """Used by the server when a handler failed unexpectedly."""
    try:
        with translation.override(language_of(message)):
            return refusal(message, str(SYSTEM_ERROR), timezone.now())
    except Exception:
        logger.exception("SIP2 could not build a refusal for %s", message.code)
        return None


_COUNT_NAMES = ("hold_items", "overdue_items", "charged_items", "fine_items", "recall_items",
                "unavailable_holds")  # fmt: skip


CORE_HANDLERS = {"93": login, "99": sc_status}


def handlers():
    """Message code -> handler function (the circulation ones live in circ_handlers)."""
    from .circ_handlers import HANDLERS as CIRCULATION

    return {**CORE_HANDLERS, **CIRCULATION}
