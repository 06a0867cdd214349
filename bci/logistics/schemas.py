"""Ninja schemas of the logistics API (handheld scanners, planners)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

Barcode = Field(..., min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
NodeCode = Field(..., min_length=1, max_length=64, description="Code of the scanning location")


class ErrorOut(Schema):
    code: str
    message: str


class ScanIn(Schema):
    action: Literal["pack", "collect", "unload", "deliver", "receive"]
    crate: str = Barcode
    at: str = NodeCode
    item: str | None = Field(None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
    items: list[str] | None = Field(
        None, max_length=1000, description="receive: the item barcodes found in the crate"
    )


class CrateOut(Schema):
    barcode: str
    status: str
    destination: str | None
    location: str | None
    items: list[str]


class ReceiptOut(Schema):
    crate: str
    received: list[str]
    missing: list[str]
    extra: list[str]
    routed: dict[str, str]
    refused: dict[str, str]


class StepOut(Schema):
    kind: str
    at: dt.datetime
    where: str
    by: str
    crate: str


class TransitOut(Schema):
    id: int
    item: str
    from_node: str
    to_node: str
    reason: str
    funding: str
    status: str
    crate: str | None
    created_at: dt.datetime
    history: list[StepOut]
