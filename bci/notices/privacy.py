"""Privacy (AVG): loan-history consent, "download my data", retention jobs.

Circulation already unlinks a returned loan from a patron without consent when nothing is
owed on it (``_end_loan``). The jobs here catch the rest: loans whose fee was settled
later, and personal data of former members after a configurable period.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from bci.circulation.models import Fee, Hold, Loan
from bci.core.events import record_event
from bci.core.models import Event
from bci.patrons import services as patron_services
from bci.patrons.models import Patron

from .models import Notice, Preference, SelfRegistration

ERASED = "(verwijderd)"  # last name of a former member whose personal data were deleted


def _open_fee_on_loan():
    return Exists(Fee.objects.filter(loan=OuterRef("pk"), settled_at__isnull=True))


def loan_history(patron):
    """Closed loans still linked to ``patron`` (only kept with consent)."""
    return (
        Loan.objects.filter(patron=patron, ended_at__isnull=False)
        .select_related("item__record", "branch")
        .order_by("-ended_at", "-id")
    )


def _unlink(qs):
    """Unlink closed loans without an open fee; the loan rows stay for statistics."""
    ids = list(
        qs.filter(ended_at__isnull=False)
        .annotate(open_fee=_open_fee_on_loan())
        .filter(open_fee=False)
        .values_list("pk", flat=True)
    )
    if ids:
        Loan.objects.filter(pk__in=ids).update(patron=None, card_barcode="")
    return len(ids)


@transaction.atomic
def set_loan_history(*, patron, keep, by=None, now=None):
    """Opt in or out; opting out deletes the history kept so far. Returns the number of
    loans unlinked."""
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    patron_services.set_loan_history_consent(patron=patron, keep=keep, by=by, now=now)
    removed = 0
    if not keep:
        removed = _unlink(Loan.objects.filter(patron=patron))
        if removed:
            record_event(
                "patron.loan_history_deleted", subject=patron, by=by, now=now, loans=removed
            )
    return removed


def unlink_closed_loans(*, now=None, by="retention"):
    """Retention job: closed loans of patrons without consent lose their patron link once
    nothing is owed on them. Returns the number unlinked."""
    with transaction.atomic():
        done = _unlink(Loan.objects.filter(patron__keep_loan_history=False))
        if done:
            record_event("retention.loans_unlinked", by=by, now=now, loans=done)
    return done


def former_member_cutoff(today):
    days = int(getattr(settings, "BCI_RETENTION_FORMER_MEMBER_DAYS", 730))
    return today - dt.timedelta(days=days)


def former_members(today):
    """Patrons whose membership ended before the retention period and who owe nothing,
    have nothing on loan and no active hold."""
    open_fees = Fee.objects.filter(patron=OuterRef("pk"), settled_at__isnull=True)
    on_loan = Loan.objects.filter(patron=OuterRef("pk"), ended_at__isnull=True)
    holds = Hold.objects.filter(patron=OuterRef("pk"), status__in=Hold.ACTIVE_STATUSES)
    return (
        Patron.objects.filter(expires_on__lt=former_member_cutoff(today))
        .exclude(last_name=ERASED)
        .exclude(Exists(open_fees))
        .exclude(Exists(on_loan))
        .exclude(Exists(holds))
    )


def purge_former_members(*, now=None, by="retention"):
    """Retention job: delete personal data of former members after the retention period
    unless fees are open. Settled fees stay (fiscal retention) with an emptied patron row;
    without any fee the patron row goes entirely. Returns the number of patrons."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    done = 0
    for patron_id in former_members(today).values_list("pk", flat=True):
        with transaction.atomic():
            patron = (
                former_members(today).select_for_update(of=("self",)).filter(pk=patron_id).first()
            )
            if patron is None:
                continue
            Loan.objects.filter(patron=patron).update(patron=None, card_barcode="")
            Hold.objects.filter(patron=patron).delete()
            Notice.objects.filter(patron=patron).delete()
            Preference.objects.filter(patron=patron).delete()
            SelfRegistration.objects.filter(patron=patron).update(patron=None)
            Event.objects.filter(subject_type="patrons.patron", subject_id=str(patron.pk)).update(
                data={}
            )
            if patron.fees.exists():
                patron.cards.all().delete()
                patron.blocks.all().delete()
                patron.guest_registrations.all().delete()
                Patron.objects.filter(pk=patron.pk).update(
                    first_name="",
                    last_name=ERASED,
                    email="",
                    phone="",
                    street="",
                    postcode="",
                    town="",
                    birthdate=None,
                    pin_hash="",
                    note="",
                    keep_loan_history=False,
                )
            else:
                patron.delete()
            record_event("retention.patron_erased", by=by, now=now, patron=patron_id)
            done += 1
    return done


