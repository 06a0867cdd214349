"""SIP2 load benchmark: concurrent kiosks on loopback against ``bci sip2``.

    uv run python bench/sip2_load.py [--kiosks 50] [--seconds 20] [--idle 500]
                                     [--workers 1] [--database-url postgres://...]

What it does (in a fresh database under $BCI_VAR_DIR, default /tmp/bci-sip2-bench):

1. seeds a small network, one kiosk account and, per kiosk, a patron and a few items;
2. baseline: runs checkout+checkin cycles in-process through the circulation services
   (the same service calls the SIP2 handlers make), single-threaded, and reports cycles/s;
3. starts ``manage.py sip2`` in a subprocess (the server under test) and runs N kiosk
   connections (asyncio clients in this process): login, patron status, then checkout and
   checkin cycles on distinct items for the given time; reports cycles/s, the ratio to the
   in-process rate, and latency percentiles per message;
4. opens ``--idle`` more connections that log in and stay idle, plus one busy kiosk, and
   reports the server process's RSS (from /proc).

The figures go to docs/performance.md ("SIP2"). Not part of the test run.
"""

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-kiosk-pass"
ITEMS_PER_KIOSK = 4


def setup_environment(args):
    var = Path(os.environ.setdefault("BCI_VAR_DIR", "/tmp/bci-sip2-bench"))
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("BCI_LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if args.database_url:  # start from an empty schema
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", interactive=False, verbosity=0)
    return connection.vendor


def seed(kiosks):
    from bci.circulation.tests.factories import make_item, make_record
    from bci.organisations.tests.factories import small_network
    from bci.patrons.tests.factories import card_of, make_patron
    from bci.protocols.sip2.terminals import add_terminal

    net = small_network()
    add_terminal(login="bench", password=PASSWORD, branch=net.a1, permissions=("checkout",
                 "checkin", "renew"))  # fmt: skip
    plan = []
    for k in range(kiosks):
        patron = make_patron(net.lib_a, last_name=f"Bench{k}")
        items = []
        for j in range(ITEMS_PER_KIOSK):
            record = make_record(f"Bench title {k}-{j}")
            items.append(make_item(record, net.a1, barcode=f"B{k:04d}-{j}").barcode)
        plan.append((card_of(patron), items))
    return net, plan


def in_process_rate(net, plan, seconds):
    """checkout_item + checkin_item cycles through the services, single-threaded."""
    from bci.circulation.services import checkin_item, checkout_item

    cycles = 0
    start = time.perf_counter()
    deadline = start + seconds
    i = 0
    while time.perf_counter() < deadline:
        card, items = plan[i % len(plan)]
        barcode = items[(i // len(plan)) % len(items)]
        checkout_item(item_barcode=barcode, card_barcode=card, branch=net.a1, by="bench")
        checkin_item(item_barcode=barcode, branch=net.a1, by="bench")
        cycles += 1
        i += 1
    return cycles / (time.perf_counter() - start)


def start_server(workers):
    env = dict(os.environ, BCI_LOG_LEVEL="ERROR")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "sip2", "--port", "0", "--workers",
         str(workers), "--idle-timeout", "600"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    line = proc.stdout.readline()
    found = re.search(r":(\d+)", line)
    if not found:
        proc.kill()
        raise SystemExit(f"server did not start: {line}{proc.stdout.read()}")
    return proc, int(found.group(1))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Kiosk:
    def __init__(self, port):
        self.port = port
        self.latencies = []
        self.refusals = 0

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def send(self, message):
        from bci.protocols.sip2.messages import codec as m

        t = time.perf_counter()
        self.writer.write(m.encode(message))
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r")
        self.latencies.append(time.perf_counter() - t)
        return m.parse(raw)

    async def close(self):
        self.writer.close()
        await self.writer.wait_closed()


def td():
    from bci.protocols.sip2.messages.dates import format_date

    return format_date(dt.datetime.now().replace(microsecond=0))


async def login(kiosk):
    from bci.protocols.sip2.messages import codec as m

    reply = await kiosk.send(
        m.make(
            "93", {"uid_algorithm": "0", "pwd_algorithm": "0"}, [("CN", "bench"), ("CO", PASSWORD)]
        )  # fmt: skip
    )
    assert reply.fixed["ok"] == "1", "bench login refused"


async def kiosk_prepare(kiosk, card):
    from bci.protocols.sip2.messages import codec as m

    await kiosk.open()
    await login(kiosk)
    await kiosk.send(m.make("23", {"language": "005", "transaction_date": td()},
                            [("AO", "LIB-A"), ("AA", card)]))  # fmt: skip
    kiosk.latencies.clear()  # logins (Argon2) and the first status are measured apart


async def kiosk_run(kiosk, card, items, deadline, counter, think):
    from bci.protocols.sip2.messages import codec as m

    i = 0
    if think:  # spread the kiosks over the first think period
        await asyncio.sleep(random.uniform(0, think))
    while time.perf_counter() < deadline:
        barcode = items[i % len(items)]
        out = await kiosk.send(
            m.make(
                "11",
                {
                    "sc_renewal_policy": "N",
                    "no_block": "N",
                    "transaction_date": td(),
                    "nb_due_date": " " * 18,
                },
                [("AO", "LIB-A"), ("AA", card), ("AB", barcode)],
            )
        )
        back = await kiosk.send(m.make(
            "09", {"no_block": "N", "transaction_date": td(), "return_date": td()},
            [("AP", "A-1"), ("AO", "LIB-A"), ("AB", barcode)]))  # fmt: skip
        if out.fixed["ok"] != "1" or back.fixed["ok"] != "1":
            kiosk.refusals += 1
        else:
            counter[0] += 1
        i += 1
        if think:
            await asyncio.sleep(think)


async def load(port, plan, seconds, think=0.0):
    """All kiosks log in and ask a patron status first; then the timed checkout+checkin
    cycles start together."""
    counter = [0]
    kiosks = [Kiosk(port) for _ in plan]
    t = time.perf_counter()
    await asyncio.gather(
        *(kiosk_prepare(k, card) for k, (card, _i) in zip(kiosks, plan, strict=True))
    )
    prepare = time.perf_counter() - t
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(kiosk_run(k, card, items, deadline, counter, think)
                           for k, (card, items) in zip(kiosks, plan, strict=True)))  # fmt: skip
    elapsed = time.perf_counter() - start
    await asyncio.gather(*(k.close() for k in kiosks))
    latencies = sorted(x for k in kiosks for x in k.latencies)
    return {
        "prepare": prepare,
        "cycles": counter[0],
        "rate": counter[0] / elapsed,
        "refusals": sum(k.refusals for k in kiosks),
        "messages": len(latencies),
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95)] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
    }


