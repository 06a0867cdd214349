"""Cross-cutting models: the append-only domain event log."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.Model):
    """One thing that happened, written in the same transaction as the change.

    Events feed statistics, notices, the search index and OAI-PMH. Rows are never updated.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=64, db_index=True)  # e.g. "item.checked_out"
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    actor_label = models.CharField(max_length=100, blank=True)  # terminal, command, api token
    location_code = models.CharField(max_length=64, blank=True)  # where: a Node code
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        ordering = ["occurred_at", "id"]

    def __str__(self):
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.kind} {self.subject_type}:{self.subject_id}"
        )
