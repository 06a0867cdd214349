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
        PACKED = "packed", _("packed in a crate")
        DISPATCHED = "dispatched", _("collected (on a van)")
        AT_DEPOT = "at_depot", _("at the depot (sorted)")
        DELIVERED = "delivered", _("delivered")
        RECEIVED = "received", _("received")
        CANCELLED = "cancelled", _("cancelled")
        LOST = "lost", _("lost")

    OPEN_STATUSES = (
        Status.CREATED,
        Status.PACKED,
        Status.DISPATCHED,
        Status.AT_DEPOT,
        Status.DELIVERED,
    )

    # created -> packed -> collected (dispatched) -> at depot -> packed (re-sorted) ->
    # collected -> delivered -> received. Receiving at the destination is allowed from any
    # open state (an item carried by hand); cancelled and lost end a transit anywhere.
    TRANSITIONS = {
        Status.CREATED: {
            Status.PACKED,
            Status.DISPATCHED,
            Status.RECEIVED,
            Status.CANCELLED,
            Status.LOST,
        },
        Status.PACKED: {
            Status.CREATED,
            Status.DISPATCHED,
            Status.RECEIVED,
            Status.CANCELLED,
            Status.LOST,
        },
        Status.DISPATCHED: {
            Status.AT_DEPOT,
            Status.DELIVERED,
            Status.RECEIVED,
            Status.CANCELLED,
            Status.LOST,
        },
        Status.AT_DEPOT: {
            Status.PACKED,
            Status.DISPATCHED,
            Status.RECEIVED,
            Status.CANCELLED,
            Status.LOST,
        },
        Status.DELIVERED: {Status.RECEIVED, Status.CANCELLED, Status.LOST},
        Status.RECEIVED: set(),
        Status.CANCELLED: set(),
        Status.LOST: set(),
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
    crate = models.ForeignKey(
        "Crate",
        verbose_name=_("crate"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transits",
    )

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
                condition=Q(
                    status__in=["created", "packed", "dispatched", "at_depot", "delivered"]
                ),
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


class Crate(models.Model):
    """A reusable, barcoded crate (krat). At a branch it is filled for the depot; at the
    depot, items are re-sorted into crates per destination branch (hub and spoke)."""

    class Status(models.TextChoices):
        EMPTY = "empty", _("empty")
        PACKING = "packing", _("being packed")
        ON_VAN = "on_van", _("on a van")
        DELIVERED = "delivered", _("delivered")

    barcode = models.CharField(_("barcode"), max_length=32, unique=True)
    home = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("home depot"),
        on_delete=models.PROTECT,
        related_name="crates",
    )
    destination = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("destination"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="crates_inbound",
    )
    location = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="crates_here",
        help_text=_("Empty while on a van."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.EMPTY
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("crate")
        verbose_name_plural = _("crates")
        ordering = ["barcode"]

    def __str__(self):
        return self.barcode

    @property
    def scope_node(self):
        return self.home
