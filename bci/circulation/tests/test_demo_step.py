"""The circulation demo step over the real demo network (with a handful of items)."""

import datetime as dt

import pytest
from django.utils import timezone
from rich.console import Console

from bci.circulation.models import Hold, Loan
from bci.demo.steps import circulation, network
from bci.organisations.models import Node
from bci.patrons.models import Patron

from .factories import make_item, make_record

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(dt.datetime(2026, 11, 30, 10, 0))


def test_demo_circulation_is_realistic_and_idempotent():
    console = Console(quiet=True)
    network.run(console=console, now=NOW)
    assert circulation.run(console=console, now=NOW) == "no items: run the catalogue step first"
    for org, branches in circulation.libraries()[:8]:
        for n, branch in enumerate(branches[:2]):
            for k in range(4):
                make_item(make_record(f"{org.code} {n} {k}"), branch)
    maastricht = Node.objects.get(code="CENTRE-CERAMIQUE-MAASTRICHT")
    for k in range(3):
        make_item(make_record(f"Alleen in Maastricht {k}"), maastricht)
    summary = circulation.run(console=console, now=NOW)
    counts = (Patron.objects.count(), Loan.objects.count(), Hold.objects.count())
    assert counts[0] == circulation.PATRONS_PER_LIBRARY * len(circulation.libraries())
    assert Loan.objects.filter(ended_at__isnull=True, due_date__lt=NOW.date()).exists()
    houten = Hold.objects.filter(pickup_branch__code="LEK-IJSSEL-HOUTEN").first()
    assert houten is not None and houten.copy.home_branch == maastricht
    assert houten.copy_reason.startswith("beschikbaar in ")
    assert "patrons" in summary
    circulation.run(console=console, now=NOW)
    assert (Patron.objects.count(), Loan.objects.count(), Hold.objects.count()) == counts
