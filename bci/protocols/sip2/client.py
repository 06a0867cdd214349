"""A small blocking SIP2 client (a scripted kiosk): for tests, benchmarks and smoke checks.

with Sip2Client("127.0.0.1", 6001, error_detection=True) as kiosk:
    kiosk.login("kiosk-1", "secret-pass")
    reply = kiosk.request("23", {"language": "005", "transaction_date": now}, [...])
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl

from .messages.codec import Message, encode, make, parse
from .messages.dates import format_date


class Sip2Client:
    def __init__(self, host, port, *, ssl_context=None, error_detection=False, timeout=10.0):
        self.host, self.port = host, port
        self.ssl_context = ssl_context
        self.error_detection = error_detection
        self.timeout = timeout
        self.sequence = 0
        self.sock = None
        self._buffer = b""
        self.last_raw = b""  # the last response as received (with AY/AZ when present)

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    def connect(self):
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock
        return self

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    # --- raw ------------------------------------------------------------------------------
    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def read_raw(self) -> bytes:
        """One response (up to its CR). Raises ConnectionError when the server hung up."""
        while b"\r" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\r")
        self.last_raw = line + b"\r"
        return self.last_raw

    # --- messages ---------------------------------------------------------------------------
    def send(self, message: Message) -> Message:
        sequence = None
        if self.error_detection:
            sequence = self.sequence
            self.sequence = (self.sequence + 1) % 10
        self.send_raw(encode(message, error_detection=self.error_detection, sequence=sequence))
        return parse(self.read_raw())

    def request(self, code, fixed=None, fields=()):
        return self.send(make(code, fixed or {}, fields))

    @staticmethod
    def now():
        return format_date(dt.datetime.now().replace(microsecond=0))

    def login(self, user, password, location=""):
        reply = self.request(
            "93",
            {"uid_algorithm": "0", "pwd_algorithm": "0"},
            [("CN", user), ("CO", password), ("CP", location)],
        )
        return reply.fixed["ok"] == "1"

    def sc_status(self):
        return self.request(
            "99", {"status_code": "0", "max_print_width": "040", "protocol_version": "2.00"}
        )


def client_tls_context(cafile=None):
    """A client context trusting ``cafile`` (a self-signed server certificate)."""
    context = ssl.create_default_context(cafile=cafile)
    context.check_hostname = False
    return context
