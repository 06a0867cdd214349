"""Patrons (leners): the only home of personal data in BCI.

A patron belongs to one home library organisation, which is the data controller of their
record. Staff see patrons through ``scope_node`` (the home organisation) and guest
registrations (gastlenen) at other organisations.
"""

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PatronCategory(models.Model):
    """A subscription type (Jeugd, Student, Basis, Standaard, Plus, Digitaal...).

    Configured per library organisation; a category on the network node is available to
    every organisation. Loan rules refer to categories by ``code`` so that one network rule
    covers every organisation's "standaard".
    """

    node = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="patron_categories",
    )
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    annual_fee = models.DecimalField(_("annual fee"), max_digits=8, decimal_places=2, default=0)
    max_age = models.PositiveSmallIntegerField(
        _("maximum age"), null=True, blank=True, help_text=_("For youth subscriptions.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("patron category")
        verbose_name_plural = _("patron categories")
        ordering = ["node__path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["node", "code"], name="patron_category_code_per_node"),
            models.CheckConstraint(
                condition=Q(annual_fee__gte=0), name="patron_category_fee_not_negative"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def scope_node(self):
        return self.node


class Patron(models.Model):
    home_organisation = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("home library"),
        on_delete=models.PROTECT,
        related_name="patrons",
    )
    category = models.ForeignKey(
        PatronCategory,
        verbose_name=_("subscription"),
        on_delete=models.PROTECT,
        related_name="patrons",
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    street = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    town = models.CharField(_("town"), max_length=100, blank=True)
    birthdate = models.DateField(_("date of birth"), null=True, blank=True)
    expires_on = models.DateField(_("membership expires"))
    keep_loan_history = models.BooleanField(
        _("keep loan history"),
        default=False,
        help_text=_("Only with the patron's consent; off by default (privacy)."),
    )
    pin_hash = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("patron")
        verbose_name_plural = _("patrons")
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["home_organisation", "last_name"])]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def scope_node(self):
        return self.home_organisation

    @property
    def name(self):
        return str(self)

    def is_expired(self, today):
        return self.expires_on < today

    def set_pin(self, pin):
        self.pin_hash = make_password(pin)

    def check_pin(self, pin):
        return bool(self.pin_hash) and check_password(pin, self.pin_hash)


class Card(models.Model):
    """A library card (pas). Barcodes are unique across the network; replaced cards are
    kept, inactive, so that old loans and scans still resolve to the patron."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="cards")
    barcode = models.CharField(_("card number"), max_length=32, unique=True)
    organisation = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="issued_cards",
    )
    is_active = models.BooleanField(_("active"), default=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)
    deactivation_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patron", "organisation"],
                condition=Q(is_active=True),
                name="one_active_card_per_patron_and_organisation",
            ),
        ]

    def __str__(self):
        return self.barcode

    @property
    def scope_node(self):
        return self.patron.home_organisation


class Block(models.Model):
    """A manual block with a reason. Automatic blocks (fees over the limit, expired
    membership) are computed, never stored: see queries.blocks_for / circulation."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="blocks")
    reason = models.CharField(_("reason"), max_length=300)
    placed_by = models.CharField(_("placed by"), max_length=150, blank=True)
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.CharField(_("lifted by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="block_has_reason"),
        ]

    def __str__(self):
        return self.reason

    @property
    def is_active(self):
        return self.lifted_at is None

    @property
    def scope_node(self):
        return self.patron.home_organisation


class GuestRegistration(models.Model):
    """Gastlenen: a patron of library A registered at library B. B's limits apply on top
    of A's while the patron borrows at B's branches."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="guest_registrations")
    organisation = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("guest library"),
        on_delete=models.PROTECT,
        related_name="guest_registrations",
    )
    category = models.ForeignKey(
        PatronCategory,
        verbose_name=_("subscription at the guest library"),
        on_delete=models.PROTECT,
        related_name="guest_registrations",
    )
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)
    expires_on = models.DateField(_("expires"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("guest registration")
        verbose_name_plural = _("guest registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["patron", "organisation"],
                condition=Q(ended_at__isnull=True),
                name="one_open_guest_registration_per_organisation",
            ),
        ]

    def __str__(self):
        return f"{self.patron} @ {self.organisation}"

    @property
    def scope_node(self):
        return self.organisation

    def is_valid(self, today):
        return self.ended_at is None and self.expires_on >= today
