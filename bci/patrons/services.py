"""Writes to patrons: registration, cards, PINs, blocks, guest registrations, consent."""

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from bci.core.events import record_event
from bci.organisations.models import Node

from .errors import (
    AlreadyGuest,
    BlockNotActive,
    DuplicateCard,
    GuestAtHomeLibrary,
    InvalidCategory,
    InvalidPatronData,
    InvalidPin,
    MissingReason,
    NotAnOrganisation,
    WrongPin,
)
from .models import Block, Card, GuestRegistration, Patron, PatronCategory
from .queries import card_by_barcode

PIN_RE = re.compile(r"^\d{4,8}$")
CARD_RE = re.compile(r"^[A-Za-z0-9-]{4,32}$")


def _actor(by):
    return getattr(by, "username", None) or (str(by) if by else "")


def _check_organisation(node):
    if not isinstance(node, Node) or node.kind != Node.Kind.ORGANISATION:
        raise NotAnOrganisation(node=str(node))


def _check_category(category, organisation):
    """A category is offered by ``organisation`` when it hangs on it or an ancestor."""
    if (
        not isinstance(category, PatronCategory)
        or not category.is_active
        or not organisation.path.startswith(category.node.path)
    ):
        raise InvalidCategory(category=str(category), organisation=str(organisation))


def _check_card_barcode(barcode):
    barcode = (barcode or "").strip()
    if not CARD_RE.match(barcode):
        raise InvalidPatronData(detail=f"card number {barcode!r}")
    if Card.objects.filter(barcode=barcode).exists():
        raise DuplicateCard(barcode=barcode)
    return barcode


def _new_card(*, patron, barcode, organisation, now):
    try:
        with transaction.atomic():
            return Card.objects.create(
                patron=patron, barcode=barcode, organisation=organisation, issued_at=now
            )
    except IntegrityError as exc:  # lost a race for the barcode
        raise DuplicateCard(barcode=barcode) from exc


@transaction.atomic
def register_patron(
    *,
    home_organisation,
    category,
    first_name,
    last_name,
    card_barcode,
    expires_on,
    pin=None,
    email="",
    phone="",
    street="",
    postcode="",
    town="",
    birthdate=None,
    keep_loan_history=False,
    by=None,
    now=None,
):
    """Register a member of ``home_organisation`` with a first card."""
    now = now or timezone.now()
    _check_organisation(home_organisation)
    _check_category(category, home_organisation)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not last_name:
        raise InvalidPatronData(detail="last name")
    if not isinstance(expires_on, dt.date):
        raise InvalidPatronData(detail="expiry date")
    if birthdate is not None and (
        not isinstance(birthdate, dt.date) or birthdate > timezone.localdate(now)
    ):
        raise InvalidPatronData(detail="date of birth")
    if pin is not None and not PIN_RE.match(str(pin)):
        raise InvalidPin()
    barcode = _check_card_barcode(card_barcode)
    patron = Patron(
        home_organisation=home_organisation,
        category=category,
        first_name=first_name,
        last_name=last_name,
        email=(email or "").strip(),
        phone=(phone or "").strip(),
        street=street,
        postcode=postcode,
        town=town,
        birthdate=birthdate,
        expires_on=expires_on,
        keep_loan_history=bool(keep_loan_history),
        created_at=now,
    )
    if pin is not None:
        patron.set_pin(str(pin))
    patron.save()
    _new_card(patron=patron, barcode=barcode, organisation=home_organisation, now=now)
    record_event(
        "patron.registered",
        subject=patron,
        by=by,
        where=home_organisation,
        now=now,
        category=category.code,
    )
    return patron


