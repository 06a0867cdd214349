"""Patron self-service writes that patrons/circulation do not offer (yet): PIN reset by
staff and by e-mail link, change of pick-up branch, web self-registration."""

import datetime as dt
import hashlib
import secrets

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from bci.accounts.permissions import PATRONS_CHANGE, can
from bci.circulation import targeting
from bci.circulation.models import Hold
from bci.circulation.services.common import check_branch, lock_patron, lock_record_items
from bci.core.errors import PermissionDenied
from bci.core.events import record_event
from bci.organisations.models import Node
from bci.patrons import services as patron_services
from bci.patrons.errors import CardInactive, CardNotFound
from bci.patrons.models import Patron
from bci.patrons.queries import card_by_barcode

from .errors import (
    HoldNotYours,
    InvalidRegistration,
    PickupChangeNotPossible,
    RegistrationNotPending,
)
from .models import Kind, Preference, SelfRegistration
from .services import notify

RESET_SALT = "bci.notices.pin-reset"
RESET_MAX_AGE = 60 * 60  # seconds a "forgot PIN" link works


def pin_fingerprint(patron):
    """Changes whenever the PIN changes: binds sessions and reset links to one PIN."""
    return salted_hmac("bci.patron-pin", patron.pin_hash or "-").hexdigest()[:20]


# --- PINs ----------------------------------------------------------------------------


def reset_pin(*, patron, by, pin=None, now=None):
    """Staff at the desk give the patron a new PIN (random 4 digits unless given).
    Needs ``patrons.change`` on the patron. Returns the new PIN to tell the patron."""
    if not can(by, PATRONS_CHANGE, patron):
        raise PermissionDenied()
    pin = str(pin) if pin else f"{secrets.randbelow(10_000):04d}"
    patron_services.set_pin(patron=patron, pin=pin, by=by, now=now)
    return pin


def make_reset_token(patron):
    return signing.TimestampSigner(salt=RESET_SALT).sign(f"{patron.pk}.{pin_fingerprint(patron)}")


def patron_for_reset_token(token, *, max_age=RESET_MAX_AGE):
    """The patron a reset link was made for; raises InvalidResetLink when it is forged,
    expired, or already used (the PIN changed since)."""
    from .errors import InvalidResetLink

    try:
        value = signing.TimestampSigner(salt=RESET_SALT).unsign(token or "", max_age=max_age)
        patron_id, fingerprint = value.split(".", 1)
        patron = Patron.objects.get(pk=int(patron_id))
    except (signing.BadSignature, ValueError, Patron.DoesNotExist) as exc:
        raise InvalidResetLink() from exc
    if fingerprint != pin_fingerprint(patron):
        raise InvalidResetLink()
    return patron


