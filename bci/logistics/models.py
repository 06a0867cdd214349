"""Transport of items between locations (vervoer).

This is the small interface circulation needs; the logistics issue grows it (crates,
routes, cost allocation). The database guarantees one open transit per item.
"""

from django.conf import settings
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
        NEW_STOCK = "new_stock", _("new stock from the supplier")
        ROTATION = "rotation", _("rotating collection")
        REBALANCE = "rebalance", _("collection rebalancing")
        IBL_OUT = "ibl_out", _("national interlibrary loan, outbound")
        IBL_IN = "ibl_in", _("national interlibrary loan, inbound")
        OTHER = "other", _("other")

    class Funding(models.TextChoices):
        # The two streams are kept apart (DOMAIN.md): IBL between libraries is the POI's
        # subsidised statutory task, transport inside one organisation is a paid service.
        IBL = "ibl", _("interlibrary lending (statutory)")
        PAID = "paid", _("within the organisation (paid)")
        SUPPLIER = "supplier", _("supplier delivery")
        ROTATION = "rotation", _("rotating collection")

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


class RoutePlan(models.Model):
    """A depot's van routes for one day, as planned (one plan per depot and day; planning
    again replaces it until a driver has scanned a stop). ``summary`` is the JSON record
    ``render.plan_summary`` builds; ``stops`` are its stops as rows, so drivers' scans can
    record when each stop was actually reached."""

    depot = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("depot"),
        on_delete=models.PROTECT,
        related_name="route_plans",
    )
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(_("planned"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    method = models.CharField(_("method"), max_length=32, blank=True)
    km = models.FloatField(_("km"), default=0)
    hours = models.FloatField(_("hours"), default=0)
    cost = models.DecimalField(_("cost (EUR)"), max_digits=10, decimal_places=2, default=0)
    crates = models.PositiveIntegerField(_("crates handled"), default=0)
    summary = models.JSONField(_("summary"), default=dict)
    map_svg = models.TextField(_("map"), blank=True)

    class Meta:
        verbose_name = _("route plan")
        verbose_name_plural = _("route plans")
        ordering = ["-day", "depot__code"]
        constraints = [
            models.UniqueConstraint(fields=["depot", "day"], name="one_route_plan_per_depot_day")
        ]

    def __str__(self):
        return f"{self.depot} {self.day.isoformat()}"

    @property
    def scope_node(self):
        return self.depot


class PlanStop(models.Model):
    """One stop of a planned route, with the ETA planned and, once a driver scans there,
    the time the van actually arrived."""

    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="stops")
    route = models.PositiveSmallIntegerField(_("van"))
    seq = models.PositiveSmallIntegerField(_("stop"))
    node = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="plan_stops",
    )
    eta = models.DateTimeField(_("planned arrival"))
    window_opens = models.DateTimeField(_("window opens"))
    window_closes = models.DateTimeField(_("window closes"))
    deliver = models.PositiveSmallIntegerField(_("crates off"), default=0)
    collect = models.PositiveSmallIntegerField(_("crates on"), default=0)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    arrived_by = models.CharField(_("scanned by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("planned stop")
        verbose_name_plural = _("planned stops")
        ordering = ["plan", "route", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "route", "seq"], name="one_stop_per_place"),
            models.UniqueConstraint(fields=["plan", "node"], name="one_visit_per_plan"),
        ]

    def __str__(self):
        return f"{self.plan} van {self.route} stop {self.seq} {self.node}"

    @property
    def scope_node(self):
        return self.plan.depot


class NationalShipment(models.Model):
    """National interlibrary loan (landelijk IBL): an item travelling to or from a library
    outside the network through the national night hub, in an envelope whose packing slip
    carries an outbound and a return barcode (DOMAIN.md)."""

    class Direction(models.TextChoices):
        OUT = "out", _("lent to another library")
        IN = "in", _("borrowed from another library")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        SENT = "sent", _("sent")
        ARRIVED = "arrived", _("arrived")
        RETURN_SENT = "return_sent", _("sent back")
        RETURNED = "returned", _("returned")
        CANCELLED = "cancelled", _("cancelled")

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    outbound_barcode = models.CharField(_("outbound barcode"), max_length=32, unique=True)
    return_barcode = models.CharField(_("return barcode"), max_length=32, unique=True)
    item = models.ForeignKey(
        "catalogue.Item",
        verbose_name=_("item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="national_shipments",
        help_text=_("Our item (outbound); empty for an item of another library."),
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    partner_isil = models.CharField(_("partner library (ISIL)"), max_length=32)
    partner_name = models.CharField(_("partner library"), max_length=200, blank=True)
    location = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("our location"),
        on_delete=models.PROTECT,
        related_name="national_shipments",
        help_text=_("The branch that sends (outbound) or where the patron picks up (inbound)."),
    )
    transit = models.ForeignKey(
        Transit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="national_shipments",
    )
    reference = models.CharField(_("request number"), max_length=64, blank=True)
    cost = models.DecimalField(_("cost (EUR)"), max_digits=8, decimal_places=2, default=2.70)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)

    class Meta:
        verbose_name = _("national IBL shipment")
        verbose_name_plural = _("national IBL shipments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status__in=["requested", "sent", "arrived"]),
                name="one_open_national_shipment_per_item",
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="national_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.outbound_barcode} {self.get_direction_display()} {self.partner_isil}"

    @property
    def scope_node(self):
        return self.location
