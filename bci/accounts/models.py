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
