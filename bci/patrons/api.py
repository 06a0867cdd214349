"""Patrons API under /api/v1/patrons/: staff look-ups of patron accounts.

Staff only, and only the patrons their role lets them see (members of their own
organisations and guests registered there); POI staff see none.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema

from bci.accounts.api_auth import STAFF_AUTH

from .queries import card_by_barcode, search_patrons, visible_patron

router = Router(tags=["patrons"], auth=STAFF_AUTH)


class ErrorOut(Schema):
    code: str
    message: str


class PatronOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    home_organisation: str
    category: str
    expires_on: dt.date
    keep_loan_history: bool
    cards: list[str] = Field(description="Active card numbers")


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=100)


def patron_out(patron):
    return {
        "id": patron.pk,
        "first_name": patron.first_name,
        "last_name": patron.last_name,
        "email": patron.email,
        "home_organisation": patron.home_organisation.code,
        "category": patron.category.code,
        "expires_on": patron.expires_on,
        "keep_loan_history": patron.keep_loan_history,
        "cards": [c.barcode for c in patron.cards.all() if c.is_active],
    }


def _visible(request, patron_id):
    return visible_patron(request.user, patron_id)


@router.get("/patrons", response={200: list[PatronOut], 400: ErrorOut}, summary="Find patrons")
def find(request, query: Query[SearchQuery]):
    patrons = search_patrons(request.user, query.q)
    return [
        patron_out(p)
        for p in patrons.select_related("home_organisation", "category").prefetch_related("cards")
    ]


@router.get(
    "/cards/{barcode}",
    response={200: PatronOut, 404: ErrorOut},
    summary="The patron behind a card",
)
def by_card(request, barcode: str):
    card = card_by_barcode(barcode)
    return patron_out(_visible(request, card.patron_id))


@router.get(
    "/patrons/{patron_id}",
    response={200: PatronOut, 404: ErrorOut},
    summary="One patron (loans, holds and fees: /api/v1/circulation/patrons/{id}/account)",
)
def one(request, patron_id: int):
    return patron_out(_visible(request, patron_id))
