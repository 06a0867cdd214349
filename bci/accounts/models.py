"""Staff users and their roles, each role scoped to a node of the network tree."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff member. Patrons are not users: they live in the patrons app."""

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")


class Role(models.TextChoices):
    NETWORK_ADMIN = "network_admin", _("network administrator")
    POI_STAFF = "poi_staff", _("POI staff")
    LOGISTICS_PLANNER = "logistics_planner", _("logistics planner")
    LIBRARY_ADMIN = "library_admin", _("library administrator")
    DESK_STAFF = "desk_staff", _("desk staff")
    READ_ONLY = "read_only", _("read-only")


class RoleAssignment(models.Model):
    """User U holds role R over node N and everything below it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    node = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("scope"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "node"], name="unique_role_assignment")
        ]

    def __str__(self):
        return f"{self.user} - {self.get_role_display()} @ {self.node}"


class ApiToken(models.Model):
    """A bearer token for the REST API, stored hashed (see docs/api.md).

    A *staff* token acts as its user, with that user's roles. An *application* token belongs
    to a partner application: it may do exactly its ``permissions`` (see
    ``bci.accounts.permissions.TOKEN_PERMISSIONS``) within its ``node`` and nothing else.
    The full token ``bci_<prefix>_<secret>`` is shown once at creation; only ``prefix``
    (public, to recognise a token in lists and logs) and the SHA-256 of the whole token are
    kept.
    """

    class Kind(models.TextChoices):
        STAFF = "staff", _("staff token (acts as a staff member)")
        APPLICATION = "application", _("application token (partner application)")

    class Permission(models.TextChoices):
        READ_CATALOGUE = "read_catalogue", _("read the catalogue")
        READ_AVAILABILITY = "read_availability", _("read availability")
        CIRCULATION = "circulation", _("circulation (check out, check in, holds)")
        PATRONS = "patrons", _("read patrons")
        PATRONS_CHANGE = "patrons_change", _("read and change patrons")
        LOGISTICS = "logistics", _("read logistics")

    name = models.CharField(_("name or application"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        User,
        verbose_name=_("acts as"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    node = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("scope"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_tokens",
    )
    permissions = models.JSONField(_("permissions"), default=list, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("SHA-256 of the token"), max_length=64)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"),
        null=True,
        blank=True,
        help_text=_("Empty: the platform default (BCI_API_RATE_LIMIT)."),
    )
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="staff", user__isnull=False, node__isnull=True)
                    | models.Q(kind="application", user__isnull=True, node__isnull=False)
                ),
                name="api_token_staff_user_or_application_node",
            )
        ]

    def __str__(self):
        return f"bci_{self.prefix} ({self.name})"

    def status(self, now):
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
