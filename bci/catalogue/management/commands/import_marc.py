"""bci import-marc FILE... --library CODE: load MARC records and their items."""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from bci.catalogue.errors import ImportOptionsInvalid, NotMarcFile
from bci.catalogue.marc.branches import ImportSetupError, read_branch_map
from bci.catalogue.services import import_marc_file
from bci.organisations.models import Node


class Command(BaseCommand):
    help = (
        "Import MARC records (ISO 2709 or MARCXML) with their items for one library "
        "organisation. Records are de-duplicated against the shared catalogue (PPN, "
        "ISBN/ISSN, 035, title/author/year key); re-running a file adds nothing new and an "
        "interrupted run resumes."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--library", required=True, help="code of the library organisation")
        parser.add_argument("--format", default="auto", choices=["auto", "iso2709", "marcxml"])
        parser.add_argument(
            "--items",
            default="auto",
            help="holdings field: auto, none, 852, 949, 952, 999, or TAG:attr=code,... "
            "(attrs: barcode branch shelf call type price status owner)",
        )
        parser.add_argument(
            "--branch-map",
            metavar="CSV",
            help="CSV of source_branch_code,node_code lines mapping holdings branch codes "
            "to branches of the library",
        )
        parser.add_argument(
            "--default-branch",
            metavar="CODE",
            help="branch for unmapped codes (default: the organisation's main branch)",
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--workers",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="processes parsing ISO 2709 records beside the writer (default: CPUs, max 4)",
        )
        parser.add_argument("--dry-run", action="store_true", help="do everything, keep nothing")
        parser.add_argument("--report", metavar="FILE", help="write the JSON report here")

    def handle(self, *args, **opts):
        console = Console(stderr=True, quiet=opts["verbosity"] == 0)
        library = Node.objects.filter(code=opts["library"]).first()
        if library is None:
            raise CommandError(f"No library organisation with code {opts['library']!r}.")
        paths = [Path(p) for p in opts["files"]]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        try:
            branch_map = read_branch_map(opts["branch_map"]) if opts["branch_map"] else None
        except ImportSetupError as exc:
            raise CommandError(str(exc)) from None
        total = sum(p.stat().st_size for p in paths)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[records]:,} records, {task.fields[rate]:,.0f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("import", total=total, records=0, rate=0.0)
            state = {"records": 0, "base": 0, "file_index": 0, "last": 0}

            def progress(records, offset):
                state["records"] += records
                elapsed = bar.tasks[0].elapsed or 1e-9
                bar.update(
                    task,
                    completed=state["base"] + offset,
                    records=state["records"],
                    rate=state["records"] / elapsed,
                )

            try:
                report = import_marc_file(
                    paths=paths,
                    library=library,
                    fmt=opts["format"],
                    items=opts["items"],
                    branch_map=branch_map,
                    default_branch=opts["default_branch"],
                    dry_run=opts["dry_run"],
                    batch_size=opts["batch_size"],
                    by="import-marc",
                    progress=progress,
                    workers=opts["workers"],
                )
            except (NotMarcFile, ImportOptionsInvalid) as exc:
                raise CommandError(str(exc)) from None
            bar.update(task, completed=total)
        data = report.as_dict()
        table = Table(title="MARC import" + (" (dry run: nothing kept)" if opts["dry_run"] else ""))
        table.add_column("")
        table.add_column("count", justify="right")
        for key in (
            "read",
            "created",
            "merged",
            "unchanged",
            "items_added",
            "items_already_present",
            "rejected_count",
            "items_rejected_count",
        ):
            table.add_row(key.replace("_", " "), f"{data[key]:,}")
        table.add_row("records/s", f"{data['records_per_second'] or 0:,.0f}")
        Console(quiet=opts["verbosity"] == 0).print(table)
        for entry in data["rejected"][:10]:
            console.print(
                f"[red]rejected[/red] record {entry['record']} at byte {entry['offset']}: "
                f"{entry['reason']}"
            )
        if data["rejected_count"] > 10:
            console.print(f"... and {data['rejected_count'] - 10} more (see --report)")
        if opts["report"]:
            Path(opts["report"]).write_text(json.dumps(data, indent=2, ensure_ascii=False))
