"""Catalogue search benchmark: 1,000,000 synthetic records, 1,000 mixed queries.

    uv run python bench/search.py [--n 1000000] [--queries 1000] [--dir /tmp/bci-bench-search]
                                  [--http http://127.0.0.1:8123]

The records are synthetic ``RecordData`` (Zipf-distributed Dutch-looking vocabulary,
authors, subjects, items over 20 libraries / 80 branches) indexed with the product's own
schema and ``build_document`` into an index folder of its own (no database). The queries run
through the product's query service (``bci.catalogue.search.search`` pointed at that
folder, facet counts on) and, in the same run, through bare tantivy (``Index.parse_query``
with AND between words + ``Searcher.search`` with a count, no facets, no fuzzy, no
identifier lookup). With ``--http`` the same queries are sent to the catalogue API
(GET /api/v1/catalogue/records?q=...) of a server whose BCI_INDEX_DIR is the bench --dir;
``--seed-db`` first puts the records those queries show into that server's (scratch)
database. Indexing runs in a child process, so the RSS reported is the search process's:

    BCI_VAR_DIR=/tmp/bench-var uv run bci migrate
    BCI_VAR_DIR=/tmp/bench-var uv run python bench/search.py --seed-db
    BCI_VAR_DIR=/tmp/bench-var BCI_INDEX_DIR=/tmp/bci-bench-search uv run bci serve --port 8123
    uv run python bench/search.py --http http://127.0.0.1:8123
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
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


from bci.catalogue.search import schema as S  # noqa: E402
from bci.catalogue.search import search  # noqa: E402
from bci.catalogue.search.documents import ItemData, RecordData, build_document  # noqa: E402
from bci.catalogue.search.index import CatalogueIndex  # noqa: E402

DUTCH = """boek huis zee kind kinderen fiets fietsen water land stad dorp school vriend
vrienden liefde oorlog vrede nacht dag avond morgen zomer winter herfst lente reis reizen
geheim geheimen kat hond paard vogel bos boom bomen bloem tuin weg straat brug kasteel
koning koningin prins prinses draak heks ridder piraat schat eiland berg rivier meer strand
schip trein auto vliegtuig muziek kunst geschiedenis oorlogen familie moeder vader zus broer
opa oma meisje jongen man vrouw leven dood tijd wereld nederland amsterdam rotterdam
utrecht holland europa avontuur avonturen verhaal verhalen sprookje sprookjes dieren dier
koken recepten tuinieren gezondheid sport voetbal politiek economie wetenschap natuur
sterren ruimte planeet computer internet taal talen woorden gedichten liedjes spel spelletjes
moord detective thriller roman misdaad spion spionnen zwart wit rood groen blauw groot klein
oud nieuw eerste laatste lange korte stille donkere lichte verloren gevonden vergeten""".split()
SYLLABLES = (
    "ka ro me li sa to ver ba de ni lo ju wa ke mo pe ri ta zo el an er in on aar oor".split()
)
FIRST = """Anna Piet Jan Kees Marieke Sanne Lotte Daan Bram Sophie Emma Lucas Noah Julia Tess
Annie Paul Harry Gerard Hella Thea Toon Joke Jacques Willem Hendrik Maria Els Fenna Ruben
Johan Ingrid Karel Lieke Mies Geert Arnon Tonke Guus Dolf""".split()
LAST = """Jansen Vries Bakker Visser Smit Meijer Mulder Bos Vos Peters Hendriks Dekker Brouwer
Dijkstra Schmidt Mulisch Reve Hermans Schmidt Kuijer Biegel Terlouw Dragt Wolkers Koch
Grunberg Palmen Japin Enquist Moor Noort Berg Leeuwen Wit Groot Kok Jonker Koster Prins""".split()
LANGS = ["dut"] * 70 + ["eng"] * 18 + ["ger"] * 5 + ["fre"] * 4 + ["fry", "tur", "ara"]
MATERIALS = (
    ["book"] * 60
    + ["picture_book"] * 10
    + ["large_print"] * 4
    + ["comic"] * 5
    + ["audiobook"] * 6
    + ["dvd"] * 5
    + ["magazine"] * 4
    + ["game", "music", "ebook", "sheet_music", "map", "other"]
)
STATUSES = ["available"] * 70 + ["on_loan"] * 22 + ["in_transit"] * 4 + ["on_hold_shelf"] * 3
STATUSES += ["missing"]
LIBRARIES = [f"LIB-{i:02d}" for i in range(20)]
BRANCHES = {lib: [f"{lib}-B{j}" for j in range(4)] for lib in LIBRARIES}


def vocabulary(rng, size=60_000):
    words = list(DUTCH)
    seen = set(words)
    while len(words) < size:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


class Zipf:
    """Draw indexes 0..n-1 with probability ~ 1/(i+1)^s (precomputed cumulative table)."""

    def __init__(self, rng, n, s=1.05):
        import bisect
        import itertools

        self.rng, self.bisect = rng, bisect.bisect
        weights = [1.0 / (i + 1) ** s for i in range(n)]
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self):
        return min(self.bisect(self.cum, self.rng.random() * self.total), len(self.cum) - 1)


class Generator:
    def __init__(self, seed=42):
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.word = Zipf(self.rng, len(self.words))
        rng = self.rng
        self.authors = [
            f"{rng.choice(LAST)}{rng.choice(['', 'man', 'sma', 'ink', 'stra', 'ing'])}, "
            f"{rng.choice(FIRST)}"
            for _ in range(120_000)
        ]
        self.author = Zipf(rng, len(self.authors), 0.9)
        self.subjects = [
            " ".join(self.words[self.word()] for _ in range(rng.randint(1, 2))).capitalize()
            for _ in range(3000)
        ]
        self.subject = Zipf(rng, len(self.subjects), 1.0)

    def record(self, rid):
        rng = self.rng
        title = " ".join(self.words[self.word()] for _ in range(rng.randint(2, 7))).capitalize()
        authors = [self.authors[self.author()] for _ in range(rng.choice((0, 1, 1, 1, 1, 2)))]
        subjects = [self.subjects[self.subject()] for _ in range(rng.randint(0, 3))]
        items = []
        for n in range(rng.choice((1, 1, 2, 2, 3, 4))):
            lib = LIBRARIES[min(int(rng.expovariate(0.15)), len(LIBRARIES) - 1)]
            branch = rng.choice(BRANCHES[lib])
            items.append(ItemData(f"BC{rid:08d}{n}", rng.choice(STATUSES), lib, branch, ""))
        return RecordData(
            id=rid,
            title=title,
            subtitle="",
            authors=authors,
            subjects=subjects,
            publisher=rng.choice(["Querido", "De Bezige Bij", "Lemniscaat", "Ploegsma", ""]),
            year=max(1900, min(2025, int(rng.gauss(2008, 14)))),
            language=rng.choice(LANGS),
            material_type=rng.choice(MATERIALS),
            audience=rng.choice(("adult", "adult", "youth", "unknown")),
            identifiers=[("isbn", f"978{rid:09d}")],
            items=items,
        )


def build(path, n, seed):
    """Index ``n`` synthetic records into ``path`` (run in a child process)."""
    index = CatalogueIndex(path)
    gen = Generator(seed)
    t0 = time.perf_counter()
    with index.writer(heap_size=400_000_000, num_threads=2) as writer:
        writer.delete_all_documents()
        for rid in range(1, n + 1):
            writer.add_document(build_document(gen.record(rid)))
            if rid % 100_000 == 0:
                rate = rid / (time.perf_counter() - t0)
                print(f"  indexed {rid:,} ({rate:,.0f}/s)", flush=True)
        writer.commit()
    took = time.perf_counter() - t0
    (Path(path) / "bench.json").write_text(json.dumps({"n": n, "seed": seed, "seconds": took}))
    print(f"  built {n:,} docs in {took:.0f} s ({n / took:,.0f}/s)", flush=True)


def make_queries(gen, count, seed):
    """(kind, q, filters) triples: rare/common term, phrase, two-term AND, author;
    half of them with one or two facet filters."""
    rng = random.Random(seed + 1)
    words = gen.words
    common = words[:40]
    rare = words[5000:60000]
    queries = []
    kinds = ["rare", "common", "phrase", "and2", "author"]
    for i in range(count):
        kind = kinds[i % len(kinds)]
        if kind == "rare":
            q = rng.choice(rare)
        elif kind == "common":
            q = rng.choice(common)
        elif kind == "phrase":
            t = gen.record(10**9).title.lower().split()  # a title shaped like the corpus's
            j = rng.randrange(max(1, len(t) - 1))
            q = '"' + " ".join(t[j : j + 2]) + '"'
        elif kind == "and2":
            q = f"{words[gen.word()]} {words[gen.word()]}"
        else:
            q = gen.authors[gen.author()].split(",")[0]
        filters = None
        if i % 2:
            choice = rng.random()
            if choice < 0.4:
                filters = {"material_type": ["book"]}
            elif choice < 0.7:
                filters = {"library": [rng.choice(LIBRARIES[:8])]}
            else:
                lib = rng.choice(LIBRARIES[:8])
                filters = {"available_at": [rng.choice(BRANCHES[lib])], "language": ["dut"]}
        queries.append((kind, q, filters))
    return queries


def bare_query_string(q, filters):
    parts = [f"({q})"]
    for name, values in (filters or {}).items():
        parts.append("(" + " OR ".join(f'{S.FACET_FIELDS[name]}:"{v}"' for v in values) + ")")
    return " AND ".join(parts)


def pct(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def summary(name, times_ms):
    return {
        "name": name,
        "n": len(times_ms),
        "p50": pct(times_ms, 50),
        "p95": pct(times_ms, 95),
        "p99": pct(times_ms, 99),
        "mean": statistics.fmean(times_ms),
    }


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def seed_db(index, queries, n, seed):
    """Put the records that the queries' first pages show into the configured database
    (with their items and a network of 20 libraries / 80 branches), so that the HTTP API
    serialises real rows. Run against a scratch database (BCI_VAR_DIR=/tmp/...)."""
    from django.db import transaction

    from bci.catalogue.models import Item, Record
    from bci.organisations.models import Node

    wanted = set()
    for _, q, f in queries:
        wanted.update(h.record_id for h in search(q, filters=f, index=index, facets=False).hits)
    print(f"Seeding {len(wanted):,} records into the database...", flush=True)
    with transaction.atomic():
        net = Node.objects.filter(kind="network").first() or Node.objects.create(
            kind="network", code="BENCH-NL", name="Bench network"
        )
        poi = Node.objects.get_or_create(
            code="BENCH-POI", defaults={"kind": "poi", "name": "Bench POI", "parent": net}
        )[0]
        nodes = {}
        for lib in LIBRARIES:
            org = Node.objects.get_or_create(
                code=lib, defaults={"kind": "organisation", "name": lib, "parent": poi}
            )[0]
            nodes[lib] = org
            for code in BRANCHES[lib]:
                nodes[code] = Node.objects.get_or_create(
                    code=code, defaults={"kind": "branch", "name": code, "parent": org}
                )[0]
        Item.objects.filter(record_id__in=wanted).delete()
        Record.objects.filter(id__in=wanted).delete()
        gen = Generator(seed)
        records, items = [], []
        for rid in range(1, n + 1):
            data = gen.record(rid)
            if rid not in wanted:
                continue
            records.append(
                Record(
                    id=rid,
                    marc={"leader": "00000nam a2200000 a 4500", "fields": []},
                    title=data.title,
                    authors=data.authors,
                    main_author=(data.authors or [""])[0],
                    subjects=data.subjects,
                    publisher=data.publisher,
                    year=data.year,
                    language=data.language,
                    material_type=data.material_type,
                    audience=data.audience,
                    sort_title=S.sort_key(data.title),
                )
            )
            for it in data.items:
                items.append(
                    Item(
                        barcode=it.barcode,
                        record_id=rid,
                        owner=nodes[it.owner],
                        home_branch=nodes[it.home_branch],
                        status=it.status,
                    )
                )
        Record.objects.bulk_create(records, batch_size=500)
        Item.objects.bulk_create(items, batch_size=500)
    print(f"  {len(records):,} records, {len(items):,} items", flush=True)


def run_http(base, queries):
    times = []
    errors = 0
    for _, q, filters in queries:
        params = [("q", q)]
        for name, values in (filters or {}).items():
            params += [(name, v) for v in values]
        url = f"{base}/api/v1/catalogue/records?{urllib.parse.urlencode(params)}"
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:
                resp.read()
                if resp.status != 200:
                    errors += 1
        except Exception:
            errors += 1
        times.append((time.perf_counter() - t) * 1000)
    return times, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--dir", default="/tmp/bci-bench-search")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--http", default="", help="base URL of a server on the bench index")
    ap.add_argument(
        "--seed-db",
        action="store_true",
        help="put the hit records into the configured (scratch!) database for --http",
    )
    ap.add_argument("--rebuild", action="store_true", help="rebuild even if the index exists")
    ap.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", default="", help="write the figures to this file")
    args = ap.parse_args()
    path = Path(args.dir) / f"records-v{S.SCHEMA_VERSION}"
    if args.build_only:
        build(path, args.n, args.seed)
        return
    meta = path / "bench.json"
    current = json.loads(meta.read_text()) if meta.exists() else {}
    if args.rebuild or current.get("n") != args.n or current.get("seed") != args.seed:
        print(f"Building a {args.n:,}-record index in {path} (child process)...", flush=True)
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--build-only",
                "--n",
                str(args.n),
                "--dir",
                args.dir,
                "--seed",
                str(args.seed),
            ],
            check=True,
        )
        current = json.loads(meta.read_text())
    else:
        print(f"Reusing the {args.n:,}-record index in {path}", flush=True)

    index = CatalogueIndex(path)
    searcher = index.searcher()
    print(f"docs: {searcher.num_docs:,}, segments: {searcher.num_segments}", flush=True)
    gen = Generator(args.seed)
    queries = make_queries(gen, args.queries, args.seed)
    if args.seed_db:
        seed_db(index, queries, args.n, args.seed)
        return
    rss_before = rss_mb()

    def service(q, filters):
        return search(q, filters=filters, index=index, facets=True).total

    def service_nofacets(q, filters):
        return search(q, filters=filters, index=index, facets=False).total

    def bare(q, filters):
        query = index.index.parse_query(
            bare_query_string(q, filters),
            default_field_names=[S.TITLE, S.AUTHOR, S.ALL],
            field_boosts=S.BOOSTS,
            conjunction_by_default=True,
        )
        return index.searcher().search(query, 20, count=True).count

    runs = {"service (facets)": service, "service (no facets)": service_nofacets, "bare": bare}
    for fn in runs.values():  # warm-up: page cache and lazily loaded columns
        for _, q, f in queries[:100]:
            fn(q, f)
    times = {name: [] for name in runs}
    cpu_times = {name: [] for name in runs}
    kind_times = {name: {} for name in runs}
    totals = {name: [] for name in runs}
    # Interleave the three per query so that they see the same machine load. Wall time is
    # what a user waits; CPU time (this process) is the work, unaffected by other load.
    for kind, q, f in queries:
        for name, fn in runs.items():
            c = time.process_time()
            t = time.perf_counter()
            totals[name].append(fn(q, f))
            ms = (time.perf_counter() - t) * 1000
            cpu_times[name].append((time.process_time() - c) * 1000)
            times[name].append(ms)
            kind_times[name].setdefault(kind + ("+filter" if f else ""), []).append(ms)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "n_docs": searcher.num_docs,
        "segments": searcher.num_segments,
        "queries": len(queries),
        "build_seconds": current.get("seconds"),
        "results": [summary(name, t) for name, t in times.items()],
        "cpu_results": [summary(name, t) for name, t in cpu_times.items()],
        "load_average": os.getloadavg(),
        "by_kind_p95": {
            name: {k: round(pct(v, 95), 2) for k, v in sorted(d.items())}
            for name, d in kind_times.items()
        },
        "mean_hits": {name: statistics.fmean(v) for name, v in totals.items()},
        "rss_mb_before_queries": round(rss_before, 1),
        "rss_mb": round(rss_mb(), 1),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }
    if args.http:
        http_times, errors = run_http(args.http.rstrip("/"), queries[:100])  # warm-up
        http_times, errors = run_http(args.http.rstrip("/"), queries)
        report["results"].append(summary("HTTP API", http_times))
        report["http_errors"] = errors
    svc = next(r for r in report["results"] if r["name"] == "service (facets)")
    bare_p95 = next(r for r in report["results"] if r["name"] == "bare")["p95"]
    report["ratio_p95_service_vs_bare"] = round(svc["p95"] / bare_p95, 2)
    nof = next(r for r in report["results"] if r["name"] == "service (no facets)")
    report["ratio_p95_service_nofacets_vs_bare"] = round(nof["p95"] / bare_p95, 2)
    print(f"\n{report['n_docs']:,} docs, {report['queries']} queries")
    print(f"{'':22} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean':>8}")
    for r in report["results"]:
        print(f"{r['name']:22} {r['p50']:8.2f} {r['p95']:8.2f} {r['p99']:8.2f} {r['mean']:8.2f}")
    print("CPU time of this process per query (not inflated by other load):")
    for r in report["cpu_results"]:
        print(f"{r['name']:22} {r['p50']:8.2f} {r['p95']:8.2f} {r['p99']:8.2f} {r['mean']:8.2f}")
    print(f"service p95 / bare p95 (wall): {report['ratio_p95_service_vs_bare']}")
    print(f"load average during the run: {report['load_average']}")
    print(f"p95 by kind: {json.dumps(report['by_kind_p95'], indent=1)}")
    print(f"RSS: {report['rss_mb']} MB (max {report['max_rss_mb']} MB)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