@transaction.atomic
def issue_card(*, patron, barcode, organisation=None, reason="", by=None, now=None):
    """Issue a new card; the patron's active card of the same organisation is replaced
    (kept, inactive) so that old scans still resolve."""
    now = now or timezone.now()
    organisation = organisation or patron.home_organisation
    _check_organisation(organisation)
    barcode = _check_card_barcode(barcode)
    replaced = list(
        Card.objects.select_for_update(of=("self",)).filter(
            patron=patron, organisation=organisation, is_active=True
        )
    )
    for old in replaced:
        old.is_active = False
        old.deactivated_at = now
        old.deactivation_reason = reason or "replaced"
        old.save(update_fields=["is_active", "deactivated_at", "deactivation_reason"])
    card = _new_card(patron=patron, barcode=barcode, organisation=organisation, now=now)
    record_event(
        "patron.card_issued",
        subject=patron,
        by=by,
        where=organisation,
        now=now,
        barcode=barcode,
        replaced=[c.barcode for c in replaced],
    )
    return card


@transaction.atomic
def set_pin(*, patron, pin, by=None, now=None):
    pin = "" if pin is None else str(pin)
    if not PIN_RE.match(pin):
        raise InvalidPin()
    patron.set_pin(pin)
    patron.save(update_fields=["pin_hash"])
    record_event("patron.pin_changed", subject=patron, by=by, now=now)
    return patron


def verify_pin(*, card_barcode, pin):
    """The patron behind an active card when ``pin`` is right; raises otherwise."""
    card = card_by_barcode(card_barcode)
    if not card.patron.check_pin("" if pin is None else str(pin)):
        raise WrongPin()
    return card.patron


@transaction.atomic
def set_loan_history_consent(*, patron, keep, by=None, now=None):
    patron.keep_loan_history = bool(keep)
    patron.save(update_fields=["keep_loan_history"])
    record_event("patron.consent_changed", subject=patron, by=by, now=now, keep=bool(keep))
    return patron


@transaction.atomic
def block_patron(*, patron, reason, by=None, now=None):
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason()
    block = Block.objects.create(
        patron=patron, reason=reason[:300], placed_by=_actor(by)[:150], placed_at=now
    )
    record_event("patron.blocked", subject=patron, by=by, now=now, reason=reason)
    return block


@transaction.atomic
def lift_block(*, block, by=None, now=None):
    now = now or timezone.now()
    block = Block.objects.select_for_update(of=("self",)).get(pk=block.pk)
    if block.lifted_at is not None:
        raise BlockNotActive()
    block.lifted_at = now
    block.lifted_by = _actor(by)[:150]
    block.save(update_fields=["lifted_at", "lifted_by"])
    record_event("patron.unblocked", subject=block.patron, by=by, now=now, block=block.pk)
    return block


@transaction.atomic
def register_guest(
    *, patron, organisation, category, card_barcode, expires_on=None, by=None, now=None
):
    """Gastlenen: register ``patron`` at ``organisation`` and issue that library's card."""
    now = now or timezone.now()
    _check_organisation(organisation)
    if organisation.pk == patron.home_organisation_id:
        raise GuestAtHomeLibrary()
    _check_category(category, organisation)
    if GuestRegistration.objects.filter(
        patron=patron, organisation=organisation, ended_at__isnull=True
    ).exists():
        raise AlreadyGuest(organisation=str(organisation))
    expires_on = expires_on or patron.expires_on
    if not isinstance(expires_on, dt.date):
        raise InvalidPatronData(detail="expiry date")
    reg = GuestRegistration.objects.create(
        patron=patron,
        organisation=organisation,
        category=category,
        registered_at=now,
        expires_on=expires_on,
    )
    issue_card(patron=patron, barcode=card_barcode, organisation=organisation, by=by, now=now)
    record_event(
        "patron.guest_registered",
        subject=patron,
        by=by,
        where=organisation,
        now=now,
        category=category.code,
    )
    return reg


@transaction.atomic
def end_guest_registration(*, registration, by=None, now=None):
    now = now or timezone.now()
    registration.ended_at = now
    registration.save(update_fields=["ended_at"])
    Card.objects.filter(
        patron=registration.patron, organisation=registration.organisation, is_active=True
    ).update(is_active=False, deactivated_at=now, deactivation_reason="guest registration ended")
    record_event(
        "patron.guest_ended",
        subject=registration.patron,
        by=by,
        where=registration.organisation,
        now=now,
    )
    return registration
