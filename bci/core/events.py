"""Write domain events. Call inside the service's transaction."""

from django.utils import timezone

from .models import Event


def record_event(kind, *, subject=None, by=None, where=None, now=None, **data):
    """Append one event row. ``by`` is a User or a label (terminal, command name)."""
    actor = by if getattr(by, "pk", None) and hasattr(by, "get_username") else None
    label = "" if actor else (str(by) if by else "")
    return Event.objects.create(
        occurred_at=now or timezone.now(),
        kind=kind,
        actor=actor,
        actor_label=label[:100],
        location_code=getattr(where, "code", where or "") or "",
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        data=data,
    )
