"""The demo step: a kept plan per depot for the next working day."""

import datetime as dt

import pytest
from django.utils import timezone
from rich.console import Console

from bci.core.models import Event
from bci.demo.steps import logistics as step
from bci.logistics.models import PlanStop, RoutePlan

pytestmark = pytest.mark.django_db


def test_demo_step_plans_every_depot_for_the_next_working_day(net):
    friday = timezone.make_aware(dt.datetime(2026, 12, 4, 18))
    summary = step.run(console=Console(quiet=True), now=friday)
    assert summary.startswith("2026-12-07: BISC-DEPOT: 3 stops, 1 van,")
    kept = RoutePlan.objects.get(depot=net.depot, day=dt.date(2026, 12, 7))
    assert kept.summary["check"] == [] and kept.summary["unserved"] == []
    assert "<polyline" in kept.map_svg and kept.stops.count() == 3
    again = step.run(console=Console(quiet=True), now=friday)  # idempotent: the plan is kept
    assert again == summary and RoutePlan.objects.get().pk == kept.pk
    assert PlanStop.objects.count() == 3
    assert Event.objects.filter(kind="route_plan.stored").count() == 1
