"""Circulation writes. Each service runs in one transaction, locks rows in the fixed
order item, patron, hold, records domain events and raises DomainError subclasses."""

from .checkin import CheckinResult, checkin_item
from .common import HOLD_SHELF, RESHELVE, TRANSIT, Routing
from .fees import charge_fee, pay_fee, waive_fee
from .holds import (
    cancel_hold,
    expire_hold_shelf,
    expire_holds,
    place_hold,
    resume_hold,
    suspend_hold,
)
from .items import mark_item_found, mark_item_lost, mark_item_missing
from .loans import checkout_item, renew_loan

__all__ = [
    "HOLD_SHELF",
    "RESHELVE",
    "TRANSIT",
    "CheckinResult",
    "Routing",
    "cancel_hold",
    "charge_fee",
    "checkin_item",
    "checkout_item",
    "expire_hold_shelf",
    "expire_holds",
    "mark_item_found",
    "mark_item_lost",
    "mark_item_missing",
    "pay_fee",
    "place_hold",
    "renew_loan",
    "resume_hold",
    "suspend_hold",
    "waive_fee",
]
