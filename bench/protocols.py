"""Protocol benchmark: OAI-PMH harvest rate and SRU searchRetrieve latency.

    BCI_VAR_DIR=/tmp/bench-protocols uv run python bench/protocols.py [--n 20000]
        [--queries 200] [--repeat 3] [--http http://127.0.0.1:8123]

1. OAI-PMH: a full ``ListRecords`` harvest with ``metadataPrefix=marc21`` following the
   resumption tokens, in process through Django's test client (the whole view stack, no
   socket), reported as records/s. With ``--http`` the harvest goes over HTTP to a running
   server instead (e.g. the demo: ``uv run bci demo`` and ``--http http://127.0.0.1:8000``),
   harvesting whatever catalogue it holds.
2. SRU: the same queries through the search service (``bci.catalogue.search.search``,
   10 hits, no facets) and through ``/sru`` searchRetrieve (10 MARCXML records with 852
   holdings), p50/p95 and their ratio.

Without ``--http`` the catalogue is the database under BCI_VAR_DIR: migrated if needed,
and, when it holds fewer than ``--n`` records, filled with synthetic records (realistic
MARC-in-JSON with ~20 fields, 1-4 items each, over a network tree it creates if missing)
and indexed; with ``--demo`` it is the demo catalogue instead (``bci seed-demo`` steps
network and catalogue; size with BCI_DEMO_TITLES, default 50,000). Use a scratch
BCI_VAR_DIR: the bench writes to that database.

    BCI_VAR_DIR=/tmp/bench-demo BCI_DEMO_TITLES=20000 uv run python bench/protocols.py --demo
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

WORDS = """boek huis zee kind fiets water land stad dorp school vriend liefde oorlog vrede
nacht dag avond zomer winter reis geheim kat hond paard vogel bos boom tuin weg brug kasteel
koning prinses draak heks ridder piraat schat eiland berg rivier strand schip trein muziek
geschiedenis familie moeder vader meisje jongen leven tijd wereld avontuur verhaal dieren
koken sport voetbal natuur sterren ruimte taal gedichten moord detective roman spion""".split()
LAST = """Jansen Vries Bakker Visser Smit Meijer Mulder Bos Vos Peters Dekker Brouwer Dijkstra
Mulisch Reve Hermans Kuijer Biegel Terlouw Dragt Wolkers Koch Grunberg Palmen Japin""".split()
FIRST = "Anna Piet Jan Kees Marieke Sanne Daan Bram Sophie Emma Harry Gerard Hella Thea".split()
QUERIES = [  # (CQL for SRU, the same search for the search service)
    ("{w}", "{w}"),
    ("dc.title = {w}", "title:{w}"),
    ("{w} and {v}", "{w} {v}"),
    ("{w} or {v}", "{w} OR {v}"),
    ("dc.creator = {a}", "author:{a}"),
]


def ensure_network():
    from bci.organisations.models import Node

    libraries = list(Node.objects.organisations())
    if libraries:
        return libraries
    net = Node.objects.filter(kind="network").first() or Node.objects.create(
        kind="network", code="BENCH-NL", name="Bench network"
    )
    for p in range(2):
        poi = Node.objects.create(kind="poi", code=f"BENCH-POI{p}", name=f"POI {p}", parent=net)
        for o in range(4):
            org = Node.objects.create(
                kind="organisation", code=f"BENCH-{p}{o}", name=f"Bieb {p}{o}", parent=poi
            )
            for b in range(3):
                Node.objects.create(
                    kind="branch", code=f"BENCH-{p}{o}-{b}", name=f"Vestiging {b}", parent=org
                )
    return list(Node.objects.organisations())


def marc_json(rng, rid, title, author, year, isbn):
    def df(tag, *subs, ind1=" ", ind2=" "):
        return {tag: {"ind1": ind1, "ind2": ind2, "subfields": [{c: v} for c, v in subs]}}

    subjects = rng.sample(WORDS, 2)
    return {
        "leader": "00000nam a2200000 i 4500",
        "fields": [
            {"001": f"{100000000 + rid}"},
            {"003": "NL-LeOCL"},
            {"005": "20240501120000.0"},
            {"008": f"240501s{year}    ne            000 1 dut d"},
            df("020", ("a", isbn), ("q", "paperback")),
            df("035", ("a", f"(NL-LeOCL){100000000 + rid}")),
            df("040", ("a", "NL-LeOCL"), ("b", "dut"), ("e", "rda")),
            df("041", ("a", "dut")),
            df("082", ("a", f"{rng.randint(100, 999)}.{rng.randint(1, 9)}"), ind1="0", ind2="4"),
            df("100", ("a", author), ("4", "aut"), ind1="1"),
            df("245", ("a", title), ("c", author), ind1="1", ind2="0"),
            df("250", ("a", f"{rng.randint(1, 9)}e druk")),
            df("264", ("a", "Amsterdam"), ("b", "Uitgeverij"), ("c", str(year)), ind2="1"),
            df("300", ("a", f"{rng.randint(60, 600)} pagina's"), ("c", "22 cm")),
            df("336", ("a", "tekst"), ("b", "txt"), ("2", "rdacontent")),
            df("337", ("a", "zonder medium"), ("b", "n"), ("2", "rdamedia")),
            df("338", ("a", "volume"), ("b", "nc"), ("2", "rdacarrier")),
            df("520", ("a", " ".join(rng.choices(WORDS, k=25)).capitalize() + ".")),
            df("650", ("a", subjects[0]), ind2="7"),
            df("650", ("a", subjects[1]), ind2="7"),
            df("700", ("a", f"{rng.choice(LAST)}, {rng.choice(FIRST)}"), ("4", "ill"), ind1="1"),
        ],
    }


def seed(n, rng):
    from stdnum import ean as stdnum_ean

    from bci.catalogue.models import Identifier, Item, Record
    from bci.catalogue.search import rebuild_index

    have = Record.objects.count()
    if have >= n:
        ensure_index()
        return have
    libraries = ensure_network()
    branches = {lib.id: list(lib.children.all()) or [lib] for lib in libraries}
    now = timezone.now()
    barcode = Item.objects.count()
    chunk = 1000
    for start in range(have, n, chunk):
        records, idents, items = [], [], []
        for rid in range(start, min(start + chunk, n)):
            title = " ".join(rng.sample(WORDS, rng.randint(2, 5))).capitalize()
            author = f"{rng.choice(LAST)}, {rng.choice(FIRST)}"
            year = rng.randint(1950, 2025)
            body = f"978{rng.randint(0, 10**9 - 1):09d}"
            isbn = body + stdnum_ean.calc_check_digit(body)
            records.append(
                Record(
                    marc=marc_json(rng, rid, title, author, year, isbn),
                    title=title,
                    authors=[author],
                    main_author=author,
                    year=year,
                    language="dut",
                    subjects=[],
                    sort_title=title.lower(),
                    updated_at=now - __import__("datetime").timedelta(seconds=n - rid),
                )
            )
            idents.append(isbn)
        with transaction.atomic():
            created = Record.objects.bulk_create(records)
            Identifier.objects.bulk_create(
                [
                    Identifier(record=r, scheme="isbn", value=isbn)
                    for r, isbn in zip(created, idents, strict=True)
                ]
            )
            for r in created:
                for lib in rng.sample(libraries, rng.randint(1, min(4, len(libraries)))):
                    barcode += 1
                    items.append(
                        Item(
                            barcode=f"BENCH{barcode:09d}",
                            record=r,
                            owner=lib,
                            home_branch=rng.choice(branches[lib.id]),
                            shelf_code="ROMA",
                            call_number=f"ROMA {r.main_author[:4].upper()}",
                        )
                    )
            Item.objects.bulk_create(items)
        print(f"  seeded {min(start + chunk, n):,} / {n:,} records", end="\r", flush=True)
    print()
    print("  indexing ...", flush=True)
    rebuild_index()
    return Record.objects.count()


def ensure_index():
    """(Re)build the search index when it does not hold every live record (first run, or
    a new index schema version)."""
    from bci.catalogue.models import Record
    from bci.catalogue.search import rebuild_index
    from bci.catalogue.search.index import get_index

    live = Record.objects.filter(deleted_at__isnull=True).count()
    if get_index().searcher().num_docs != live:
        print("  indexing ...", flush=True)
        rebuild_index()


# --- OAI-PMH --------------------------------------------------------------------------------


def harvest(get):
    """(records, wall seconds, CPU seconds, pages) of a full ListRecords marc21 harvest;
    ``get(params)`` -> bytes. In process (no --http) the CPU time is the whole work: the
    view and SQLite run in this thread, so it shows the rate on a machine not shared."""
    token_re = re.compile(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>")
    ident_re = re.compile(rb"<header(?: [^>]*)?><identifier>([^<]+)</identifier>")
    seen = set()
    params = {"verb": "ListRecords", "metadataPrefix": "marc21"}
    records = pages = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    while True:
        body = get(params)
        pages += 1
        identifiers = ident_re.findall(body)
        records += len(identifiers)
        seen.update(identifiers)
        if b"<error" in body:
            raise SystemExit(f"OAI error: {body[:500]!r}")
        match = token_re.search(body)
        if not match:
            break
        params = {"verb": "ListRecords", "resumptionToken": match.group(1).decode()}
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if len(seen) != records:
        print(f"  !! {records - len(seen)} records came more than once")
    return records, wall, cpu, pages


def client_get(client, path):
    def get(params):
        response = client.get(path, params, HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code
        return response.content

    return get


def http_get(base, path):
    def get(params):
        url = f"{base.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.read()

    return get


# --- SRU ------------------------------------------------------------------------------------


def make_queries(rng, count):
    out = []
    for i in range(count):
        cql_form, box_form = QUERIES[i % len(QUERIES)]
        values = {"w": rng.choice(WORDS), "v": rng.choice(WORDS), "a": rng.choice(LAST).lower()}
        out.append((cql_form.format(**values), box_form.format(**values)))
    return out


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def sru_latencies(get, queries):
    """{path: [(wall s, CPU s)]} per query: the search service as the OPAC calls it (20
    hits, facet counts), the bare search (10 ids, no facets), SRU searchRetrieve (10
    MARCXML records with holdings, through the whole Django stack)."""
    from bci.catalogue.search import search

    paths = {
        "search service, as the OPAC (20 ids + facets)": lambda c, b: search(b),
        "search service, bare (10 ids, no facets)": lambda c, b: search(
            b, per_page=10, facets=False
        ),
        "SRU searchRetrieve (10 MARCXML records)": lambda c, b: get(
            {"version": "1.2", "query": c, "maximumRecords": "10"}
        ),
    }
    for cql_query, box_query in queries[:5]:  # warm every path first
        for run in paths.values():
            run(cql_query, box_query)
    out = {name: [] for name in paths}
    for cql_query, box_query in queries:
        for name, run in paths.items():
            t, c = time.perf_counter(), time.process_time()
            result = run(cql_query, box_query)
            out[name].append((time.perf_counter() - t, time.process_time() - c))
            if isinstance(result, bytes) and b"diagnostic/1/" in result:
                raise SystemExit(f"SRU diagnostic for {cql_query!r}: {result[:400]!r}")
    return out


def report_latency(latencies):
    names = list(latencies)
    sru = names[-1]
    for label, which in (("wall clock", 0), ("CPU time", 1)):
        print(f"SRU latency, {label}:")
        p95 = {}
        for name in names:
            values = [x[which] * 1000 for x in latencies[name]]
            p95[name] = percentile(values, 95)
            print(f"  {name:<48} p50 {percentile(values, 50):6.1f} ms  p95 {p95[name]:6.1f} ms")
        for name in names[:-1]:
            print(f"  SRU p95 / p95 of the {name}: {p95[sru] / p95[name]:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="records in the scratch catalogue")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--http", help="harvest/search a running server instead")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="full harvests to run")
    parser.add_argument(
        "--demo", action="store_true", help="the demo catalogue (bci seed-demo) instead of --n"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    if args.http:
        get_oai, get_sru = http_get(args.http, "/oai"), http_get(args.http, "/sru")
        print(f"Harvesting {args.http}/oai")
    else:
        from django.conf import settings

        from bci.catalogue.models import Record

        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        print(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", verbosity=0)
        if args.demo:
            print("Seeding the demo network and catalogue (BCI_DEMO_TITLES titles) ...")
            call_command("seed_demo", steps="network,catalogue", no_progress=True)
            ensure_index()
            total = Record.objects.count()
        else:
            total = seed(args.n, rng)
        print(f"Catalogue: {total:,} records (tombstones included)")
        client = Client()
        get_oai, get_sru = client_get(client, "/oai"), client_get(client, "/sru")

    rates, cpu_rates = [], []
    for _ in range(args.repeat):
        records, seconds, cpu, pages = harvest(get_oai)
        rates.append(records / seconds)
        if not args.http and records != total:
            print(f"  !! harvested {records:,} records, the catalogue holds {total:,}")
        cpu_rates.append(records / cpu)
        print(
            f"OAI-PMH ListRecords marc21: {records:,} records in {pages} pages, "
            f"{seconds:.2f} s = {records / seconds:,.0f} records/s "
            f"(CPU {cpu:.2f} s = {records / cpu:,.0f} records per CPU-second)"
        )
    print(
        f"OAI-PMH harvest over {args.repeat} runs: median {statistics.median(rates):,.0f} "
        f"records/s wall clock, {statistics.median(cpu_rates):,.0f} records per CPU-second; "
        f"load average {os.getloadavg()[0]:.1f}"
    )

    if args.http:
        return
    queries = make_queries(rng, args.queries)
    report_latency(sru_latencies(get_sru, queries))


if __name__ == "__main__":
    main()
