"""Long-running services that run in threads beside the web server.

Every service keeps one contract (``BackgroundService``):

- ``name``: a short identifier ("indexer", "sip2"), a class attribute;
- ``start()``: returns promptly once the service runs; raises if it cannot start (port
  taken);
- ``stop()``: returns once the service has stopped (within a few seconds);
- ``describe()``: one line for the console ("SIP2 on 127.0.0.1:6001").

``ThreadService`` runs a loop in a thread (the search indexer, the job scheduler);
``AsyncioService`` runs an asyncio server in its own event loop (SIP2). Both close the
thread's database connections when it ends. Which services ``bci demo`` runs is listed in
``bci.demo.background.SERVICES``.
"""

import abc
import asyncio
import logging
import threading

from django.db import connections

logger = logging.getLogger(__name__)


class BackgroundService(abc.ABC):
    name = "service"

    @abc.abstractmethod
    def start(self): ...

    @abc.abstractmethod
    def stop(self): ...

    def describe(self):
        return self.name


class ThreadService(BackgroundService):
    """Runs ``self.run(stop)`` in a daemon thread; ``stop`` is a threading.Event to poll::

    class IndexerService(ThreadService):
        name = "indexer"
        def run(self, stop):
            while not stop.wait(1.0):
                drain_queue()
    """

    join_timeout = 10.0

    @abc.abstractmethod
    def run(self, stop: threading.Event): ...

    def start(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name=f"bci-{self.name}", daemon=True)
        self._thread.start()

    def _main(self):
        try:
            self.run(self._stop)
        except Exception:
            logger.exception("background service %s failed", self.name)
        finally:
            connections.close_all()

    def stop(self):
        self._stop.set()
        self._thread.join(self.join_timeout)
        if self._thread.is_alive():
            logger.warning("background service %s did not stop in time", self.name)

    @property
    def running(self):
        return getattr(self, "_thread", None) is not None and self._thread.is_alive()


class AsyncioService(BackgroundService):
    """Runs an asyncio event loop in a thread (the aiosmtpd "controller" pattern)::

    class Sip2Service(AsyncioService):
        name = "sip2"
        async def open(self):            # bind; an exception here fails start()
            self.server = await asyncio.start_server(handle, host, port)
        async def close(self):
            self.server.close()
            await self.server.wait_closed()
    """

    timeout = 10.0

    @abc.abstractmethod
    async def open(self): ...

    async def close(self):
        pass

    def start(self):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=f"bci-{self.name}", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.open(), self.loop).result(self.timeout)
        except BaseException:
            self._halt()
            raise

    def _main(self):
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            try:
                pending = asyncio.all_tasks(self.loop)
                for task in pending:
                    task.cancel()
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()
                connections.close_all()

    def stop(self):
        try:
            asyncio.run_coroutine_threadsafe(self.close(), self.loop).result(self.timeout)
        finally:
            self._halt()

    def _halt(self):
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(self.timeout)

    @property
    def running(self):
        return getattr(self, "_thread", None) is not None and self._thread.is_alive()
