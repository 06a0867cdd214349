"""Notices: render per organisation and language, send through Django's mail framework,
log every delivery once.

Two producers, both run outside any circulation transaction:

- ``process_events`` reads the event log after commit (hold ready, hold expired, fee
  charged), keeping its place in a ``Cursor`` and re-reading a short overlap so that an
  event whose transaction committed late is not missed;
- ``send_reminders`` looks at the loans' due dates (due soon, overdue 1st and 2nd).

``notify`` inserts the log row first (unique per patron, kind and key) and sends only when
the insert succeeded, so a job that runs twice sends nothing twice.
"""

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template import Context, Engine
from django.urls import reverse
from django.utils import timezone, translation

from bci.circulation.models import Fee, Hold, Loan
from bci.core.models import Event

from .models import Cursor, Kind, Notice, NoticeTemplate, Preference

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates" / "notices" / "mail"
EVENT_KINDS = ("hold.ready", "hold.expired", "fee.charged")
CURSOR = "notices"
# Events are re-read this long after their id passed the cursor: a transaction that took
# its id early and committed late is still seen (the log's unique key drops repeats).
OVERLAP = dt.timedelta(minutes=10)
_engine = Engine(autoescape=False)


def setting(name, default):
    return getattr(settings, name, default)


def public_url(path):
    return setting("BCI_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/") + path


def preference(patron):
    pref = getattr(patron, "_notice_pref", None)
    if pref is None:
        pref = Preference.objects.filter(patron=patron).first() or Preference(patron=patron)
        patron._notice_pref = pref
    return pref


def default_template(kind, language):
    path = TEMPLATE_DIR / f"{kind}.{language}.txt"
    if not path.exists():
        path = TEMPLATE_DIR / f"{kind}.{settings.LANGUAGE_CODE}.txt"
    subject, _sep, body = path.read_text(encoding="utf-8").partition("\n")
    return subject, body.lstrip("\n")


def template_for(organisation, kind, language):
    """(subject, body) template text: the nearest organisation's own wording, else the
    default file."""
    if organisation is not None:
        rows = list(
            NoticeTemplate.objects.filter(
                organisation_id__in=organisation.ancestor_ids(), kind=kind, language=language
            ).select_related("organisation")
        )
        if rows:
            best = max(rows, key=lambda t: t.organisation.depth)
            return best.subject, best.body
    return default_template(kind, language)


def render(*, patron, kind, language, context):
    subject_t, body_t = template_for(patron.home_organisation, kind, language)
    ctx = {"patron": patron, "organisation": patron.home_organisation.name, **context}
    with translation.override(language):
        subject = _engine.from_string(subject_t).render(Context(ctx, autoescape=False)).strip()
        body = _engine.from_string(body_t).render(Context(ctx, autoescape=False))
    return " ".join(subject.split())[:200], body


def notify(*, patron, kind, key, context, event_id=None, now=None, secret=()):
    """Log and send one notice; None when it was logged before (never sent twice).

    Context values named in ``secret`` (a PIN-reset link) go into the mail only: the
    delivery log keeps the text with them left out.
    """
    now = now or timezone.now()
    language = preference(patron).language or settings.LANGUAGE_CODE
    subject, body = render(patron=patron, kind=kind, language=language, context=context)
    logged = body
    if secret:
        hidden = {name: "[...]" for name in secret}
        logged = render(patron=patron, kind=kind, language=language, context={**context, **hidden})[
            1
        ]
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                patron=patron,
                kind=kind,
                key=key[:100],
                subject=subject,
                body=logged,
                recipient=patron.email,
                language=language,
                event_id=event_id,
                created_at=now,
            )
    except IntegrityError:
        return None
    if not patron.email:
        notice.status, notice.detail = Notice.Status.SKIPPED, "no e-mail address"
        notice.save(update_fields=["status", "detail"])
        return notice
    try:
        EmailMessage(
            subject, body, setting("DEFAULT_FROM_EMAIL", "bibliotheek@localhost"), [patron.email]
        ).send()
    except Exception as exc:  # the log says so; the desk can see it
        log.exception("sending notice %s failed", notice.pk)
        notice.status, notice.detail = Notice.Status.FAILED, str(exc)[:300]
        notice.save(update_fields=["status", "detail"])
        return notice
    notice.status, notice.sent_at = Notice.Status.SENT, timezone.now()
    notice.save(update_fields=["status", "sent_at"])
    return notice


def _logged(patron_id, kind, key):
    return Notice.objects.filter(patron_id=patron_id, kind=kind, key=key).exists()


def _hold(event):
    """The hold an event is about, with what its notice shows, or None if it is gone."""
    return (
        Hold.objects.select_related("record", "pickup_branch", "patron__home_organisation")
        .filter(pk=event.subject_id)
        .first()
    )


