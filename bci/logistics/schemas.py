"""Ninja schemas of the logistics API (handheld scanners, planners)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

NodeCode = Field(..., min_length=1, max_length=64, description="Code of the scanning location")


class ErrorOut(Schema):
    code: str
    message: str


class ScanIn(Schema):
    action: Literal["pack", "collect", "unload", "deliver", "receive", "arrive"]
    crate: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="the crate scanned (every action but arrive)",
    )
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


class ArrivalOut(Schema):
    """arrive: the stop of today's plan the van reached (the first scan there counts)."""

    at: str
    depot: str
    day: dt.date
    route: int
    seq: int
    eta: dt.datetime
    arrived_at: dt.datetime
    arrived_by: str
    status: str
    delay_minutes: int


class PlanStopOut(Schema):
    seq: int
    code: str
    name: str
    eta: dt.datetime
    window_opens: dt.datetime
    window_closes: dt.datetime
    deliver: int
    collect: int
    arrived_at: dt.datetime | None
    arrived_by: str
    status: Literal["on_time", "late", "not_reached"]
    delay_minutes: int | None = Field(
        None, description="arrival minus ETA in started minutes (negative: early)"
    )


class TallyOut(Schema):
    reached: int
    on_time: int
    late: int
    not_reached: int
    on_time_percent: int | None


class PlanRouteOut(Schema):
    number: int
    van: str
    start: str
    end: str
    km: float
    hours: float
    cost: float
    tally: TallyOut
    stops: list[PlanStopOut]


class PlanOut(Schema):
    depot: str
    day: dt.date
    planned_at: dt.datetime
    planned_by: str | None
    method: str
    km: float
    hours: float
    cost: float
    crates: int
    tolerance_minutes: float
    unserved: list[str]
    tally: TallyOut
    routes: list[PlanRouteOut]