async def idle_connections(port, count, pid):
    from bci.protocols.sip2.messages import codec as m

    base = rss_mb(pid)
    kiosks = [Kiosk(port) for _ in range(count)]
    t = time.perf_counter()
    for start in range(0, count, 50):  # connect and log in, 50 at a time
        batch = kiosks[start : start + 50]
        await asyncio.gather(*(k.open() for k in batch))
        await asyncio.gather(*(login(k) for k in batch))
    login_seconds = time.perf_counter() - t
    busy = kiosks[0]
    busy.latencies.clear()
    for _ in range(50):
        await busy.send(m.make("99", {"status_code": "0", "max_print_width": "040",
                                      "protocol_version": "2.00"}))  # fmt: skip
    held = rss_mb(pid)
    p95 = sorted(busy.latencies)[int(len(busy.latencies) * 0.95)] * 1000
    await asyncio.gather(*(k.close() for k in kiosks))
    return {"rss_before": base, "rss_held": held, "login_s": login_seconds, "p95_busy": p95}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a kiosk waits between cycles (0: back to back)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server worker threads (default: 1 on SQLite, 8 on PostgreSQL)",
    )
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in var)")
    args = parser.parse_args()

    vendor = setup_environment(args)
    workers = args.workers or (1 if vendor == "sqlite" else 8)
    print(f"database: {vendor}; kiosks: {args.kiosks}; server workers: {workers}")
    net, plan = seed(args.kiosks)
    from django.db import connections

    baseline = in_process_rate(net, plan, args.baseline_seconds)
    print(f"in-process (services, 1 thread): {baseline:.1f} checkout+checkin cycles/s")
    connections.close_all()

    proc, port = start_server(workers)
    try:
        result = asyncio.run(load(port, plan, args.seconds, args.think))
        print(
            f"SIP2, {args.kiosks} kiosks, think {args.think:g} s "
            f"(login + patron status took {result['prepare']:.1f} s): "
            f"{result['rate']:.1f} cycles/s "
            f"({result['cycles']} cycles, {result['refusals']} refused) = "
            f"{100 * result['rate'] / baseline:.0f}% of in-process; per message "
            f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms"
        )
        if args.idle:
            idle = asyncio.run(idle_connections(port, args.idle, proc.pid))
            print(
                f"{args.idle} connected kiosks: server RSS {idle['rss_held']:.0f} MB "
                f"(before: {idle['rss_before']:.0f} MB); logins took {idle['login_s']:.1f} s; "
                f"busy kiosk p95 {idle['p95_busy']:.1f} ms"
            )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
