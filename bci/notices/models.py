"""Patron notices (e-mail), their delivery log, patron preferences, self-registrations.

Circulation writes events (``bci.core.models.Event``); ``services.process_events`` turns
them into notices after their transaction committed, keeping its place in ``Cursor``.
The delivery log (``Notice``) has one row per (patron, kind, key): a job that runs twice
sends nothing twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bci.patrons.models import Patron


class Kind(models.TextChoices):
    HOLD_READY = "hold_ready", _("hold ready for pick-up")
    DUE_SOON = "due_soon", _("due soon")
    OVERDUE_1 = "overdue_1", _("overdue, first reminder")
    OVERDUE_2 = "overdue_2", _("overdue, second reminder")
    HOLD_EXPIRED = "hold_expired", _("hold expired")
    FEE_CHARGED = "fee_charged", _("fee charged")
    PIN_RESET = "pin_reset", _("PIN reset link")


class NoticeTemplate(models.Model):
    """An organisation's own wording of one notice in one language. Without a row the
    default from ``bci/notices/templates/notices/mail/<kind>.<language>.txt`` is used.
    Subject and body are Django template text (no HTML escaping)."""

    organisation = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("library organisation"),
        on_delete=models.CASCADE,
        related_name="notice_templates",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "language"], name="one_template_per_kind_language"
            )
        ]

    def __str__(self):
        return f"{self.organisation} {self.kind} {self.language}"

    @property
    def scope_node(self):
        return self.organisation


class Notice(models.Model):
    """The delivery log: one row per notice a patron was (or was to be) sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("not sent")

    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100, help_text="What the notice is about, e.g. hold:12")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    recipient = models.CharField(_("to"), max_length=254, blank=True)
    language = models.CharField(max_length=8, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    detail = models.CharField(max_length=300, blank=True)
    event_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patron", "kind", "key"], name="one_notice_per_subject")
        ]

    def __str__(self):
        return f"{self.kind} {self.key} -> {self.patron_id} ({self.status})"

    @property
    def scope_node(self):
        return self.patron.home_organisation


class Cursor(models.Model):
    """How far a job has read the event log."""

    name = models.CharField(max_length=50, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.name} @ {self.last_event_id}"


class Preference(models.Model):
    """A patron's portal choices (kept here, not on the patron row owned by patrons)."""

    patron = models.OneToOneField(
        "patrons.Patron", on_delete=models.CASCADE, related_name="notice_preference"
    )
    due_reminders = models.BooleanField(_("send 'due soon' reminders"), default=True)
    language = models.CharField(
        _("language of messages"), max_length=8, choices=settings.LANGUAGES, default="nl"
    )
    pickup_branch = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("usual pick-up branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")

    def __str__(self):
        return f"preferences of {self.patron_id}"


class SelfRegistration(models.Model):
    """A membership requested on the web: pending until staff check ID at the desk."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        VERIFIED = "verified", _("verified")
        REJECTED = "rejected", _("rejected")

    organisation = models.ForeignKey(
        "organisations.Node",
        verbose_name=_("library organisation"),
        on_delete=models.PROTECT,
        related_name="self_registrations",
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=150)
    birthdate = models.DateField(_("date of birth"))
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    street = models.CharField(_("address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=10)
    town = models.CharField(_("town"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    possible_duplicate = models.CharField(_("possible duplicate"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    patron = models.ForeignKey(
        "patrons.Patron",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="self_registrations",
    )

    class Meta:
        verbose_name = _("self-registration")
        verbose_name_plural = _("self-registrations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(status="pending"),
                name="one_pending_registration_per_email",
            )
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.status})"

    @property
    def scope_node(self):
        return self.organisation


class PatronPin(Patron):
    """Proxy of the patron for the desk's "reset PIN" admin action (patrons' own admin
    stays untouched)."""

    class Meta:
        proxy = True
        verbose_name = _("patron PIN")
        verbose_name_plural = _("patron PINs (reset)")
