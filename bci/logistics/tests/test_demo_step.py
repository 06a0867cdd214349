"""The demo step: a kept plan per depot for the next working day."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from rich.console import Console

from bci.demo.steps import logistics as step

pytestmark = pytest.mark.django_db


def test_demo_step_plans_every_depot_for_the_next_working_day(net, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    friday = timezone.make_aware(dt.datetime(2026, 12, 4, 18))
    summary = step.run(console=Console(quiet=True), now=friday)
    assert summary.startswith("2026-12-07: BISC-DEPOT: 3 stops, 1 vans")
    folder = tmp_path / "plans" / "BISC-DEPOT" / "2026-12-07"
    plan = json.loads((folder / "plan.json").read_text())
    assert plan["check"] == [] and plan["unserved"] == []
    assert (folder / "map.svg").exists() and (folder / "van-1.html").exists()
    again = step.run(console=Console(quiet=True), now=friday)  # idempotent: same files
    assert again == summary
