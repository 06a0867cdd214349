"""Transport of items between locations (vervoer).

This is the small interface circulation needs; the logistics issue grows it (crates,
routes, cost allocation). The database guarantees one open transit per item.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Transit(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("created")
        DISPATCHED = "dispatched", _("dispatched")
        RECEIVED = "received", _("received")
        CANCELLED = "cancelled", _("cancelled")

    OPEN_STATUSES = (Status.CREATED, Status.DISPATCHED)

    TRANSITIONS = {
        Status.CREATED: {Status.DISPATCHED, Status.RECEIVED, Status.CANCELLED},
        Status.DISPATCHED: {Status.RECEIVED, Status.CANCELLED},
        Status.RECEIVED: set(),
        Status.CANCELLED: set(),
    }

    class Reason(models.TextChoices):
        HOLD = "hold", _("hold for a patron")
        RETURN_HOME = "return_home", _("return to home branch")
        REBALANCE = "rebalance", _("collection rebalancing")
        OTHER = "other", _("other")

    class Funding(models.TextChoices):
        # The two streams are kept apart (DOMAIN.md): IBL between libraries is the POI's
        # subsidised statutory task, transport inside one organisation is a paid service.
        IBL = "ibl", _("interlibrary lending (statutory)")
        PAID = "paid", _("within the organisation (paid)")

    item = models.ForeignKey("catalogue.Item", on_delete=models.PROTECT, related_name="transits")
    from_node = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="transits_out",
    )
    to_node = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="transits_in",
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    funding = models.CharField(_("funding"), max_length=8, choices=Funding.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CREATED
    )
    reference = models.CharField(
        _("reference"), max_length=64, blank=True, help_text=_("e.g. hold:123")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("transit")
        verbose_name_plural = _("transits")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["to_node", "status"]),
            models.Index(fields=["from_node", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status__in=["created", "dispatched"]),
                name="one_open_transit_per_item",
            ),
            models.CheckConstraint(
                condition=~Q(from_node=models.F("to_node")), name="transit_goes_somewhere"
            ),
        ]

    def __str__(self):
        return f"{self.item} {self.from_node} -> {self.to_node} ({self.status})"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def scope_node(self):
        return self.to_node

    @classmethod
    def can_transition(cls, old, new):
        return new in cls.TRANSITIONS.get(old, set())
