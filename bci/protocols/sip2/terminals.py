"""Writes and reads of SIP2 terminal accounts (used by the admin, the CLI and the server)."""

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError, InvalidInput, NotFound
from bci.core.events import record_event
from bci.organisations.models import Node
from bci.protocols.models import Sip2Terminal

LOGIN_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD = 8


class TerminalNotFound(NotFound):
    code = "sip2_terminal_not_found"
    message = _("No SIP2 terminal with login %(login)s.")


class DuplicateTerminal(DomainError):
    code = "sip2_terminal_exists"
    message = _("A SIP2 terminal with login %(login)s already exists.")


class InvalidTerminal(InvalidInput):
    code = "sip2_terminal_invalid"
    message = _("The SIP2 terminal is not valid: %(detail)s")


def _check(login, password, branch, institution_id):
    if not LOGIN_RE.match(login or ""):
        raise InvalidTerminal(detail=_("login name: letters, digits and . _ @ - only"))
    if len(password or "") < MIN_PASSWORD:
        raise InvalidTerminal(detail=_("password: at least 8 characters"))
    if "|" in password or any(ord(c) < 32 for c in password):
        raise InvalidTerminal(detail=_("password: no | or control characters"))
    if not isinstance(branch, Node) or branch.kind not in Node.Kind.lending_kinds():
        raise InvalidTerminal(detail=_("branch: must be a branch or service point"))
    if not institution_id or "|" in institution_id or len(institution_id) > 64:
        raise InvalidTerminal(detail=_("institution id"))


@transaction.atomic
def add_terminal(
    *,
    login,
    password,
    branch,
    institution_id=None,
    name="",
    permissions=("checkout", "checkin", "renew"),
    by=None,
    now=None,
):
    """Create a terminal account. ``institution_id`` defaults to the code of the branch's
    library organisation. ``permissions`` is a subset of Sip2Terminal.PERMISSIONS."""
    institution_id = institution_id or (branch.parent.code if branch.parent_id else "")
    _check(login, password, branch, institution_id)
    unknown = set(permissions) - set(Sip2Terminal.PERMISSIONS)
    if unknown:
        raise InvalidTerminal(detail=", ".join(sorted(unknown)))
    if Sip2Terminal.objects.filter(login=login).exists():
        raise DuplicateTerminal(login=login)
    terminal = Sip2Terminal(
        login=login,
        name=name,
        branch=branch,
        institution_id=institution_id,
        created_at=now or timezone.now(),
        **{attr: action in permissions for action, attr in Sip2Terminal.PERMISSIONS.items()},
    )
    terminal.set_password(password)
    terminal.save()
    record_event(
        "sip2.terminal_added",
        subject=terminal,
        by=by,
        where=branch,
        now=now,
        login=login,
        permissions=sorted(permissions),
    )
    return terminal


@transaction.atomic
def set_terminal_enabled(*, login, enabled, by=None, now=None):
    terminal = Sip2Terminal.objects.select_for_update().filter(login=login).first()
    if terminal is None:
        raise TerminalNotFound(login=login)
    if terminal.is_enabled != enabled:
        terminal.is_enabled = enabled
        terminal.save(update_fields=["is_enabled"])
        record_event(
            "sip2.terminal_enabled" if enabled else "sip2.terminal_disabled",
            subject=terminal,
            by=by,
            where=terminal.branch,
            now=now,
            login=login,
        )
    return terminal


def authenticate_terminal(login, password, *, now=None):
    """The enabled terminal with this login and password, or None. Always runs one
    password hash so that timing does not reveal which logins exist."""
    terminal = (
        Sip2Terminal.objects.select_related("branch").filter(login=login).first() if login else None
    )
    if terminal is None:
        Sip2Terminal(password_hash="").set_password(password or "x")  # equalise timing
        return None
    if not terminal.check_password(password or "") or not terminal.is_enabled:
        return None
    Sip2Terminal.objects.filter(pk=terminal.pk).update(last_login_at=now or timezone.now())
    return terminal
