"""bci reindex: rebuild the catalogue search index from the database."""

import time

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bci.catalogue.search import rebuild_index
from bci.catalogue.search.index import IndexBusy, get_index


class Command(BaseCommand):
    help = "Rebuild the catalogue search index from the database."

    def handle(self, *args, **options):
        console = Console(file=self.stdout, stderr=False)
        started = time.monotonic()
        with Progress(
            TextColumn("[bold]Indexing records"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=options.get("verbosity", 1) == 0,
        ) as bar:
            task = bar.add_task("index", total=None, rate="")

            def progress(done, total):
                elapsed = max(time.monotonic() - started, 1e-6)
                bar.update(task, completed=done, total=total, rate=f"{done / elapsed:,.0f}/s")

            try:
                count = rebuild_index(progress=progress)
            except IndexBusy as exc:
                raise CommandError(
                    f"The search index is locked by another writer; try again. ({exc})"
                ) from exc
        elapsed = time.monotonic() - started
        path = get_index().path
        console.print(
            f"Indexed [bold]{count:,}[/bold] records in {elapsed:.1f} s "
            f"({count / max(elapsed, 1e-6):,.0f}/s) into {path}"
        )
