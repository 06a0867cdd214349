"""The SIP2 server: asyncio I/O only.

One event loop holds every kiosk connection; each message's handling (Django ORM, sync)
runs in a thread pool so the loop never blocks on the database. Per connection: a
``Session`` (logged-in terminal, error-detection mode, last response for a 97 resend),
an idle timeout, a maximum message size and a budget of malformed messages after which
the connection is closed. Passwords and PINs never reach the log (``messages.redact``).

Run it with ``bci sip2``; ``bci demo`` runs it beside the web server through
``Sip2Service``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections

from bci.core.background import AsyncioService

from .handler import Session, handle, refusal_for_error
from .messages.codec import Message, ParseError, encode, make, parse
from .messages.redaction import describe, redact

logger = logging.getLogger("bci.sip2")

RESEND = make("96")


@dataclass
class Limits:
    max_message: int = 4096  # bytes per message, terminator excluded
    idle_timeout: float = 300.0  # seconds without a complete message before we hang up
    write_timeout: float = 30.0
    malformed_budget: int = 5  # unparseable messages tolerated per connection
    failed_login_budget: int = 3
    max_connections: int = 1000
    handshake_timeout: float = 10.0

    @classmethod
    def from_settings(cls):
        return cls(
            max_message=getattr(settings, "BCI_SIP2_MAX_MESSAGE", cls.max_message),
            idle_timeout=getattr(settings, "BCI_SIP2_IDLE_TIMEOUT", cls.idle_timeout),
            malformed_budget=getattr(settings, "BCI_SIP2_MALFORMED_BUDGET", cls.malformed_budget),
            max_connections=getattr(settings, "BCI_SIP2_MAX_CONNECTIONS", cls.max_connections),
        )


def tls_context(cert_file, key_file):
    """A server-side TLS context (TLS 1.2 or newer) from a PEM certificate and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


def _db_checkup():
    """Django's request-boundary connection hygiene, for a long-lived worker thread: drop a
    connection that errored and is unusable, or that outlived CONN_MAX_AGE. With
    CONN_MAX_AGE 0 (the SQLite default) Django would reconnect for every message (a new
    SQLite connection re-reads the schema: ~1-8 ms); a worker keeps its connection instead."""
    for conn in connections.all(initialized_only=True):
        if not conn.settings_dict.get("CONN_MAX_AGE"):
            conn.close_at = None
        conn.close_if_unusable_or_obsolete()


def _run_handler(message, session):
    """Runs in a worker thread: one message, with connection hygiene around it."""
    _db_checkup()
    try:
        return handle(message, session)
    finally:
        _db_checkup()


def _close_thread_connections(barrier):
    """Close this worker thread's database connections; the barrier makes every worker
    thread take exactly one of these jobs."""
    connections.close_all()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=5)


@dataclass
class Connection:
    peer: str
    session: Session = field(default_factory=Session)
    error_detection: bool = False
    last_response: Message | None = None  # for a 97 resend
    malformed: int = 0