def run_retention(*, now=None):
    return {
        "loans_unlinked": unlink_closed_loans(now=now),
        "patrons_erased": purge_former_members(now=now),
    }


def _d(value):
    return value.isoformat() if value is not None else None


def export_patron_data(patron):
    """Everything BCI holds about ``patron``, as JSON-ready data ("download my data")."""
    from django.forms.models import model_to_dict

    personal = model_to_dict(patron, exclude=["pin_hash"])
    personal.update(
        {
            "id": patron.pk,
            "home_organisation": patron.home_organisation.name,
            "category": patron.category.name,
            "created_at": _d(patron.created_at),
            "expires_on": _d(patron.expires_on),
            "birthdate": _d(patron.birthdate),
            "has_pin": bool(patron.pin_hash),
        }
    )
    pref = Preference.objects.filter(patron=patron).first()
    loans = Loan.objects.filter(patron=patron).select_related("item__record", "branch")
    return {
        "exported_at": timezone.now().isoformat(),
        "patron": personal,
        "preferences": {
            "due_reminders": pref.due_reminders if pref else True,
            "language": pref.language if pref else settings.LANGUAGE_CODE,
            "pickup_branch": pref.pickup_branch.name if pref and pref.pickup_branch else None,
        },
        "cards": [
            {
                "number": c.barcode,
                "issued_by": c.organisation.name,
                "active": c.is_active,
                "issued_at": _d(c.issued_at),
                "deactivated_at": _d(c.deactivated_at),
                "reason": c.deactivation_reason,
            }
            for c in patron.cards.select_related("organisation")
        ],
        "blocks": [
            {
                "reason": b.reason,
                "placed_at": _d(b.placed_at),
                "lifted_at": _d(b.lifted_at),
            }
            for b in patron.blocks.all()
        ],
        "guest_registrations": [
            {
                "library": g.organisation.name,
                "registered_at": _d(g.registered_at),
                "expires_on": _d(g.expires_on),
                "ended_at": _d(g.ended_at),
            }
            for g in patron.guest_registrations.select_related("organisation")
        ],
        "loans": [
            {
                "title": loan.item.record.title,
                "item": loan.item.barcode,
                "branch": loan.branch.name,
                "checked_out_at": _d(loan.checked_out_at),
                "due_date": _d(loan.due_date),
                "renewals": loan.renewals,
                "ended_at": _d(loan.ended_at),
            }
            for loan in loans
        ],
        "holds": [
            {
                "title": h.record.title,
                "pickup_branch": h.pickup_branch.name,
                "status": h.status,
                "placed_at": _d(h.placed_at),
                "shelf_until": _d(h.shelf_until),
                "closed_at": _d(h.closed_at),
            }
            for h in patron.holds.select_related("record", "pickup_branch")
        ],
        "fees": [
            {
                "kind": f.kind,
                "amount": str(f.amount),
                "paid": str(f.paid),
                "waived": str(f.waived),
                "note": f.note,
                "charged_at": _d(f.created_at),
                "settled_at": _d(f.settled_at),
            }
            for f in patron.fees.all()
        ],
        "notices": [
            {
                "kind": n.kind,
                "subject": n.subject,
                "to": n.recipient,
                "status": n.status,
                "created_at": _d(n.created_at),
                "sent_at": _d(n.sent_at),
            }
            for n in patron.notices.all()
        ],
        "self_registrations": [
            {"status": r.status, "requested_at": _d(r.created_at)}
            for r in patron.self_registrations.all()
        ],
        "events": [
            {"kind": e.kind, "at": _d(e.occurred_at), "data": e.data}
            for e in Event.objects.filter(subject_type="patrons.patron", subject_id=str(patron.pk))
        ],
    }
