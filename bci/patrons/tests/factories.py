"""Build patrons for tests (circulation tests use these too)."""

import datetime as dt
import itertools

from bci.patrons.models import PatronCategory
from bci.patrons.services import register_patron

_cards = itertools.count(1)

CATEGORIES = [
    ("jeugd", "Jeugd"),
    ("student", "Student"),
    ("basis", "Basis"),
    ("standaard", "Standaard"),
    ("plus", "Plus"),
    ("digitaal", "Digitaal"),
]


def category(node, code="standaard", name=None):
    obj, _ = PatronCategory.objects.get_or_create(
        node=node, code=code, defaults={"name": name or code.title()}
    )
    return obj


def network_categories(network):
    return {code: category(network, code, name) for code, name in CATEGORIES}


def make_patron(organisation, *, code="standaard", card=None, expires_on=None, **extra):
    """A patron of ``organisation`` with a category ``code`` defined on the network root."""
    root = organisation.ancestors().filter(kind="network").first() or organisation
    defaults = {
        "first_name": "Test",
        "last_name": f"Lener{next(_cards)}",
        "expires_on": expires_on or dt.date(2030, 1, 1),
    }
    defaults.update(extra)
    return register_patron(
        home_organisation=organisation,
        category=category(root, code),
        card_barcode=card or f"P{next(_cards):07d}",
        **defaults,
    )


def card_of(patron, organisation=None):
    qs = patron.cards.filter(is_active=True)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs.first().barcode
