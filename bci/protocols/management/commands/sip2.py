"""``bci sip2``: run the SIP2 server for self-service kiosks (Ctrl-C or SIGTERM stops it)."""

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bci.protocols.sip2.server import Limits, Sip2Server, tls_context


class Command(BaseCommand):
    help = "Run the SIP2 server (3M SIP 2.00) for self-service kiosks and return sorters."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.BCI_SIP2_HOST)
        parser.add_argument("--port", type=int, default=settings.BCI_SIP2_PORT)
        parser.add_argument("--tls-cert", default=settings.BCI_SIP2_TLS_CERT,
                            help="PEM certificate: serve SIP2 over TLS")  # fmt: skip
        parser.add_argument("--tls-key", default=settings.BCI_SIP2_TLS_KEY, help="PEM key")
        parser.add_argument("--workers", type=int, default=8,
                            help="threads that run the database work")  # fmt: skip
        parser.add_argument("--idle-timeout", type=float, default=None,
                            help="seconds a connection may stay silent")  # fmt: skip

    def handle(self, *args, host, port, tls_cert, tls_key, workers, idle_timeout, **options):
        if bool(tls_cert) != bool(tls_key):
            raise CommandError("--tls-cert and --tls-key go together.")
        try:
            context = tls_context(tls_cert, tls_key) if tls_cert else None
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot load the TLS certificate/key: {exc}") from exc
        limits = Limits.from_settings()
        if idle_timeout:
            limits.idle_timeout = idle_timeout
        server = Sip2Server(
            host=host, port=port, ssl_context=context, limits=limits, workers=workers
        )
        try:
            asyncio.run(self._run(server))
        except KeyboardInterrupt:
            pass
        self.stdout.write("SIP2 server stopped.")

    async def _run(self, server):
        try:
            await server.start()
        except OSError as exc:
            raise CommandError(f"Cannot listen on {server.host}:{server.port}: {exc}") from exc
        self.stdout.write(f"SIP2 server on {server.address} (Ctrl-C to stop)")
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.close()
