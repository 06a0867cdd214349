"""bci export-marc --library CODE --format marcxml|iso2709 OUT: a library's holdings."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bci.catalogue.marc.export import export_library
from bci.catalogue.models import Item
from bci.organisations.models import Node


class Command(BaseCommand):
    help = (
        "Export every record holding items of one library organisation, with the items in "
        "852 ($a owner, $b branch, $c shelf code, $h call number, $p barcode, $w material "
        "type, $s status, $9 price). `bci import-marc --items 852` reads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", metavar="OUT")
        parser.add_argument("--library", required=True)
        parser.add_argument("--format", default="marcxml", choices=["marcxml", "iso2709"])

    def handle(self, *args, **opts):
        library = Node.objects.filter(code=opts["library"], kind=Node.Kind.ORGANISATION).first()
        if library is None:
            raise CommandError(f"No library organisation with code {opts['library']!r}.")
        out = Path(opts["out"])
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory")
        console = Console(stderr=True, quiet=opts["verbosity"] == 0)
        total = Item.objects.filter(owner=library).values("record_id").distinct().count()
        tmp = out.with_name(out.name + ".partial")
        with Progress(
            TextColumn("export"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("export", total=total)
            with tmp.open("wb") as handle:
                counts = export_library(
                    library=library,
                    fmt=opts["format"],
                    handle=handle,
                    progress=lambda n: bar.advance(task, n),
                )
        tmp.replace(out)
        console.print(
            f"{counts['records']:,} records with {counts['items']:,} items written to {out}"
        )
        if counts["skipped"]:
            console.print(json.dumps(counts["skipped"][:20]))
