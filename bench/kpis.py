"""Logistics key figures at volume: a month of transits and hold arrivals, then the KPIs.

    BCI_VAR_DIR=/tmp/bench-kpis uv run bci seed-demo          # once: the demo network
    BCI_VAR_DIR=/tmp/bench-kpis uv run python bench/kpis.py [--transits 100000] [--holds 40000]

Adds (once per database; marked with the transit note "bench") ``--transits`` received
transits of every stream and ``--holds`` hold transits, each with its ``hold.ready``
event, spread over October 2026 between random demo branches (bulk inserts: setup, not
measured). Then runs ``kpis.logistics_kpis`` for that month twice each for the whole
network and for the BiSC POI staff's scope, and prints wall and CPU seconds and the
number of SQL queries of the second run: the query count must not grow with the volume.
"""

import argparse
import datetime as dt
import os
import random
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bci.accounts.models import User  # noqa: E402
from bci.accounts.permissions import LOGISTICS_VIEW, restrict  # noqa: E402
from bci.catalogue.models import Item  # noqa: E402
from bci.core.models import Event  # noqa: E402
from bci.logistics import kpis  # noqa: E402
from bci.logistics.models import Transit  # noqa: E402
from bci.organisations.models import Node  # noqa: E402

START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 30)
STREAMS = ["return_home", "hold", "rotation", "new_stock"]
FUNDING = ["ibl", "paid", "supplier", "rotation"]


def fill(n_transits, n_holds, rng):
    branches = list(Node.objects.branches().values_list("id", "code"))
    items = list(Item.objects.values_list("id", "barcode")[: n_transits + n_holds])
    if len(branches) < 2 or not items:
        raise SystemExit("seed the demo first: BCI_VAR_DIR=... uv run bci seed-demo")
    t0 = dt.datetime(2026, 10, 1, 8, tzinfo=timezone.get_current_timezone())
    rows, events = [], []
    for n in range(n_transits + n_holds):
        (a, _a), (b, b_code) = rng.sample(branches, 2)
        created = t0 + dt.timedelta(minutes=rng.randrange(29 * 24 * 60))
        received = created + dt.timedelta(hours=rng.randrange(6, 120))
        hold = n >= n_transits
        item_id, barcode = items[n % len(items)]
        rows.append(
            Transit(
                item_id=item_id,
                from_node_id=a,
                to_node_id=b,
                status="received",
                reason="hold" if hold else rng.choice(STREAMS),
                funding=rng.choice(FUNDING),
                created_at=created,
                received_at=received,
                reference=f"hold:{900000 + n}" if hold else "",
                note="bench",
            )
        )
        if hold:
            events.append(
                Event(
                    kind="hold.ready",
                    occurred_at=received,
                    location_code=b_code,
                    subject_type="circulation.hold",
                    subject_id=str(900000 + n),
                    data={"item": barcode},
                )
            )
    with transaction.atomic():
        Transit.objects.bulk_create(rows, batch_size=2000)
        Event.objects.bulk_create(events, batch_size=2000)
    print(f"created {len(rows)} transits and {len(events)} hold.ready events")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transits", type=int, default=100_000)
    parser.add_argument("--holds", type=int, default=40_000)
    args = parser.parse_args()
    if not Transit.objects.filter(note="bench").exists():
        fill(args.transits, args.holds, random.Random(1))
    bisc = User.objects.get(username="bisc")
    scopes = [
        ("whole network", None),
        ("BiSC staff", restrict(Node.objects.all(), bisc, LOGISTICS_VIEW, via="")),
    ]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for label, nodes in scopes:
        for _run in range(2):  # the second run is reported (warm caches)
            with CaptureQueriesContext(connection) as queries:
                wall, cpu = time.perf_counter(), time.process_time()
                figures = kpis.logistics_kpis(START, END, nodes=nodes)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU, {len(queries)} queries; "
            f"holds {figures['hold_lead_time']['total']['holds']}, "
            f"transits {figures['volumes']['total']['transits']}, "
            f"received {figures['transit_lead_time']['total']['transits']}"
        )


if __name__ == "__main__":
    main()
