"""Serve the WSGI application with waitress, with background services beside it.

Used by ``bci serve`` and ``bci demo``. Waitress (a production WSGI server, see
docs/decisions/0002-waitress.md) runs in the main thread; static files come through
WhiteNoise (in the middleware, with ``WHITENOISE_USE_FINDERS``, so no collectstatic step is
needed). Ctrl-C or SIGTERM stops the web server, then the background services in reverse
order.
"""

import logging
import signal
import threading

from django.conf import settings

logger = logging.getLogger(__name__)


class _Stop(KeyboardInterrupt):
    """Raised in the main thread by the SIGTERM handler; waitress stops on it like Ctrl-C."""


def _on_sigterm(signum, frame):
    raise _Stop()


def create_server(*, host, port, threads=8):
    """A waitress server bound to host:port (port 0 picks a free port) serving config.wsgi."""
    from waitress import create_server as waitress_server

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it
    from config.wsgi import application

    return waitress_server(application, host=host, port=port, threads=threads, ident="BCI")


def server_url(server):
    host = server.effective_host
    if ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{server.effective_port}/"


def serve(*, host, port, services=(), threads=8, console=None, on_ready=None):
    """Start ``services``, then serve until Ctrl-C/SIGTERM; stop everything on the way out.

    ``on_ready(url)`` is called once the socket listens and the services run.
    """
    server = create_server(host=host, port=port, threads=threads)  # OSError: port taken
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous = signal.signal(signal.SIGTERM, _on_sigterm), signal.getsignal(signal.SIGINT)
    started = []
    try:
        for service in services:
            service.start()
            started.append(service)
            if console is not None:
                console.print(f"  started {service.describe()}")
        url = server_url(server)
        if on_ready is not None:
            on_ready(url)
        server.run()  # returns on KeyboardInterrupt (Ctrl-C) or _Stop (SIGTERM)
    except KeyboardInterrupt:
        pass  # a signal before the loop ran: stop quietly all the same
    finally:
        if in_main_thread:  # no second signal may interrupt the shutdown
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            server.task_dispatcher.shutdown()
            server.close()
        except Exception:
            logger.exception("closing the web server failed")
        for service in reversed(started):
            try:
                service.stop()
                if console is not None:
                    console.print(f"  stopped {service.name}")
            except Exception:
                logger.exception("stopping %s failed", service.name)
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous[0] or signal.SIG_DFL)
            signal.signal(signal.SIGINT, previous[1] or signal.default_int_handler)


def serve_command(*, host, port, threads, services, console, on_ready):
    """``serve`` for the ``bci serve`` and ``bci demo`` commands: a taken port or a service
    that cannot start becomes a clear CommandError."""
    from django.core.management.base import CommandError

    try:
        serve(
            host=host,
            port=port,
            threads=threads,
            services=services,
            console=console,
            on_ready=on_ready,
        )
    except OSError as exc:
        raise CommandError(f"cannot serve on {host}:{port}: {exc}") from exc
    console.print("Stopped.")
