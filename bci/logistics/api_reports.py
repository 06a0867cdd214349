"""REST API of the logistics key figures: ``GET /api/v1/logistics/kpis?from=&to=``.

A sub-router mounted by ``bci.logistics.api``; the figures are ``kpis.logistics_kpis``
over the rows the caller may see (``logistics.view``), the same as the KPI page.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema, Status

from bci.accounts.api_auth import STAFF_AUTH
from bci.accounts.permissions import LOGISTICS_VIEW, can, restrict
from bci.core.errors import PermissionDenied
from bci.organisations.models import Node

from . import kpis
from .schemas import ErrorOut

router = Router(tags=["logistics"], auth=STAFF_AUTH)


class PeriodIn(Schema):
    start: str | None = Field(None, alias="from", description="First day, YYYY-MM-DD")
    end: str | None = Field(None, alias="to", description="Last day (included), YYYY-MM-DD")


class PeriodOut(Schema):
    start: dt.date = Field(..., alias="from")
    end: dt.date = Field(..., alias="to")


class HoldLeadOut(Schema):
    organisation: str = Field(..., description="Code of the pick-up branch's organisation")
    name: str
    holds: int = Field(..., description="Holds that reached the shelf by transit")
    local: int = Field(..., description="Holds filled at the pick-up branch (not counted)")
    within_target: int
    within_target_pct: float | None
    median_days: float | None = Field(..., description="Working days, copy found to shelf")
    p90_days: float | None
    median_hours: float | None
    p90_hours: float | None
    targets: list[int] = Field(..., description="Targets in working days that applied")


class HoldLeadTable(Schema):
    rows: list[HoldLeadOut]
    total: HoldLeadOut


class VolumeOut(Schema):
    organisation: str
    name: str
    transits: int
    funding: dict[str, int]
    reason: dict[str, int]


class VolumeTable(Schema):
    rows: list[VolumeOut]
    total: VolumeOut


class NationalOut(Schema):
    organisation: str
    name: str
    out: int
    in_: int = Field(..., alias="in")
    cost: float


class NationalTable(Schema):
    rows: list[NationalOut]
    total: NationalOut


class KmOut(Schema):
    depot: str
    name: str
    days: int
    km: float
    crates: int
    km_per_crate: float | None


class KmTable(Schema):
    rows: list[KmOut]
    total: KmOut


class TransitLeadOut(Schema):
    stream: str = Field(..., description="Funding stream; empty in the total")
    transits: int
    median_hours: float | None
    p90_hours: float | None


class TransitLeadTable(Schema):
    rows: list[TransitLeadOut]
    total: TransitLeadOut


class KpisOut(Schema):
    period: PeriodOut
    hold_lead_time: HoldLeadTable
    volumes: VolumeTable
    national_ibl: NationalTable
    km_per_crate: KmTable
    transit_lead_time: TransitLeadTable


@router.get(
    "/kpis",
    response={200: KpisOut, 400: ErrorOut, 403: ErrorOut},
    by_alias=True,
    summary="Key figures: hold lead time, volumes per stream, km per crate, transit lead time",
)
def get_kpis(request, period: Query[PeriodIn]):
    if not can(request.user, LOGISTICS_VIEW):
        raise PermissionDenied()
    start, end = kpis.parse_period(period.start, period.end)
    visible = restrict(Node.objects.all(), request.user, LOGISTICS_VIEW, via="")
    return Status(200, kpis.logistics_kpis(start, end, nodes=visible))
