"""Ninja schemas of the public catalogue API. Nothing here carries personal data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints, model_validator

MAX_DEPTH = 10_000  # results reachable by paging (the search service's limit)

FacetValueText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
FacetValues = Annotated[list[FacetValueText], Field(max_length=20)]

Sort = Literal["relevance", "-year", "year", "title"]


class RecordQuery(Schema):
    """Search parameters; every facet can be given more than once (values are OR-ed within
    a facet and AND-ed across facets)."""

    q: str = Field("", max_length=500, description="Search words; quotes for a phrase.")
    page: int = Field(1, ge=1, le=500)
    per_page: int = Field(20, ge=1, le=100)
    sort: Sort = Field(
        "relevance", description="relevance, -year (newest first), year (oldest first), title"
    )
    material_type: FacetValues = Field(default_factory=list)
    language: FacetValues = Field(default_factory=list, description="MARC code, e.g. dut")
    audience: FacetValues = Field(default_factory=list)
    year: FacetValues = Field(default_factory=list, description="A decade, e.g. 2020-2029")
    author: FacetValues = Field(default_factory=list)
    subject: FacetValues = Field(default_factory=list)
    library: FacetValues = Field(
        default_factory=list, description="Code of a library organisation holding a copy"
    )
    available_at: FacetValues = Field(
        default_factory=list, description="Code of a branch with a copy on the shelf now"
    )

    @model_validator(mode="after")
    def _not_too_deep(self):
        if (self.page - 1) * self.per_page >= MAX_DEPTH:
            raise ValueError(
                f"page {self.page} with per_page {self.per_page} starts beyond the first "
                f"{MAX_DEPTH:,} results; refine the search instead"
            )
        return self


class PlaceOut(Schema):
    code: str
    name: str


class AvailabilityOut(Schema):
    total: int = Field(description="Copies the public can see")
    available: int = Field(description="Copies on the shelf now")
    available_at: list[PlaceOut] = Field(description="Where the available copies stand")


class IdentifierOut(Schema):
    scheme: str
    value: str


class RecordFields(Schema):
    id: int
    url: str = Field(description="The record's page in the public catalogue")
    title: str
    subtitle: str
    authors: list[str]
    main_author: str
    publisher: str
    year: int | None
    language: str
    material_type: str
    audience: str
    series: str
    subjects: list[str]
    classification: str
    identifiers: list[IdentifierOut]


class RecordSummary(RecordFields):
    availability: AvailabilityOut


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class RecordPage(Schema):
    total: int
    page: int
    per_page: int
    query: str
    corrected: bool = Field(
        False, description="True when too little matched and similar spellings were used"
    )
    results: list[RecordSummary]
    facets: dict[str, list[FacetValueOut]]


class ItemOut(Schema):
    barcode: str
    record_id: int
    status: str
    status_label: str
    due_date: dt.date | None = Field(None, description="When a copy on loan is due back")
    library: PlaceOut = Field(description="The owning library organisation")
    home_branch: PlaceOut
    current_location: PlaceOut | None
    shelf_code: str
    call_number: str
    material_type: str
    floating: bool


class RecordDetail(RecordFields):
    availability: AvailabilityOut
    marc: dict = Field(description="The whole MARC record as MARC-in-JSON")
    items: list[ItemOut]
    updated_at: dt.datetime


class ErrorOut(Schema):
    code: str
    message: str
