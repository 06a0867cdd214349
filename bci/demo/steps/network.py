"""The demo network: the bundled CSV, generated opening hours, public holidays."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bci.demo.holidays import closed_holidays, demo_holiday_years
from bci.demo.hours import weekly_schedule
from bci.organisations.models import Closure, Node, OpeningHours
from bci.organisations.services import import_network

NETWORK_CSV = "network-nl.csv"


def csv_path():
    return settings.BCI_DATA_DIR / NETWORK_CSV


def run(*, console, now):
    """Network: POIs, libraries, branches, opening hours and holidays."""
    result = import_network(file=csv_path(), by="bci seed-demo", now=now)
    hours = add_opening_hours()
    closures = add_holiday_closures(result.network, today=timezone.localdate(now))
    return (
        f"{result.rows} locations ({result.changed} nodes created or updated), "
        f"{hours} opening periods added, {closures} holiday closures added"
    )


@transaction.atomic
def add_opening_hours():
    """Generated hours for every location that has none yet (edited hours are kept)."""
    with_hours = set(OpeningHours.objects.values_list("node_id", flat=True).distinct())
    rows = [
        OpeningHours(node=node, weekday=day, opens=opens, closes=closes, staffed=staffed)
        for node in Node.objects.locations().exclude(pk__in=with_hours)
        for day, opens, closes, staffed in weekly_schedule(node.kind, node.code)
    ]
    OpeningHours.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def add_holiday_closures(network, *, today):
    """The public holidays as network-wide closures (they close every location)."""
    added = 0
    for year in demo_holiday_years(today):
        for day, name in closed_holidays(year):
            _, created = Closure.objects.get_or_create(
                node=network, start_date=day, end_date=day, defaults={"reason": name}
            )
            added += created
    return added