def _on_hold_ready(event):
    hold = _hold(event)
    if hold is None or hold.status != Hold.Status.READY:
        return None  # picked up or gone before we got to it
    key = f"hold:{hold.pk}:{event.pk}"
    if _logged(hold.patron_id, Kind.HOLD_READY, key):
        return None
    return notify(
        patron=hold.patron,
        kind=Kind.HOLD_READY,
        key=key,
        event_id=event.pk,
        context={
            "title": hold.record.title,
            "branch": hold.pickup_branch.name,
            "shelf_until": hold.shelf_until,
        },
    )


def _on_hold_expired(event):
    hold = _hold(event)
    if hold is None:
        return None
    key = f"hold:{hold.pk}"
    if _logged(hold.patron_id, Kind.HOLD_EXPIRED, key):
        return None
    return notify(
        patron=hold.patron,
        kind=Kind.HOLD_EXPIRED,
        key=key,
        event_id=event.pk,
        context={
            "title": hold.record.title,
            "branch": hold.pickup_branch.name,
            "reason": (event.data or {}).get("reason", ""),
        },
    )


def _on_fee_charged(event):
    fee = (
        Fee.objects.select_related("patron__home_organisation", "item__record", "hold__record")
        .filter(pk=event.subject_id)
        .first()
    )
    # A hold fee was shown and confirmed when the patron placed the hold.
    if fee is None or fee.kind == Fee.Kind.HOLD:
        return None
    key = f"fee:{fee.pk}"
    if _logged(fee.patron_id, Kind.FEE_CHARGED, key):
        return None
    title = fee.item.record.title if fee.item_id else ""
    with translation.override(preference(fee.patron).language):
        what = str(fee.get_kind_display())
    return notify(
        patron=fee.patron,
        kind=Kind.FEE_CHARGED,
        key=key,
        event_id=event.pk,
        context={"amount": fee.amount, "what": what, "title": title, "note": fee.note},
    )


HANDLERS = {
    "hold.ready": _on_hold_ready,
    "hold.expired": _on_hold_expired,
    "fee.charged": _on_fee_charged,
}


def process_events(*, now=None, limit=2000):
    """Turn new events into notices. Returns the number of notices logged."""
    now = now or timezone.now()
    cursor, _created = Cursor.objects.get_or_create(name=CURSOR)
    events = list(
        Event.objects.filter(kind__in=EVENT_KINDS)
        .filter(Q(pk__gt=cursor.last_event_id) | Q(occurred_at__gte=now - OVERLAP))
        .order_by("pk")[:limit]
    )
    done = 0
    for event in events:
        try:
            if HANDLERS[event.kind](event) is not None:
                done += 1
        except Exception:
            log.exception("notice for event %s failed", event.pk)
    if events and events[-1].pk > cursor.last_event_id:
        cursor.last_event_id = events[-1].pk
        cursor.updated_at = now
        cursor.save(update_fields=["last_event_id", "updated_at"])
    return done


def send_reminders(*, now=None):
    """Due-soon and overdue reminders for active loans. Returns {kind: count}."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    soon = int(setting("BCI_NOTICE_DUE_SOON_DAYS", 3))
    first = int(setting("BCI_NOTICE_OVERDUE_1_DAYS", 1))
    second = int(setting("BCI_NOTICE_OVERDUE_2_DAYS", 8))
    loans = Loan.objects.filter(ended_at__isnull=True, patron__isnull=False).select_related(
        "item__record", "patron__home_organisation"
    )
    counts = {Kind.DUE_SOON: 0, Kind.OVERDUE_1: 0, Kind.OVERDUE_2: 0}
    plan = [
        (Kind.DUE_SOON, loans.filter(due_date__gt=today, due_date__lte=today + dt.timedelta(soon))),
        (
            Kind.OVERDUE_1,
            loans.filter(
                due_date__lte=today - dt.timedelta(first), due_date__gt=today - dt.timedelta(second)
            ),
        ),
        (Kind.OVERDUE_2, loans.filter(due_date__lte=today - dt.timedelta(second))),
    ]
    account_url = public_url(reverse("opac:account"))
    for kind, qs in plan:
        for loan in qs.iterator(chunk_size=500):
            key = f"loan:{loan.pk}:{loan.due_date.isoformat()}"
            if kind == Kind.DUE_SOON and not preference(loan.patron).due_reminders:
                continue
            if _logged(loan.patron_id, kind, key):
                continue
            notice = notify(
                patron=loan.patron,
                kind=kind,
                key=key,
                now=now,
                context={
                    "title": loan.item.record.title,
                    "due_date": loan.due_date,
                    "days": (loan.due_date - today).days,
                    "days_late": (today - loan.due_date).days,
                    "account_url": account_url,
                },
            )
            counts[kind] += notice is not None
    return counts
