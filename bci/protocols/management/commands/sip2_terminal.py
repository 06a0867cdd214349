"""``bci sip2-terminal add|list|disable|enable``: manage SIP2 terminal accounts."""

import getpass

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from bci.core.errors import DomainError
from bci.organisations.models import Node
from bci.protocols.models import Sip2Terminal
from bci.protocols.sip2 import terminals


class Command(BaseCommand):
    help = "Manage SIP2 terminal accounts (kiosks): add, list, disable, enable."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a terminal account")
        add.add_argument("login")
        add.add_argument("--branch", required=True, help="code of the branch it stands in")
        add.add_argument("--password", help="(default: asked for, or read from stdin)")
        add.add_argument("--institution", help="institution id (AO); default: organisation code")
        add.add_argument("--name", default="", help="description")
        add.add_argument(
            "--allow",
            default="checkout,checkin,renew",
            help="comma-separated: " + ",".join(Sip2Terminal.PERMISSIONS),
        )
        sub.add_parser("list", help="list terminal accounts")
        for name in ("disable", "enable"):
            p = sub.add_parser(name, help=f"{name} a terminal (applies at its next message)")
            p.add_argument("login")

    def handle(self, *args, action, **options):
        console = Console(file=self.stdout._out)
        try:
            getattr(self, f"_{action}")(console, **options)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc

    def _add(self, console, *, login, branch, password, institution, name, allow, **_):
        node = Node.objects.filter(code=branch).first()
        if node is None:
            raise CommandError(f"No branch with code {branch!r}.")
        if password is None:
            password = getpass.getpass("Password: ") if self.stdin_is_tty() else input()
        permissions = [p.strip() for p in allow.split(",") if p.strip()]
        terminal = terminals.add_terminal(
            login=login, password=password, branch=node, institution_id=institution,
            name=name, permissions=permissions, by="bci sip2-terminal",
        )  # fmt: skip
        console.print(
            f"Added SIP2 terminal [bold]{terminal.login}[/] at {node.name} "
            f"(institution {terminal.institution_id}; may: {', '.join(permissions) or '-'})."
        )

    @staticmethod
    def stdin_is_tty():
        import sys

        return sys.stdin.isatty()

    def _list(self, console, **_):
        table = Table("login", "branch", "institution", "may", "enabled", "last login")
        for t in Sip2Terminal.objects.select_related("branch").order_by("login"):
            table.add_row(
                t.login,
                f"{t.branch.code} {t.branch.name}",
                t.institution_id,
                ", ".join(t.permission_labels()),
                "yes" if t.is_enabled else "NO",
                f"{t.last_login_at:%Y-%m-%d %H:%M}" if t.last_login_at else "-",
            )
        console.print(table)

    def _disable(self, console, *, login, **_):
        terminals.set_terminal_enabled(login=login, enabled=False, by="bci sip2-terminal")
        console.print(f"Disabled SIP2 terminal {login}.")

    def _enable(self, console, *, login, **_):
        terminals.set_terminal_enabled(login=login, enabled=True, by="bci sip2-terminal")
        console.print(f"Enabled SIP2 terminal {login}.")
