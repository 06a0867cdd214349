"""The library network as one tree (the approach of Evergreen's org units).

network > support organisation (POI) > library organisation > location; depots and hubs
hang under a POI. Every node stores a materialised ``path`` ("00000001/00000005/") so that
"all descendants of X" and "nearest ancestor wins" are one indexed query.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

PATH_WIDTH = 8


class NodeQuerySet(models.QuerySet):
    def locations(self):
        return self.filter(kind__in=Node.Kind.location_kinds())

    def branches(self):
        """Places where patrons borrow: main branches, branches, service points, schools."""
        return self.filter(kind__in=Node.Kind.lending_kinds())

    def organisations(self):
        return self.filter(kind=Node.Kind.ORGANISATION)

    def pois(self):
        return self.filter(kind=Node.Kind.POI)

    def active(self):
        return self.filter(is_active=True)

    def descendants_of(self, node, *, include_self=True):
        qs = self.filter(path__startswith=node.path)
        return qs if include_self else qs.exclude(pk=node.pk)

    def within_any(self, nodes):
        """Nodes in the subtree of any of ``nodes``."""
        q = Q(pk__in=[])
        for node in nodes:
            q |= Q(path__startswith=node.path)
        return self.filter(q)


class Node(models.Model):
    class Kind(models.TextChoices):
        NETWORK = "network", _("network")
        POI = "poi", _("support organisation (POI)")
        ORGANISATION = "organisation", _("library organisation")
        MAIN_BRANCH = "main", _("main branch")
        BRANCH = "branch", _("branch")
        SERVICE_POINT = "service_point", _("service point")
        SCHOOL = "school", _("school location")
        PICKUP_POINT = "pickup_point", _("self-service pick-up point")
        DEPOT = "poi_depot", _("POI depot")
        HUB = "hub", _("hub")

        @classmethod
        def location_kinds(cls):
            return [k for k in cls.values if k not in ("network", "poi", "organisation")]

        @classmethod
        def lending_kinds(cls):
            return ["main", "branch", "service_point", "school", "pickup_point"]

    # Which kinds may hang under which: the shape of the tree, enforced in clean().
    ALLOWED_PARENTS = {
        "network": (),
        "poi": ("network",),
        "organisation": ("poi",),
        "main": ("organisation",),
        "branch": ("organisation",),
        "service_point": ("organisation",),
        "school": ("organisation",),
        "pickup_point": ("organisation",),
        "poi_depot": ("poi",),
        "hub": ("network", "poi"),
    }

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(
        _("code"),
        max_length=64,
        unique=True,
        help_text=_("ISIL code where known (NL-08...), otherwise a stable short code."),
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    town = models.CharField(_("town"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    population = models.PositiveIntegerField(
        _("inhabitants served"),
        null=True,
        blank=True,
        help_text=_("Used by population-based cost keys."),
    )
    source_note = models.CharField(_("source"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    path = models.CharField(max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = NodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("network node")
        verbose_name_plural = _("network nodes")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="node_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="node_longitude_range",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="network"), name="one_network_per_deployment"
            ),
        ]

    def __str__(self):
        return self.name

    # --- tree -----------------------------------------------------------------------------
    def clean(self):
        allowed = self.ALLOWED_PARENTS.get(self.kind, ())
        if self.parent is None and self.kind != self.Kind.NETWORK:
            raise ValidationError({"parent": _("Only the network has no parent.")})
        if self.parent is not None and self.parent.kind not in allowed:
            raise ValidationError(
                {
                    "parent": _("A %(kind)s cannot hang under a %(parent)s.")
                    % {"kind": self.get_kind_display(), "parent": self.parent.get_kind_display()}
                }
            )
        if self.pk and self.parent_id and self.parent.path.startswith(self.path or "\0"):
            raise ValidationError({"parent": _("A node cannot hang under its own subtree.")})

    def save(self, *args, **kwargs):
        # One transaction: permissions read ``path``, so a half-moved subtree must never
        # be visible.
        with transaction.atomic():
            old_path = self.path
            if self.pk is None:
                super().save(*args, **kwargs)  # an id first: the path ends with it
                kwargs.pop("force_insert", None)
            self.path = (self.parent.path if self.parent_id else "") + f"{self.pk:0{PATH_WIDTH}d}/"
            self.depth = self.path.count("/") - 1
            kwargs.pop("update_fields", None)
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:  # moved: carry the subtree along
                shift = self.depth - (old_path.count("/") - 1)
                Node.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", len(old_path) + 1)),
                    depth=F("depth") + shift,
                )

    def ancestor_ids(self, *, include_self=True):
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return ids if include_self else ids[:-1]

    def ancestors(self, *, include_self=True):
        """Root first."""
        return Node.objects.filter(pk__in=self.ancestor_ids(include_self=include_self))

    def is_within(self, other):
        return self.path.startswith(other.path)

    def nearest(self, kind):
        """The nearest node of ``kind`` on the way to the root (self included)."""
        if self.kind == kind:
            return self
        return self.ancestors(include_self=False).filter(kind=kind).order_by("-depth").first()

    @property
    def organisation(self):
        return self.nearest(self.Kind.ORGANISATION)

    @property
    def poi(self):
        return self.nearest(self.Kind.POI)

    @property
    def is_location(self):
        return self.kind in self.Kind.location_kinds()

    @property
    def has_coordinates(self):
        return self.latitude is not None and self.longitude is not None


class OpeningHours(models.Model):
    """One opening period on a weekday; a day may have several (10-12, 13-17)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))
    staffed = models.BooleanField(
        _("staffed"), default=True, help_text=_("Off for staffless (self-service) hours.")
    )

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["node", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="opening_hours_close_after_open"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday_range"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self):
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValidationError(_("Opening hours must end after they start."))
        if self.node_id is None or self.weekday is None or self.opens is None:
            return
        overlapping = OpeningHours.objects.filter(
            node_id=self.node_id,
            weekday=self.weekday,
            opens__lt=self.closes,
            closes__gt=self.opens,
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(
                _("These hours overlap %(other)s.") % {"other": overlapping.first()}
            )


class Closure(models.Model):
    """Closed days. A closure on a node closes every location below it (holidays on the
    network, an organisation's staff day, one branch's renovation)."""

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="closures")
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="closure_end_not_before_start",
            ),
        ]

    def __str__(self):
        return f"{self.reason} ({self.start_date} - {self.end_date})"

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(_("A closure cannot end before it starts."))


class NodeSetting(models.Model):
    """A setting on a node; the value on the nearest ancestor wins (see settings.resolve)."""

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="settings")
    key = models.CharField(_("key"), max_length=100)
    value = models.JSONField(_("value"))

    class Meta:
        verbose_name = _("setting")
        verbose_name_plural = _("settings")
        constraints = [
            models.UniqueConstraint(fields=["node", "key"], name="one_value_per_node_and_key")
        ]

    def __str__(self):
        return f"{self.node.code}: {self.key}={self.value!r}"
