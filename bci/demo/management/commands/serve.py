"""``bci serve``: serve the site with waitress (a production WSGI server, not runserver)."""

from django.core.management.base import BaseCommand
from rich.console import Console

from bci.demo.background import load_services
from bci.demo.server import serve_command


class Command(BaseCommand):
    help = "Serve BCI with waitress; static files through WhiteNoise. Stop with Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
        parser.add_argument("--threads", type=int, default=8, help="worker threads")
        parser.add_argument(
            "--with-services",
            action="store_true",
            help="also run the background services (search indexer, SIP2) as `bci demo` does",
        )

    def handle(self, *args, host, port, threads, with_services=False, **options):
        console = Console(file=self.stdout._out)
        services = load_services() if with_services else []

        def ready(url):
            console.print(f"Serving on {url} (Ctrl-C to stop)")

        serve_command(
            host=host,
            port=port,
            threads=threads,
            services=services,
            console=console,
            on_ready=ready,
        )
