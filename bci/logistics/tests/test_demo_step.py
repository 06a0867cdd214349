"""The demo step: a kept plan per depot for the next working day."""

import datetime as dt

import pytest
from django.utils import timezone
from rich.console import Console

from bci.demo.steps import logistics as step
from bci.logistics.models import PlanStop, RoutePlan
from bci.logistics.plans import record_arrival

pytestmark = pytest.mark.django_db


def test_demo_step_plans_every_depot_for_the_next_working_day(net, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    friday = timezone.make_aware(dt.datetime(2026, 12, 4, 18))
    summary = step.run(console=Console(quiet=True), now=friday)
    assert summary.startswith("2026-12-07: BISC-DEPOT: 3 stops, 1 vans")
    kept = RoutePlan.objects.get(depot=net.depot, day=dt.date(2026, 12, 7))
    assert kept.summary["check"] == [] and kept.summary["unserved"] == []
    assert "<polyline" in kept.map_svg and kept.stops.count() == 3
    again = step.run(console=Console(quiet=True), now=friday)  # idempotent: one plan
    assert again == summary and RoutePlan.objects.count() == 1 and PlanStop.objects.count() == 3
    stop = kept.stops.first()
    record_arrival(at=stop.node, now=stop.eta)  # a driver scanned: the demo keeps the plan
    assert "plan kept" in step.run(console=Console(quiet=True), now=friday)
    assert PlanStop.objects.get(pk=stop.pk).arrived_at == stop.eta