def request_pin_reset(*, card_barcode, email, link_for, now=None):
    """Mail a reset link when the card is active and the e-mail is the patron's. Says
    nothing either way (the caller shows the same message). Returns True when sent."""
    try:
        patron = card_by_barcode(card_barcode).patron
    except (CardNotFound, CardInactive):
        return False
    email = (email or "").strip()
    if not email or not patron.email or patron.email.lower() != email.lower():
        return False
    token = make_reset_token(patron)
    notice = notify(
        patron=patron,
        kind=Kind.PIN_RESET,
        key="pin:" + hashlib.sha256(token.encode()).hexdigest()[:40],
        now=now,
        context={"link": link_for(token), "minutes": RESET_MAX_AGE // 60},
        secret=("link",),
    )
    return notice is not None


def set_pin_with_token(*, token, pin, by="opac", now=None):
    patron = patron_for_reset_token(token)
    patron_services.set_pin(patron=patron, pin=pin, by=by, now=now)
    return patron


# --- holds ---------------------------------------------------------------------------


@transaction.atomic
def change_pickup_branch(*, hold, patron, branch, by=None, now=None):
    """Move a waiting hold of ``patron`` to another pick-up branch. A hold in transit or
    on the shelf keeps its branch (the copy is already on its way there)."""
    now = now or timezone.now()
    check_branch(branch)
    hold_id = getattr(hold, "pk", hold)
    try:
        hold = Hold.objects.select_related("record").get(pk=int(hold_id), patron=patron)
    except (Hold.DoesNotExist, TypeError, ValueError) as exc:
        raise HoldNotYours() from exc
    # circulation's lock order: the title's items, the patron, then the hold
    lock_record_items(hold.record)
    lock_patron(patron)
    hold = Hold.objects.select_for_update(of=("self",)).get(pk=hold.pk)
    if hold.status != Hold.Status.WAITING:
        raise PickupChangeNotPossible(status=hold.get_status_display())
    old = hold.pickup_branch
    if old.pk == branch.pk:
        return hold
    hold.pickup_branch = branch
    hold.save(update_fields=["pickup_branch"])
    record_event(
        "hold.pickup_changed",
        subject=hold,
        by=by,
        where=branch,
        now=now,
        old=old.code,
        to=branch.code,
    )
    remember_pickup_branch(patron=patron, branch=branch)
    targeting.retarget_record(hold.record_id, now=now, by=by)
    return hold


_PREFERENCES = ("language", "due_reminders", "pickup_branch")


@transaction.atomic
def set_preferences(*, patron, by="opac", now=None, **changes):
    """Store the patron's portal choices (language of messages, "due soon" reminders,
    usual pick-up branch); only the ones given change."""
    unknown = set(changes) - set(_PREFERENCES)
    if unknown:
        raise TypeError(f"unknown preferences: {sorted(unknown)}")
    pref, _created = Preference.objects.select_for_update().get_or_create(patron=patron)
    changed = {k: v for k, v in changes.items() if getattr(pref, k) != v}
    if not changed:
        return pref
    for name, value in changed.items():
        setattr(pref, name, value)
    pref.save()
    record_event(
        "patron.preferences_changed", subject=patron, by=by, now=now, changed=sorted(changed)
    )
    return pref


def remember_pickup_branch(*, patron, branch):
    return set_preferences(patron=patron, pickup_branch=branch)


def usual_pickup_branch(patron):
    """The branch the patron chose last, else their library's main branch."""
    pref = Preference.objects.filter(patron=patron).select_related("pickup_branch").first()
    if pref and pref.pickup_branch and pref.pickup_branch.is_active:
        return pref.pickup_branch
    branches = (
        Node.objects.branches().active().filter(path__startswith=patron.home_organisation.path)
    )
    return branches.filter(kind=Node.Kind.MAIN_BRANCH).first() or branches.first()


# --- self-registration ---------------------------------------------------------------


def _duplicates(first_name, last_name, birthdate, email):
    reasons = []
    same_person = Q(first_name__iexact=first_name, last_name__iexact=last_name, birthdate=birthdate)
    if Patron.objects.filter(same_person).exists():
        reasons.append("member with the same name and date of birth")
    if Patron.objects.filter(email__iexact=email).exists():
        reasons.append("member with the same e-mail")
    pending = SelfRegistration.objects.filter(status=SelfRegistration.Status.PENDING)
    if pending.filter(same_person).exists():
        reasons.append("pending registration with the same name and date of birth")
    return "; ".join(reasons)


def register_self(
    *,
    organisation,
    first_name,
    last_name,
    birthdate,
    email,
    street,
    postcode,
    town,
    phone="",
    now=None,
):
    """A pending membership from the web form. Possible duplicates are flagged for the desk
    (not refused: the answer must not reveal who is a member). One pending request per
    e-mail: a repeat returns the existing one."""
    now = now or timezone.now()
    fields = {
        "first name": first_name,
        "last name": last_name,
        "e-mail": email,
        "address": street,
        "postcode": postcode,
        "town": town,
    }
    missing = [k for k, v in fields.items() if not (v or "").strip()]
    if missing:
        raise InvalidRegistration(detail=", ".join(missing))
    if not isinstance(birthdate, dt.date) or birthdate > timezone.localdate(now):
        raise InvalidRegistration(detail="date of birth")
    if not isinstance(organisation, Node) or organisation.kind != Node.Kind.ORGANISATION:
        raise InvalidRegistration(detail="library")
    first_name, last_name, email = first_name.strip(), last_name.strip(), email.strip().lower()
    existing = SelfRegistration.objects.filter(
        email__iexact=email, status=SelfRegistration.Status.PENDING
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            reg = SelfRegistration.objects.create(
                organisation=organisation,
                first_name=first_name,
                last_name=last_name,
                birthdate=birthdate,
                email=email,
                phone=(phone or "").strip(),
                street=street.strip(),
                postcode=postcode.strip().upper(),
                town=town.strip(),
                possible_duplicate=_duplicates(first_name, last_name, birthdate, email)[:300],
                created_at=now,
            )
            record_event("patron.self_registered", subject=reg, where=organisation, now=now)
    except IntegrityError:
        return SelfRegistration.objects.get(email__iexact=email, status="pending")
    return reg


@transaction.atomic
def verify_self_registration(
    *, registration, category, card_barcode, expires_on, by, pin=None, now=None
):
    """At the desk, after checking ID: the pending request becomes a member with a card."""
    now = now or timezone.now()
    reg = SelfRegistration.objects.select_for_update().get(pk=registration.pk)
    if not can(by, PATRONS_CHANGE, reg.organisation):
        raise PermissionDenied()
    if reg.status != SelfRegistration.Status.PENDING:
        raise RegistrationNotPending()
    patron = patron_services.register_patron(
        home_organisation=reg.organisation,
        category=category,
        first_name=reg.first_name,
        last_name=reg.last_name,
        card_barcode=card_barcode,
        expires_on=expires_on,
        pin=pin,
        email=reg.email,
        phone=reg.phone,
        street=reg.street,
        postcode=reg.postcode,
        town=reg.town,
        birthdate=reg.birthdate,
        by=by,
        now=now,
    )
    reg.status, reg.patron, reg.decided_at = SelfRegistration.Status.VERIFIED, patron, now
    reg.decided_by = getattr(by, "username", str(by))[:150]
    reg.save(update_fields=["status", "patron", "decided_at", "decided_by"])
    return patron


@transaction.atomic
def reject_self_registration(*, registration, by, now=None):
    now = now or timezone.now()
    reg = SelfRegistration.objects.select_for_update().get(pk=registration.pk)
    if not can(by, PATRONS_CHANGE, reg.organisation):
        raise PermissionDenied()
    if reg.status != SelfRegistration.Status.PENDING:
        raise RegistrationNotPending()
    reg.status, reg.decided_at = SelfRegistration.Status.REJECTED, now
    reg.decided_by = getattr(by, "username", str(by))[:150]
    reg.save(update_fields=["status", "decided_at", "decided_by"])
    return reg
