"""Benchmark: end-to-end MARC import (``bci import-marc``) against raw pymarc parsing.

    uv run python bench/import_marc.py                       # 200,000 synthetic records
    uv run python bench/import_marc.py --records 50000 --workers 2
    uv run python bench/import_marc.py --file some.mrc --databases sqlite

Generates realistic Dutch records (``bci.catalogue.synth``: 2% repeat an earlier title's
PPN/ISBN so merges happen, 1-3 items each in 852) to an ISO 2709 file, times raw pymarc
parsing of that file (MARCReader, defaults, every record touched), then imports it into a
fresh database per backend in a child process (SQLite file; PostgreSQL from
DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bci_bench_import, dropped and
created). Prints records/s and the ratio to raw pymarc. Targets: >= 2,000 records/s
end-to-end and >= 40% of the raw pymarc rate.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/bci_bench_import"


def generate(path, n, seed):
    from bci.catalogue import synth

    started = time.perf_counter()
    synth.write_file(
        path, n, seed=seed, branches=["A-1", "A-2"], owner="LIB-A", duplicate_rate=0.02
    )
    return time.perf_counter() - started


def raw_pymarc(path):
    from pymarc import MARCReader

    started = time.perf_counter()
    cpu = time.process_time()
    count = 0
    with open(path, "rb") as handle:
        for record in MARCReader(handle):
            if record is not None:
                count += 1
    return count, time.perf_counter() - started, time.process_time() - cpu


def child(path, workers, batch_size):
    """Runs in a fresh process with DATABASE_URL set: migrate, small network, import."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bci.catalogue.services import import_marc_file
    from bci.organisations.tests.factories import small_network

    net = small_network()
    started = time.perf_counter()
    cpu = time.process_time()
    report = import_marc_file(
        paths=[path], library=net.lib_a, workers=workers, batch_size=batch_size
    )
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = time.process_time() - cpu + children.ru_utime + children.ru_stime
    data = report.as_dict()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "read": data["read"],
                "created": data["created"],
                "merged": data["merged"],
                "items_added": data["items_added"],
                "rejected": data["rejected_count"],
            }
        )
    )


def fresh_postgres(url):
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_backend(backend, path, workers, batch_size, tmp):
    env = dict(os.environ)
    if backend == "sqlite":
        db = Path(tmp) / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    else:
        url = os.environ.get("DATABASE_URL", "")
        url = url if url.startswith("postgres") else DEFAULT_PG
        fresh_postgres(url)
        env["DATABASE_URL"] = url
    env["BCI_VAR_DIR"] = str(Path(tmp) / "var")
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(path),
            "--workers",
            str(workers),
            "--batch-size",
            str(batch_size),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{backend} import failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--file", help="import this file instead of generating one")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.workers, args.batch_size)

    tmp = tempfile.mkdtemp(prefix="bench-import-")
    if args.file:
        path = Path(args.file)
    else:
        path = Path(tmp) / "synthetic.mrc"
        seconds = generate(path, args.records, args.seed)
        print(
            f"generated {args.records:,} records in {seconds:.1f} s -> {path} "
            f"({path.stat().st_size / 1e6:.0f} MB)"
        )
    count, seconds, raw_cpu = raw_pymarc(path)
    raw_rate = count / seconds
    raw_cpu_rate = count / raw_cpu
    print(
        f"raw pymarc parse: {count:,} records in {seconds:.1f} s = {raw_rate:,.0f} rec/s "
        f"({raw_cpu_rate:,.0f} per CPU second)"
    )
    rows = []
    for backend in [b.strip() for b in args.databases.split(",") if b.strip()]:
        result = run_backend(backend, path, args.workers, args.batch_size, tmp)
        rate = result["read"] / result["seconds"]
        cpu_rate = result["read"] / result["cpu_seconds"]
        rows.append((backend, result, rate, cpu_rate))
        print(
            f"{backend:9s} import: {result['read']:,} read, {result['created']:,} created, "
            f"{result['merged']:,} merged, {result['items_added']:,} items in "
            f"{result['seconds']:.1f} s = {rate:,.0f} rec/s ({rate / raw_rate:.0%} of raw pymarc); "
            f"{cpu_rate:,.0f} per CPU second ({cpu_rate / raw_cpu_rate:.0%} of raw pymarc's)"
        )
    print()
    print(
        "| backend | records | workers | import rec/s | raw pymarc rec/s | ratio "
        "| import rec/CPU-s | pymarc rec/CPU-s | CPU ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, result, rate, cpu_rate in rows:
        print(
            f"| {backend} | {result['read']:,} | {args.workers} | {rate:,.0f} | "
            f"{raw_rate:,.0f} | {rate / raw_rate:.0%} | {cpu_rate:,.0f} | "
            f"{raw_cpu_rate:,.0f} | {cpu_rate / raw_cpu_rate:.0%} |"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
