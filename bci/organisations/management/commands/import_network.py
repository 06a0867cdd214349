"""``bci import-network FILE.csv``: load or update the network tree from a CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from bci.organisations.errors import NetworkImportError
from bci.organisations.models import Node
from bci.organisations.services import import_network


class Command(BaseCommand):
    help = (
        "Load or update the network (POIs, library organisations, locations) from a CSV "
        "with the columns province,poi,organisation,branch,town,lat,lon,kind,confidence. "
        "Nothing changes when a line is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument("--network-code", help="code of the network root (default BCI)")
        parser.add_argument("--network-name", help="name of the network root")

    def handle(self, *args, file, network_code=None, network_name=None, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            result = import_network(
                file=file,
                by="bci import-network",
                network_code=network_code,
                network_name=network_name,
            )
        except NetworkImportError as exc:
            raise CommandError(f"{file}: {exc}") from None
        console = Console(file=self.stdout._out)
        print_summary(console, result, title=f"{file.name}: {result.rows} rows")


def print_summary(console, result, *, title):
    table = Table(title=title)
    table.add_column("kind")
    for heading in ("created", "updated", "unchanged"):
        table.add_column(heading, justify="right")
    labels = dict(Node.Kind.choices)
    for kind in Node.Kind.values:
        counts = [result.created[kind], result.updated[kind], result.unchanged[kind]]
        if any(counts):
            table.add_row(str(labels[kind]), *(str(c) for c in counts))
    console.print(table)
