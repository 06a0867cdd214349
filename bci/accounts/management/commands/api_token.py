"""bci api-token create|list|revoke: manage REST API tokens (see docs/api.md)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bci.accounts.models import ApiToken, User
from bci.accounts.tokens import create_token, find_token, revoke_token
from bci.core.errors import DomainError
from bci.organisations.models import Node

BY = "command api-token"


class Command(BaseCommand):
    help = "Create, list and revoke API tokens. The full token is printed once, at creation."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
        create = sub.add_parser("create", help="Create a staff or application token.")
        who = create.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="Staff token acting as this user (username).")
        who.add_argument("--application", help="Application token for this partner (name).")
        create.add_argument("--name", help="Label of a staff token (default: the username).")
        create.add_argument("--scope", help="Node code the application token is limited to.")
        create.add_argument(
            "--permission",
            action="append",
            default=[],
            choices=ApiToken.Permission.values,
            help="Permission of an application token (repeatable).",
        )
        create.add_argument("--expires-days", type=int, help="Expire after N days.")
        create.add_argument("--rate-limit", type=int, help="Requests a minute (own limit).")
        listing = sub.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--all", action="store_true", help="Include revoked and expired.")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix", help="The 8 characters after bci_ (or bci_<prefix>).")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc}") from exc

    def do_create(self, *, user, application, name, scope, permission, expires_days, **options):
        now = timezone.now()
        expires_at = None
        if expires_days is not None:
            if expires_days < 1:
                raise CommandError("--expires-days must be 1 or more.")
            expires_at = now + dt.timedelta(days=expires_days)
        common = {"expires_at": expires_at, "rate_limit": options["rate_limit"], "by": BY}
        if user is not None:
            if scope or permission:
                raise CommandError("A staff token has the user's roles: no --scope/--permission.")
            staff = User.objects.filter(username=user).first()
            if staff is None:
                raise CommandError(f"No staff member with username {user!r}.")
            token, raw = create_token(
                kind=ApiToken.Kind.STAFF, name=name or staff.username, user=staff, **common
            )
        else:
            if name:
                raise CommandError("An application token is named by --application.")
            if not scope:
                raise CommandError("An application token needs --scope NODE_CODE.")
            node = Node.objects.filter(code=scope).first()
            if node is None:
                raise CommandError(f"No node with code {scope!r}.")
            if not permission:
                raise CommandError("Give at least one --permission.")
            token, raw = create_token(
                kind=ApiToken.Kind.APPLICATION,
                name=application,
                node=node,
                permissions=permission,
                **common,
            )
        self.stdout.write(f"Created {token.get_kind_display()} bci_{token.prefix} ({token.name}).")
        self.stdout.write("The token (shown only now, store it safely):")
        self.stdout.write(raw)

    def do_list(self, *, all, **options):
        now = timezone.now()
        tokens = ApiToken.objects.select_related("user", "node").order_by("created_at")
        rows = [t for t in tokens if all or t.status(now) == "active"]
        if not rows:
            self.stdout.write("No tokens.")
            return
        self.stdout.write(
            f"{'prefix':<13} {'status':<8} {'kind':<12} {'name':<24} {'acts as / scope':<20} "
            f"{'permissions':<30} {'expires':<17} last used"
        )
        for t in rows:
            who = t.user.username if t.user else t.node.code
            self.stdout.write(
                f"bci_{t.prefix:<9} {t.status(now):<8} {t.kind:<12} {t.name[:24]:<24} "
                f"{who[:20]:<20} {','.join(t.permissions)[:30] or '(user roles)':<30} "
                f"{_when(t.expires_at):<17} {_when(t.last_used_at)}"
            )

    def do_revoke(self, *, prefix, **options):
        token = revoke_token(token=find_token(prefix), by=BY)
        self.stdout.write(f"Revoked bci_{token.prefix} ({token.name}).")


def _when(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"
