"""Reads over patrons: card lookup, visibility for staff, computed blocks."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bci.accounts.permissions import PATRONS_VIEW, restrict, scope_nodes

from .errors import CardInactive, CardNotFound, PatronNotFound
from .models import Card, GuestRegistration, Patron

# Codes of the blocks computed here; circulation adds "fees_over_limit".
BLOCK_MANUAL = "blocked"
BLOCK_EXPIRED = "membership_expired"


def card_by_barcode(barcode, *, active_only=True):
    """The card with ``barcode`` (its patron selected); raises CardNotFound/CardInactive."""
    barcode = (barcode or "").strip()
    card = (
        Card.objects.select_related("patron", "patron__category", "patron__home_organisation")
        .filter(barcode=barcode)
        .first()
        if barcode
        else None
    )
    if card is None:
        raise CardNotFound(barcode=barcode or "-")
    if active_only and not card.is_active:
        raise CardInactive(barcode=barcode)
    return card


def visible_patrons(user, action=PATRONS_VIEW):
    """Patrons ``user`` may see: members of their organisations plus guests registered at
    them (the guest library needs to serve its guests at the desk)."""
    home = restrict(Patron.objects.all(), user, action, via="home_organisation")
    if getattr(user, "is_superuser", False):
        return home
    q = Q(pk__in=[])
    for node in scope_nodes(user, action):
        q |= Q(organisation__path__startswith=node.path)
    guest_ids = GuestRegistration.objects.filter(q, ended_at__isnull=True).values("patron_id")
    return Patron.objects.filter(Q(pk__in=home.values("pk")) | Q(pk__in=guest_ids))


def visible_patron(user, pk, action=PATRONS_VIEW):
    """One patron ``user`` may see (see ``visible_patrons``); PatronNotFound otherwise, the
    same answer as for a patron that does not exist."""
    patron = (
        visible_patrons(user, action)
        .select_related("home_organisation", "category")
        .filter(pk=pk)
        .first()
    )
    if patron is None:
        raise PatronNotFound()
    return patron


def search_patrons(user, text, *, limit=50):
    text = (text or "").strip()
    qs = visible_patrons(user)
    if not text:
        return qs.none()
    return qs.filter(
        Q(last_name__icontains=text)
        | Q(first_name__icontains=text)
        | Q(email__iexact=text)
        | Q(cards__barcode=text)
    ).distinct()[:limit]


def active_blocks(patron):
    return patron.blocks.filter(lifted_at__isnull=True)


def guest_registration_at(patron, organisation, today):
    """The patron's valid guest registration at ``organisation`` or None."""
    if organisation is None:
        return None
    reg = (
        GuestRegistration.objects.select_related("category")
        .filter(patron=patron, organisation=organisation, ended_at__isnull=True)
        .first()
    )
    return reg if reg is not None and reg.is_valid(today) else None


def patron_blocks(patron, today):
    """[(code, message)] of the blocks that stop ``patron`` borrowing, fees excluded."""
    blocks = [
        (BLOCK_MANUAL, _("Blocked: %(reason)s") % {"reason": b.reason})
        for b in active_blocks(patron)
    ]
    if patron.is_expired(today):
        blocks.append(
            (
                BLOCK_EXPIRED,
                _("Membership expired on %(date)s.") % {"date": patron.expires_on.isoformat()},
            )
        )
    return blocks