class Sip2Server:
    def __init__(self, *, host="127.0.0.1", port=6001, ssl_context=None, limits=None, workers=8):
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.limits = limits or Limits.from_settings()
        self.workers = workers
        self.connections: set[asyncio.Task] = set()
        self._server: asyncio.base_events.Server | None = None
        self._executor: ThreadPoolExecutor | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self):
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="sip2-handler")
        self._server = await asyncio.start_server(
            self._client,
            self.host,
            self.port,
            ssl=self.ssl_context,
            ssl_handshake_timeout=self.limits.handshake_timeout if self.ssl_context else None,
            limit=self.limits.max_message * 2,
            reuse_address=True,
        )
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        logger.info("SIP2 listening on %s", self.address)
        return self

    @property
    def address(self):
        return f"{self.host}:{self.port}{' (TLS)' if self.ssl_context else ''}"

    async def serve_forever(self):
        if self._server is None:
            await self.start()
        async with self._server:
            await self._server.serve_forever()

    async def close(self):
        if self._server is not None:
            self._server.close()
        for task in list(self.connections):
            task.cancel()
        if self.connections:
            await asyncio.gather(*self.connections, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        if self._executor is not None:
            # close each worker thread's database connection, then stop the pool
            barrier = threading.Barrier(self.workers)
            jobs = [
                self._executor.submit(_close_thread_connections, barrier)
                for _ in range(self.workers)
            ]
            for job in jobs:
                with contextlib.suppress(Exception):
                    job.result(5)
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    # --- one connection ----------------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        task = asyncio.current_task()
        peer = writer.get_extra_info("peername")
        conn = Connection(peer=f"{peer[0]}:{peer[1]}" if peer else "?")
        conn.session.peer = conn.peer
        if len(self.connections) >= self.limits.max_connections:
            logger.warning("SIP2 %s refused: too many connections", conn.peer)
            writer.close()
            return
        self.connections.add(task)
        try:
            await self._serve(conn, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            logger.info("SIP2 %s connection lost: %s", conn.peer, type(exc).__name__)
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("SIP2 %s connection failed", conn.peer)
        finally:
            self.connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)
            logger.info("SIP2 %s closed (terminal %s)", conn.peer, conn.session.login or "-")

    async def _serve(self, conn, reader, writer):
        limits = self.limits
        buffer = bytearray()
        discarding = False  # inside an oversized message: drop bytes until a terminator
        while True:
            # take every complete message already in the buffer
            while True:
                cut = _find_terminator(buffer)
                if cut < 0:
                    break
                raw = bytes(buffer[:cut])
                del buffer[: cut + 1]
                if discarding:
                    discarding = False
                    continue
                if not raw.strip(b"\r\n"):
                    continue  # the LF of a CRLF, or an empty line
                if not await self._message(conn, raw, writer):
                    return
            if len(buffer) > limits.max_message:
                logger.warning("SIP2 %s message over %d bytes", conn.peer, limits.max_message)
                buffer.clear()
                discarding = True
                if not await self._malformed(conn, writer, "too long"):
                    return
            try:
                chunk = await asyncio.wait_for(reader.read(65536), limits.idle_timeout)
            except TimeoutError:
                logger.info("SIP2 %s idle for %ss: closing", conn.peer, limits.idle_timeout)
                return
            if not chunk:
                return  # the kiosk hung up
            if discarding:
                cut = _find_terminator(chunk)
                if cut < 0:
                    continue
                chunk = chunk[cut + 1 :]
                discarding = False
            buffer += chunk

    async def _message(self, conn, raw, writer) -> bool:
        """Answer one message. False: close the connection."""
        try:
            message = parse(raw, max_length=self.limits.max_message)
        except ParseError as exc:
            logger.warning(
                "SIP2 %s malformed message (%s): %s",
                conn.peer,
                redact(exc.reason),
                redact(raw),
            )
            if exc.kind == "checksum":
                conn.error_detection = True
            return await self._malformed(conn, writer, exc.reason)

        # The error-detection mode follows the kiosk's last message (as Evergreen does).
        conn.error_detection = message.checksummed
        logger.debug("SIP2 %s <- %s", conn.peer, describe(message))

        if message.code == "97":
            # Resend the last answer; per the spec without its sequence number (the checksum
            # is recomputed), as Evergreen does. Nothing sent yet: ask the kiosk to resend.
            await self._send(conn, writer, conn.last_response or RESEND, remember=False)
            return True
        try:
            response = await asyncio.get_running_loop().run_in_executor(
                self._executor, _run_handler, message, conn.session
            )
        except Exception:
            logger.exception("SIP2 %s handler failed on %s", conn.peer, describe(message))
            response = refusal_for_error(message)
        if response is None:  # a message type we do not answer: ask for something else
            return await self._malformed(conn, writer, f"unsupported message {message.code}")
        await self._send(conn, writer, response, sequence=message.sequence)
        if conn.session.failed_logins >= self.limits.failed_login_budget:
            logger.warning("SIP2 %s too many failed logins: closing", conn.peer)
            return False
        return True

    async def _malformed(self, conn, writer, reason) -> bool:
        conn.malformed += 1
        if conn.malformed > self.limits.malformed_budget:
            logger.warning(
                "SIP2 %s exceeded %d malformed messages: closing",
                conn.peer,
                self.limits.malformed_budget,
            )
            return False
        await self._send(conn, writer, RESEND, remember=False)
        return True

    async def _send(self, conn, writer, message, *, sequence=None, remember=True):
        data = encode(message, error_detection=conn.error_detection, sequence=sequence)
        if remember:
            conn.last_response = message
        logger.debug("SIP2 %s -> %s", conn.peer, describe(message))
        await self._write(writer, data)

    async def _write(self, writer, data):
        writer.write(data)
        await asyncio.wait_for(writer.drain(), self.limits.write_timeout)


def _find_terminator(data) -> int:
    """Index of the first CR or LF in ``data`` or -1."""
    cr = data.find(b"\r")
    lf = data.find(b"\n")
    if cr < 0:
        return lf
    if lf < 0:
        return cr
    return min(cr, lf)


# --- a server in a background thread (bci demo, tests) ------------------------------------------


class Sip2Service(AsyncioService):
    """The SIP2 server in its own thread and event loop, for ``bci demo`` and tests."""

    name = "sip2"

    def __init__(self, *, host=None, port=None, ssl_context=None, limits=None, workers=8):
        host = host or settings.BCI_SIP2_HOST
        port = settings.BCI_SIP2_PORT if port is None else port
        if ssl_context is None and settings.BCI_SIP2_TLS_CERT:
            ssl_context = tls_context(settings.BCI_SIP2_TLS_CERT, settings.BCI_SIP2_TLS_KEY)
        self.server = Sip2Server(
            host=host, port=port, ssl_context=ssl_context, limits=limits, workers=workers
        )

    async def open(self):
        await self.server.start()

    async def close(self):
        await self.server.close()

    def start(self):
        super().start()
        return self

    def describe(self):
        return f"SIP2 on {self.server.address}"

    @property
    def port(self):
        return self.server.port
