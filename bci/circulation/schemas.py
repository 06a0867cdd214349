"""Ninja schemas of the circulation API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

Barcode = Field(..., min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
NodeCode = Field(..., min_length=1, max_length=64, description="Code (ISIL) of a branch")


class ErrorOut(Schema):
    code: str
    message: str


class CheckoutIn(Schema):
    item_barcode: str = Barcode
    patron_barcode: str = Barcode
    branch: str = NodeCode


class CheckinIn(Schema):
    item_barcode: str = Barcode
    branch: str = NodeCode


class HoldIn(Schema):
    record_id: int = Field(..., ge=1)
    patron_barcode: str = Barcode
    pickup_branch: str = NodeCode
    item_barcode: str | None = Field(None, min_length=1, max_length=32)
    not_needed_after: dt.date | None = None


class AmountIn(Schema):
    amount: Decimal | None = Field(None, gt=0, max_digits=8, decimal_places=2)


class WaiveIn(AmountIn):
    reason: str = Field(..., min_length=1, max_length=200)


class CancelIn(Schema):
    reason: str = Field("", max_length=200)


class PlaceOut(Schema):
    code: str
    name: str


class LoanOut(Schema):
    id: int
    item_barcode: str
    title: str
    patron_id: int | None
    branch: PlaceOut
    checked_out_at: dt.datetime
    due_date: dt.date
    renewals: int
    renewals_allowed: int
    short_loan: bool
    ended_at: dt.datetime | None


class RoutingOut(Schema):
    action: str = Field(description="hold_shelf, transit or reshelve")
    message: str = Field(description="What to do with the item, in the user's language")
    item_barcode: str
    destination: str | None
    destination_name: str | None
    hold_id: int | None
    transit_id: int | None
    loan_id: int | None = None
    fee: str | None = None
    notes: list[str] = []


class HoldOut(Schema):
    id: int
    record_id: int
    title: str
    patron_id: int
    pickup_branch: PlaceOut
    status: str
    placed_at: dt.datetime
    item_barcode: str | None = Field(None, description="Requested copy (item-level hold)")
    copy_barcode: str | None = Field(None, description="Copy assigned or captured")
    copy_reason: str
    shelf_until: dt.date | None
    queue_position: int | None = None


class FeeOut(Schema):
    id: int
    patron_id: int
    kind: str
    amount: Decimal
    paid: Decimal
    waived: Decimal
    outstanding: Decimal
    note: str
    created_at: dt.datetime
    settled_at: dt.datetime | None


class PickOut(Schema):
    hold_id: int
    item_barcode: str
    shelf_code: str
    call_number: str
    title: str
    pickup_branch: PlaceOut
    reason: str
    placed_at: dt.datetime


class BlockOut(Schema):
    code: str
    message: str


class AccountOut(Schema):
    patron_id: int
    blocks: list[BlockOut]
    loans: list[LoanOut]
    holds: list[HoldOut]
    fees: list[FeeOut]
    owed: Decimal
