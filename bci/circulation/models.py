"""Circulation: loan rules, loans (uitleningen), holds (reserveringen), fees (kosten)."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bci.catalogue.models import MaterialType

MONEY = {"max_digits": 8, "decimal_places": 2}


class LoanRule(models.Model):
    """Loan terms on a node of the tree for a patron category x material type.

    Blank category / material type means "any". Resolution (see policies.resolve_rule):
    the rows on the nearest node win, and on one node the most specific row wins; every
    field left empty (NULL) falls through to the next row, and finally to the built-in
    defaults (policies.DEFAULT_RULE). A branch can thus override only "fine free".
    """

    node = models.ForeignKey(
        "organisations.Node", on_delete=models.CASCADE, related_name="loan_rules"
    )
    patron_category = models.SlugField(
        _("patron category code"), max_length=32, blank=True, help_text=_("Blank: any.")
    )
    material_type = models.CharField(
        _("material type"),
        max_length=16,
        choices=MaterialType.choices,
        blank=True,
        help_text=_("Blank: any."),
    )
    loan_period_days = models.PositiveSmallIntegerField(
        _("loan period (days)"), null=True, blank=True
    )
    renewals_allowed = models.PositiveSmallIntegerField(
        _("renewals allowed"), null=True, blank=True
    )
    max_items = models.PositiveSmallIntegerField(
        _("max items in total"),
        null=True,
        blank=True,
        help_text=_("Read from rules without a material type."),
    )
    max_items_of_type = models.PositiveSmallIntegerField(
        _("max items of this material type"), null=True, blank=True
    )
    fine_per_day = models.DecimalField(_("fine per day"), null=True, blank=True, **MONEY)
    fine_cap = models.DecimalField(_("fine cap per item"), null=True, blank=True, **MONEY)
    fine_free = models.BooleanField(_("fine free"), null=True, blank=True)
    hold_fee = models.DecimalField(_("hold fee"), null=True, blank=True, **MONEY)
    pickup_window_days = models.PositiveSmallIntegerField(
        _("pick-up window (days)"), null=True, blank=True
    )
    short_loan = models.BooleanField(_("short loan"), null=True, blank=True)
    fee_block_limit = models.DecimalField(_("block at fees owed"), null=True, blank=True, **MONEY)

    RULE_FIELDS = (
        "loan_period_days",
        "renewals_allowed",
        "max_items",
        "max_items_of_type",
        "fine_per_day",
        "fine_cap",
        "fine_free",
        "hold_fee",
        "pickup_window_days",
        "short_loan",
        "fee_block_limit",
    )

    class Meta:
        verbose_name = _("loan rule")
        verbose_name_plural = _("loan rules")
        ordering = ["node__path", "patron_category", "material_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["node", "patron_category", "material_type"], name="one_rule_per_key"
            ),
            models.CheckConstraint(
                condition=Q(fine_per_day__isnull=True) | Q(fine_per_day__gte=0),
                name="rule_fine_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(fine_cap__isnull=True) | Q(fine_cap__gte=0),
                name="rule_fine_cap_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(hold_fee__isnull=True) | Q(hold_fee__gte=0),
                name="rule_hold_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(fee_block_limit__isnull=True) | Q(fee_block_limit__gte=0),
                name="rule_block_limit_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(loan_period_days__isnull=True) | Q(loan_period_days__gte=1),
                name="rule_loan_period_positive",
            ),
        ]

    def __str__(self):
        return f"{self.node.code} {self.patron_category or '*'} x {self.material_type or '*'}"

    @property
    def scope_node(self):
        return self.node


class Loan(models.Model):
    """An item lent to a patron. The terms are copied from the resolved rule at check-out
    so that a later rule change does not alter a running loan. Without the patron's consent
    the patron is unlinked after return (unless a fee is open)."""

    class EndReason(models.TextChoices):
        RETURNED = "returned", _("returned")
        LOST = "lost", _("lost")

    item = models.ForeignKey("catalogue.Item", on_delete=models.PROTECT, related_name="loans")
    patron = models.ForeignKey(
        "patrons.Patron", null=True, blank=True, on_delete=models.PROTECT, related_name="loans"
    )
    card_barcode = models.CharField(max_length=32, blank=True)
    branch = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("checked out at"),
        on_delete=models.PROTECT,
        related_name="loans_out",
    )
    checked_out_at = models.DateTimeField(_("checked out"), default=timezone.now)
    due_date = models.DateField(_("due date"), db_index=True)
    renewals = models.PositiveSmallIntegerField(_("renewals"), default=0)
    # the terms, copied from the rule at check-out
    renewals_allowed = models.PositiveSmallIntegerField(default=0)
    loan_period_days = models.PositiveSmallIntegerField(default=21)
    fine_per_day = models.DecimalField(default=0, **MONEY)
    fine_cap = models.DecimalField(null=True, blank=True, **MONEY)  # None: no cap
    fine_free = models.BooleanField(default=False)
    short_loan = models.BooleanField(default=False)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    return_branch = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("returned at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loans_in",
    )

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["patron", "ended_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(ended_at__isnull=True), name="one_active_loan_per_item"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(end_reason=""),
                name="ended_loan_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.item} -> {self.patron_id or '-'} due {self.due_date}"

    @property
    def is_active(self):
        return self.ended_at is None

    @property
    def scope_node(self):
        return self.patron.home_organisation if self.patron_id else self.branch.organisation


class Hold(models.Model):
    """A reservation: title-level (any copy of ``record``) or item-level (``item``).

    ``copy`` is the copy assigned by the targeter while waiting (it appears on the pick
    list of the branch where it stands), and the captured copy while in transit or on the
    hold shelf. The database allows a copy to serve at most one active hold.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        IN_TRANSIT = "in_transit", _("in transit")
        READY = "ready", _("ready for pick-up")
        FULFILLED = "fulfilled", _("picked up")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")

    ACTIVE_STATUSES = (Status.WAITING, Status.IN_TRANSIT, Status.READY)

    TRANSITIONS = {
        Status.WAITING: {Status.IN_TRANSIT, Status.READY, Status.CANCELLED, Status.EXPIRED},
        # back to waiting when the copy in transit goes missing
        Status.IN_TRANSIT: {Status.READY, Status.WAITING, Status.CANCELLED},
        Status.READY: {Status.FULFILLED, Status.CANCELLED, Status.EXPIRED, Status.WAITING},
        Status.FULFILLED: set(),
        Status.CANCELLED: set(),
        Status.EXPIRED: set(),
    }

    record = models.ForeignKey("catalogue.Record", on_delete=models.PROTECT, related_name="holds")
    item = models.ForeignKey(
        "catalogue.Item",
        verbose_name=_("requested copy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="item_holds",
        help_text=_("Set for an item-level hold."),
    )
    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="holds")
    pickup_branch = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("pick-up branch"),
        on_delete=models.PROTECT,
        related_name="pickup_holds",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.WAITING
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    placed_at_branch = models.ForeignKey(
        "organisations.Node", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    not_needed_after = models.DateField(_("not needed after"), null=True, blank=True)
    suspended_until = models.DateField(
        _("paused until"),
        null=True,
        blank=True,
        help_text=_("A paused hold keeps its place in the queue but gets no copy before this day."),
    )
    copy = models.ForeignKey(
        "catalogue.Item",
        verbose_name=_("assigned copy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_holds",
    )
    copy_reason = models.CharField(_("why this copy"), max_length=200, blank=True)
    copy_assigned_at = models.DateTimeField(null=True, blank=True)
    copy_score = models.FloatField(null=True, blank=True)
    shelf_until = models.DateField(_("on the hold shelf until"), null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["placed_at", "id"]
        indexes = [
            models.Index(fields=["record", "status", "placed_at"]),
            models.Index(fields=["pickup_branch", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["copy"],
                condition=Q(status__in=["waiting", "in_transit", "ready"], copy__isnull=False),
                name="one_active_hold_per_copy",
            ),
            models.UniqueConstraint(
                fields=["patron", "record"],
                condition=Q(status__in=["waiting", "in_transit", "ready"]),
                name="one_active_hold_per_patron_and_record",
            ),
            models.CheckConstraint(
                condition=Q(status="waiting")
                | Q(status__in=["in_transit", "ready"], copy__isnull=False)
                | Q(status__in=["fulfilled", "cancelled", "expired"]),
                name="captured_hold_has_copy",
            ),
        ]

    def __str__(self):
        return f"hold {self.pk} {self.record_id} for {self.patron_id} ({self.status})"

    @property
    def is_active(self):
        return self.status in self.ACTIVE_STATUSES

    @property
    def scope_node(self):
        return self.patron.home_organisation

    @classmethod
    def can_transition(cls, old, new):
        return new in cls.TRANSITIONS.get(old, set())


class Fee(models.Model):
    """Money owed. ``paid`` and ``waived`` accumulate; the database keeps the sums sane."""

    class Kind(models.TextChoices):
        OVERDUE = "overdue", _("overdue fine")
        LOST = "lost", _("replacement cost")
        HOLD = "hold", _("hold fee")
        DAMAGE = "damage", _("damage")
        SUBSCRIPTION = "subscription", _("subscription")
        OTHER = "other", _("other")

    patron = models.ForeignKey("patrons.Patron", on_delete=models.PROTECT, related_name="fees")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    paid = models.DecimalField(_("paid"), default=0, **MONEY)
    waived = models.DecimalField(_("waived"), default=0, **MONEY)
    organisation = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("charged by"),
        on_delete=models.PROTECT,
        related_name="fees",
    )
    loan = models.ForeignKey(
        Loan, null=True, blank=True, on_delete=models.SET_NULL, related_name="fees"
    )
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.SET_NULL, related_name="fees"
    )
    item = models.ForeignKey(
        "catalogue.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="fees"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("charged"), default=timezone.now)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)

    class Meta:
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["patron", "settled_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fee_amount_positive"),
            models.CheckConstraint(condition=Q(paid__gte=0), name="fee_paid_not_negative"),
            models.CheckConstraint(condition=Q(waived__gte=0), name="fee_waived_not_negative"),
            models.CheckConstraint(
                condition=Q(amount__gte=F("paid") + F("waived")), name="fee_not_overpaid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"

    @property
    def outstanding(self):
        return self.amount - self.paid - self.waived

    @property
    def scope_node(self):
        return self.patron.home_organisation
