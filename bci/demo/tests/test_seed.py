"""`bci seed-demo`: the steps, idempotency over every table, the staff and calendar it makes."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from bci.accounts.models import RoleAssignment, User
from bci.accounts.permissions import can, visible_nodes
from bci.demo import seed
from bci.demo.steps.staff import DEMO_PASSWORD, DEMO_STAFF, demo_logins
from bci.organisations import queries
from bci.organisations.models import Closure, Node, OpeningHours

NOW = timezone.make_aware(dt.datetime(2026, 11, 30, 10, 0))


# The steps this file is about; the later steps (catalogue, circulation...) have their own
# tests and only join the idempotency test below.
OWN = ["network", "staff"]


@pytest.fixture(autouse=True)
def _small_and_fast(settings):
    settings.BCI_DEMO_TITLES = 1  # no synthetic titles beyond the real sample records


def test_seed_twice_leaves_every_table_with_the_same_rows(db):
    """All registered steps together, run twice: not one table gains or loses a row."""
    seed.run_seed(now=NOW, show_progress=False, console=_quiet())
    first = seed.count_rows()
    assert first["organisations.Node"] > 100 and first["accounts.User"] == len(DEMO_STAFF)
    seed.run_seed(now=NOW, show_progress=False, console=_quiet())
    assert seed.count_rows() == first


def test_seed_demo_command_prints_steps_and_counts(db):
    out = io.StringIO()
    call_command("seed_demo", "--no-progress", "--steps", ",".join(OWN), stdout=out)
    text = out.getvalue()
    for name in OWN:
        assert name in text
    assert "organisations.Node" in text


def test_unknown_step_is_refused(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="unknown seed step"):
        call_command("seed_demo", "--steps", "nope", stdout=io.StringIO())
    assert Node.objects.count() == 0


SEEN = []


def counting_step(*, console, now):
    """Counting: a fake step."""
    SEEN.extend(seed.track(range(5), "counting"))
    assert seed._active_progress is not None
    return f"{len(SEEN)} counted at {now:%Y-%m-%d}"


def test_steps_are_dotted_paths_and_track_shows_progress(monkeypatch):
    monkeypatch.setattr(seed, "STEPS", ["bci.demo.tests.test_seed.counting_step"])
    SEEN.clear()
    out = io.StringIO()
    from rich.console import Console

    results = seed.run_seed(now=NOW, console=Console(file=out, force_terminal=True))
    assert SEEN == [0, 1, 2, 3, 4]
    assert [(r.name, r.label, r.summary) for r in results] == [
        ("test_seed", "Counting: a fake step.", "5 counted at 2026-11-30")
    ]
    assert list(seed.track(range(3), "outside the seed")) == [0, 1, 2]


def test_every_location_gets_hours_and_the_network_closes_on_holidays(db):
    seed.run_seed(now=NOW, show_progress=False, console=_quiet(), only=OWN)
    locations = Node.objects.locations()
    with_hours = OpeningHours.objects.values("node").distinct().count()
    assert with_hours == locations.count()
    network = queries.network_root()
    assert Closure.objects.filter(node=network, start_date=dt.date(2026, 12, 25)).exists()
    assert Closure.objects.filter(node=network, start_date=dt.date(2027, 4, 27)).exists()
    neude = Node.objects.get(code="UTRECHT-NEUDE")
    # Christmas 2026 is a Friday: closed; the next open day is Saturday 26? No: Tweede
    # Kerstdag too, so Monday 28 December.
    assert queries.hours_on(neude, dt.date(2026, 12, 25)) == []
    assert queries.next_open_day(neude, dt.date(2026, 12, 24)) == dt.date(2026, 12, 28)
    assert queries.is_open(neude, timezone.make_aware(dt.datetime(2026, 12, 1, 19, 30)))


def test_edited_hours_survive_a_reseed(db):
    seed.run_seed(now=NOW, show_progress=False, console=_quiet(), only=["network"])
    node = Node.objects.get(code="ZOUT-DRIEBERGEN")
    OpeningHours.objects.filter(node=node).delete()
    OpeningHours.objects.create(node=node, weekday=6, opens=dt.time(12), closes=dt.time(16))
    seed.run_seed(now=NOW, show_progress=False, console=_quiet(), only=["network"])
    assert list(OpeningHours.objects.filter(node=node).values_list("weekday", flat=True)) == [6]


def test_demo_staff_have_their_roles_and_the_demo_password(db):
    seed.run_seed(now=NOW, show_progress=False, console=_quiet(), only=OWN)
    for username, _name, role, scope, superuser in DEMO_STAFF:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD) and user.is_staff
        assert user.is_superuser == superuser
        assert RoleAssignment.objects.filter(user=user, role=role, node__code=scope).exists()
    assert [row[0] for row in demo_logins()] == [s[0] for s in DEMO_STAFF]

    houten = User.objects.get(username="houten-balie")
    assert can(houten, "circulation.desk", Node.objects.get(code="LEK-IJSSEL-HOUTEN"))
    assert not can(houten, "circulation.desk", Node.objects.get(code="LEK-IJSSEL-VIANEN"))
    cubiss = User.objects.get(username="cubiss")
    assert visible_nodes(cubiss).filter(code="VENLO-STADSBIBLIOTHEEK").exists()
    assert not visible_nodes(cubiss).filter(code="UTRECHT-NEUDE").exists()


def test_staff_step_needs_the_network(db):
    from bci.demo.steps.staff import MissingScope

    with pytest.raises(MissingScope):
        seed.run_seed(now=NOW, show_progress=False, console=_quiet(), only=["staff"])


def _quiet():
    from rich.console import Console

    return Console(file=io.StringIO())
