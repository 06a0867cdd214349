"""bci retarget_holds: full re-optimisation of copy assignments (recovery)."""

import time

from django.core.management.base import BaseCommand
from rich.progress import Progress

from bci.circulation.targeting import records_with_waiting_holds, retarget_all


class Command(BaseCommand):
    help = "Re-assign copies to every waiting hold (first come, first served per title)."

    def handle(self, *args, **options):
        total = records_with_waiting_holds().count()
        started = time.perf_counter()
        with Progress(disable=options["verbosity"] == 0 or total == 0) as progress:
            task = progress.add_task("Holds", total=total)
            records, changed = retarget_all(
                by="retarget_holds", progress=lambda n: progress.advance(task, n)
            )
        if options["verbosity"]:
            self.stdout.write(
                f"{records} titles with waiting holds, {changed} assignments changed "
                f"in {time.perf_counter() - started:.1f} s"
            )
