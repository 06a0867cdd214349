"""``bci demo``: set up var/, migrate, seed the demo, print the logins and serve."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from rich.console import Console
from rich.table import Table

from bci.demo.background import load_services
from bci.demo.server import serve_command
from bci.demo.steps.staff import demo_logins

from .seed_demo import seed


def database_description():
    """ "SQLite /path/bci.sqlite3 (journal: wal)" or "PostgreSQL bci"."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
        return f"SQLite {db['NAME']} (journal: {mode})"
    return f"{connection.display_name} {db['NAME']}"


class Command(BaseCommand):
    help = (
        "Run the demo: create var/, migrate, seed (idempotent), print the demo logins and "
        "serve with waitress beside the background services. Stop with Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
        parser.add_argument("--threads", type=int, default=8, help="web worker threads")
        parser.add_argument("--no-sip2", action="store_true", help="do not start the SIP2 server")
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            metavar="SERVICE",
            help="do not start this background service (repeatable)",
        )
        parser.add_argument("--steps", help="comma-separated seed steps (default: all)")
        parser.add_argument("--no-progress", action="store_true", help="no progress display")

    def handle(self, *args, host, port, threads, no_sip2, skip, steps, no_progress, **options):
        console = Console(file=self.stdout._out)
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        console.print(f"[bold]BCI demo[/] in {settings.VAR_DIR}")
        with console.status("Migrating the database"):
            call_command("migrate", interactive=False, verbosity=0)
        console.print(f"Database: {database_description()}")
        seed(console, steps=steps, show_progress=not no_progress)

        logins = Table(title="Demo logins")
        for heading in ("user", "role", "scope", "password"):
            logins.add_column(heading)
        for row in demo_logins():
            logins.add_row(*row)
        console.print(logins)

        skipped = set(skip) | ({"sip2"} if no_sip2 else set())
        services = load_services(skip=skipped)

        def ready(url):
            console.print(f"[bold green]Serving on {url}[/] (Ctrl-C to stop)")
            console.print(f"  network overview: {url}network/")
            console.print(f"  staff admin:      {url}admin/")

        serve_command(
            host=host,
            port=port,
            threads=threads,
            services=services,
            console=console,
            on_ready=ready,
        )
