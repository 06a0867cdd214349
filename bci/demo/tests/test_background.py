"""Background services: the thread and asyncio base classes, the registry, shutdown order."""

import asyncio
import socket
import threading

import pytest

from bci.core.background import AsyncioService, ThreadService
from bci.demo import background
from bci.demo.background import load_services


class Ticker(ThreadService):
    name = "ticker"

    def __init__(self):
        self.ticks = 0

    def run(self, stop):
        while not stop.wait(0.01):
            self.ticks += 1


class Echo(AsyncioService):
    """A tiny asyncio TCP server, the shape the SIP2 server takes."""

    name = "echo"

    def __init__(self, port=0):
        self.port = port

    async def open(self):
        async def handle(reader, writer):
            writer.write(await reader.readuntil(b"\r"))
            await writer.drain()
            writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self):
        self.server.close()
        await self.server.wait_closed()


def test_thread_service_runs_until_stopped():
    ticker = Ticker()
    ticker.start()
    try:
        assert ticker.running
        threading.Event().wait(0.1)
    finally:
        ticker.stop()
    assert not ticker.running and ticker.ticks > 0
    ticks = ticker.ticks
    threading.Event().wait(0.05)
    assert ticker.ticks == ticks


def test_asyncio_service_serves_a_real_socket_and_stops():
    echo = Echo()
    echo.start()
    try:
        with socket.create_connection(("127.0.0.1", echo.port), timeout=5) as conn:
            conn.sendall(b"9300CNdesk|\r")
            assert conn.recv(100) == b"9300CNdesk|\r"
    finally:
        echo.stop()
    assert not echo.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", echo.port), timeout=1)


def test_asyncio_service_that_cannot_bind_fails_to_start():
    first = Echo()
    first.start()
    try:
        second = Echo(port=first.port)
        with pytest.raises(OSError):
            second.start()
        assert not second.running
    finally:
        first.stop()


def test_registry_is_dotted_paths_and_skip_leaves_one_out(monkeypatch):
    monkeypatch.setattr(
        background,
        "SERVICES",
        ["bci.demo.tests.test_background.Ticker", "bci.demo.tests.test_background.Echo"],
    )
    assert [s.name for s in load_services()] == ["ticker", "echo"]
    assert [s.name for s in load_services(skip={"echo"})] == ["ticker"]
    assert all(isinstance(entry, str) for entry in background.SERVICES)
