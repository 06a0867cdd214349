"""``bci seed-demo``: load the demo data (idempotent: run it as often as you like)."""

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from bci.demo.seed import STEPS, count_rows, run_seed, step_name, summary_table


class Command(BaseCommand):
    help = "Seed the demo data: network, opening hours, holidays, staff and later steps."

    def add_arguments(self, parser):
        parser.add_argument(
            "--steps",
            help="comma-separated step names to run (default: all: "
            + ", ".join(step_name(p) for p in STEPS)
            + ")",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress display")

    def handle(self, *args, steps=None, no_progress=False, **options):
        console = Console(file=self.stdout._out)
        seed(console, steps=steps, show_progress=not no_progress)


def seed(console, *, steps=None, show_progress=True):
    only = [s.strip() for s in steps.split(",") if s.strip()] if steps else None
    before = count_rows()
    try:
        results = run_seed(console=console, only=only, show_progress=show_progress)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    table, counts = summary_table(results, before, count_rows())
    console.print(table)
    console.print(counts)
    return results
