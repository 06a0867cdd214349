"""Circulation benchmark: check-out / check-in latency and throughput through the service
layer and the API, check-in with hold capture over a deep queue, full re-optimisation.

    BCI_VAR_DIR=/tmp/bench-circ uv run python bench/circulation.py \
        [--patrons 100000] [--items 1000000] [--holds 50000] [--ops 500] [--queue 1000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bci_bench_circ \
        uv run python bench/circulation.py ...

Builds (once per database; reused when the sizes match) a network (the demo network
import: ~20 libraries, ~100 branches, opening hours), ``--patrons`` patrons with cards,
``--items`` items over ``--items / 3`` records, and ``--holds`` waiting holds on random
titles (bulk inserts: setup, not measured). Then measures:

1. ``checkout_item`` through the services: p50/p95 per call and sustained checkouts/s
   (``--ops`` checkouts by distinct patrons, each at the item's home branch);
2. ``renew_loan`` of those loans, then ``checkin_item`` of those items (p50/p95);
3. check-in with hold capture on a title with ``--queue`` waiting holds: each round checks
   the copy out to the captured hold's patron and back in (only the check-in is timed);
4. the same check-out / check-in through the API (``/api/v1/circulation/checkouts`` and
   ``/checkins`` via Django's test client: the whole request stack, no socket);
5. ``retarget_all``: full re-optimisation of every waiting hold.

Every measured operation also reports the SQL statements it sent (savepoints included,
BEGIN/COMMIT not) and the CPU time of this process, which other load on a shared
machine does not inflate (on SQLite the database work runs in this process and is
counted; on PostgreSQL the server's share is not). ``--profile FILE`` writes a cProfile
of the service check-outs (``python -m pstats FILE``).

Targets (issue 4): service checkout p95 <= 20 ms, capture check-in p95 <= 30 ms,
>= 200 checkouts/s on SQLite, full re-optimisation of 50,000 holds <= 30 s.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

SIZE_KEY = "bench.circulation.size"


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def report(name, seconds, meter=None):
    ms = [s * 1000 for s in seconds]
    print(
        f"{name:<44} n={len(ms):>5}  p50 {pct(ms, 50):7.2f} ms  p95 {pct(ms, 95):7.2f} ms  "
        f"mean {statistics.fmean(ms):7.2f} ms"
    )
    if meter is not None and meter.cpu:
        cpu = [s * 1000 for s in meter.cpu]
        print(
            f"{'':<44} CPU p50 {pct(cpu, 50):6.2f} ms  p95 {pct(cpu, 95):6.2f} ms  "
            f"mean {statistics.fmean(cpu):6.2f} ms; SQL statements per call "
            f"mean {statistics.fmean(meter.statements):.1f}, max {max(meter.statements)}"
        )


class Meter:
    """Wall time, CPU time and SQL statements of each timed call."""

    def __init__(self):
        self.wall, self.cpu, self.statements = [], [], []
        self._count = 0

    def _wrapper(self, execute, sql, params, many, context):
        self._count += 1
        return execute(sql, params, many, context)

    def __call__(self, fn, *args, **kwargs):
        self._count = 0
        with connection.execute_wrapper(self._wrapper):
            c, t = time.process_time(), time.perf_counter()
            result = fn(*args, **kwargs)
            t, c = time.perf_counter() - t, time.process_time() - c
        self.wall.append(t)
        self.cpu.append(c)
        self.statements.append(self._count)
        return result


def build(args):
    from bci.catalogue.models import Item, Record
    from bci.circulation.models import Hold
    from bci.demo.steps import network
    from bci.organisations.models import Node, NodeSetting
    from bci.patrons.models import Card, Patron, PatronCategory

    size = {"patrons": args.patrons, "items": args.items, "holds": args.holds}
    root = Node.objects.filter(kind="network").first()
    if root is not None:
        existing = NodeSetting.objects.filter(node=root, key=SIZE_KEY).first()
        if existing is not None and existing.value == size:
            print("reusing the bench data", size)
            return
        if Item.objects.exists():
            sys.exit("the database holds other data: use a scratch BCI_VAR_DIR / DATABASE_URL")
    started = time.perf_counter()
    from rich.console import Console

    network.run(console=Console(quiet=True), now=timezone.now())
    root = Node.objects.get(kind="network")
    branches = list(Node.objects.branches().order_by("id"))
    orgs = {b.pk: b.organisation for b in branches}
    category, _ = PatronCategory.objects.get_or_create(
        node=root, code="standaard", defaults={"name": "Standaard"}
    )
    rng = random.Random(7)
    batch = 5000
    expires = timezone.localdate() + timezone.timedelta(days=365)
    for start in range(0, args.patrons, batch):
        n = min(batch, args.patrons - start)
        homes = [orgs[rng.choice(branches).pk] for _ in range(n)]
        with transaction.atomic():
            patrons = Patron.objects.bulk_create(
                [
                    Patron(
                        home_organisation=homes[i],
                        category=category,
                        first_name="Bench",
                        last_name=f"Lener {start + i}",
                        expires_on=expires,
                    )
                    for i in range(n)
                ]
            )
            Card.objects.bulk_create(
                [
                    Card(patron=p, barcode=f"B{start + i:08d}", organisation=p.home_organisation)
                    for i, p in enumerate(patrons)
                ]
            )
    records_n = max(1, args.items // 3)
    marc = {"leader": "00000nam a2200000 a 4500", "fields": []}
    for start in range(0, records_n, batch):
        n = min(batch, records_n - start)
        with transaction.atomic():
            Record.objects.bulk_create(
                [Record(marc=marc, title=f"Bench titel {start + i}") for i in range(n)]
            )
    record_ids = list(Record.objects.order_by("id").values_list("id", flat=True))
    for start in range(0, args.items, batch):
        n = min(batch, args.items - start)
        rows = []
        for i in range(n):
            branch = rng.choice(branches)
            rows.append(
                Item(
                    barcode=f"X{start + i:09d}",
                    record_id=record_ids[(start + i) % records_n],
                    owner=orgs[branch.pk],
                    home_branch=branch,
                    current_location=branch,
                )
            )
        with transaction.atomic():
            Item.objects.bulk_create(rows)
    patron_ids = list(Patron.objects.order_by("id").values_list("id", flat=True))
    seen = set()
    now = timezone.now()
    rows = []
    while len(rows) < args.holds:
        pair = (rng.choice(patron_ids), rng.choice(record_ids))
        if pair in seen:
            continue
        seen.add(pair)
        rows.append(
            Hold(
                patron_id=pair[0],
                record_id=pair[1],
                pickup_branch=rng.choice(branches),
                placed_at=now - timezone.timedelta(seconds=args.holds - len(rows)),
            )
        )
    for start in range(0, len(rows), batch):
        with transaction.atomic():
            Hold.objects.bulk_create(rows[start : start + batch])
    NodeSetting.objects.update_or_create(node=root, key=SIZE_KEY, defaults={"value": size})
    print(f"built {size} in {time.perf_counter() - started:.0f} s")


def free_items(n, exclude_records):
    from bci.catalogue.models import Item

    return list(
        Item.objects.filter(status="available")
        .exclude(record_id__in=exclude_records)
        .select_related("home_branch")
        .order_by("?" if connection.vendor == "postgresql" else "id")[:n]
    )


def bench_services(args):
    from bci.circulation.models import Hold
    from bci.circulation.services import checkin_item, checkout_item, renew_loan
    from bci.patrons.models import Card

    held = set(Hold.objects.values_list("record_id", flat=True))
    items = free_items(args.ops, held)
    cards = list(Card.objects.order_by("id").values_list("barcode", flat=True)[: len(items)])
    meter = Meter()
    profile = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    loans = []
    started = time.perf_counter()
    for item, card in zip(items, cards, strict=False):
        loans.append(
            meter(
                checkout_item,
                item_barcode=item.barcode,
                card_barcode=card,
                branch=item.home_branch,
            )
        )
    total = time.perf_counter() - started
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    report("service checkout", meter.wall, meter)
    print(f"{'service checkout throughput':<44} {len(items) / total:8.0f} checkouts/s")
    meter = Meter()
    for loan in loans:
        meter(renew_loan, loan=loan.pk)
    report("service renew", meter.wall, meter)
    meter = Meter()
    for item in items:
        meter(checkin_item, item_barcode=item.barcode, branch=item.home_branch)
    report("service checkin (no holds)", meter.wall, meter)


def bench_capture(args):
    from bci.catalogue.models import Item, Record
    from bci.circulation.models import Hold
    from bci.circulation.services import checkin_item, checkout_item
    from bci.organisations.models import Node
    from bci.patrons.models import Card, Patron

    branch = Node.objects.branches().order_by("id").first()
    record = Record.objects.create(marc={"fields": []}, title="Bench queue")
    item = Item.objects.create(
        barcode=f"Q{record.pk}",
        record=record,
        owner=branch.organisation,
        home_branch=branch,
        current_location=branch,
    )
    now = timezone.now()
    patrons = list(Patron.objects.order_by("-id")[: args.queue + 1])
    Hold.objects.bulk_create(
        [
            Hold(
                patron=p,
                record=record,
                pickup_branch=branch,
                placed_at=now - timezone.timedelta(seconds=args.queue - i),
            )
            for i, p in enumerate(patrons[1:])
        ]
    )
    first = Card.objects.filter(patron=patrons[0]).first().barcode
    checkout_item(item_barcode=item.barcode, card_barcode=first, branch=branch)
    meter = Meter()
    for _ in range(min(args.rounds, args.queue)):
        result = meter(checkin_item, item_barcode=item.barcode, branch=branch)
        assert result.action == "hold_shelf", result.action
        card = Card.objects.filter(patron_id=result.routing.hold.patron_id).first().barcode
        checkout_item(item_barcode=item.barcode, card_barcode=card, branch=branch)
    report(f"checkin with capture, {args.queue}-deep queue", meter.wall, meter)


def bench_api(args):
    from bci.accounts.models import User
    from bci.circulation.models import Hold
    from bci.patrons.models import Card

    user, _ = User.objects.get_or_create(username="bench-api", defaults={"is_superuser": True})
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    held = set(Hold.objects.values_list("record_id", flat=True))
    items = free_items(args.ops, held)
    cards = list(Card.objects.order_by("-id").values_list("barcode", flat=True)[: len(items)])
    out, back = Meter(), Meter()
    started = time.perf_counter()
    for item, card in zip(items, cards, strict=False):
        r = out(
            client.post,
            "/api/v1/circulation/checkouts",
            {"item_barcode": item.barcode, "patron_barcode": card, "branch": item.home_branch.code},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
    total = time.perf_counter() - started
    for item in items:
        r = back(
            client.post,
            "/api/v1/circulation/checkins",
            {"item_barcode": item.barcode, "branch": item.home_branch.code},
            content_type="application/json",
        )
        assert r.status_code == 200, r.content
    report("API checkout", out.wall, out)
    print(f"{'API checkout throughput':<44} {len(items) / total:8.0f} checkouts/s")
    report("API checkin", back.wall, back)


def bench_retarget(reset):
    from bci.circulation.models import Hold
    from bci.circulation.targeting import retarget_all

    waiting = Hold.objects.filter(status="waiting").count()
    if reset:  # recovery from scratch: every waiting hold loses its copy first
        Hold.objects.filter(status="waiting").update(copy=None, copy_reason="")
    started = time.perf_counter()
    records, changed = retarget_all(by="bench")
    seconds = time.perf_counter() - started
    print(
        f"{'full re-optimisation':<44} {waiting} waiting holds on {records} titles, "
        f"{changed} assignments changed in {seconds:.1f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patrons", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--holds", type=int, default=50_000)
    parser.add_argument("--ops", type=int, default=500)
    parser.add_argument("--queue", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--skip-retarget", action="store_true")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the service check-outs")
    parser.add_argument(
        "--reset-copies",
        action="store_true",
        help="clear every waiting hold's copy before the re-optimisation (worst case)",
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    build(args)
    if connection.vendor == "postgresql":  # fresh planner statistics after the bulk load
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if not args.skip_retarget:
        bench_retarget(args.reset_copies)  # first: assigns copies to the bulk-created holds
    bench_services(args)
    bench_capture(args)
    if not args.skip_api:
        bench_api(args)


if __name__ == "__main__":
    main()
