"""`bci serve` and `bci demo`: a real waitress server, signals, background services."""

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from rich.console import Console

from bci.demo import server as demo_server

ROOT = Path(settings.BASE_DIR)


class Recorder:
    """A background service that notes when it starts and stops."""

    def __init__(self, name, log):
        self.name, self.log = name, log

    def start(self):
        self.log.append(f"start {self.name}")

    def stop(self):
        self.log.append(f"stop {self.name}")

    def describe(self):
        return self.name


def test_serve_runs_services_around_waitress_and_stops_on_sigterm():
    """In-process: the main thread serves; a helper thread fetches a static file (WhiteNoise,
    no database) and then sends SIGTERM, as a process manager would."""
    log, fetched = [], {}

    def on_ready(url):
        log.append("ready")

        def fetch_then_terminate():
            try:
                with urllib.request.urlopen(url + "static/admin/css/base.css", timeout=10) as r:
                    fetched["status"] = r.status
                    fetched["body"] = r.read(200)
            finally:
                os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=fetch_then_terminate, daemon=True).start()

    previous = signal.getsignal(signal.SIGTERM)
    demo_server.serve(
        host="127.0.0.1",
        port=0,
        threads=2,
        services=[Recorder("indexer", log), Recorder("sip2", log)],
        console=Console(file=io.StringIO()),
        on_ready=on_ready,
    )
    assert fetched["status"] == 200 and fetched["body"]
    assert log == ["start indexer", "start sip2", "ready", "stop sip2", "stop indexer"]
    assert signal.getsignal(signal.SIGTERM) == previous


def test_a_service_that_fails_to_start_stops_the_ones_started():
    log = []

    class Broken(Recorder):
        def start(self):
            raise OSError("port taken")

    with pytest.raises(OSError, match="port taken"):
        demo_server.serve(
            host="127.0.0.1",
            port=0,
            services=[Recorder("indexer", log), Broken("sip2", log)],
            console=Console(file=io.StringIO()),
        )
    assert log == ["start indexer", "stop indexer"]


def test_bci_demo_smoke(tmp_path):
    """`bci demo` on an empty var/: migrates, seeds, serves the network page, stops on
    SIGTERM. The seed is narrowed to the network step to keep the test cheap."""
    env = {
        **os.environ,
        "BCI_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'bci.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bci.core.cli", "demo", "--port", "0", "--steps", "network"]
        + ["--no-progress", "--no-sip2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    try:
        url = None
        for line in process.stdout:
            output.append(line)
            found = re.search(r"Serving on (http://\S+/)", line)
            if found:
                url = found.group(1)
                break
            assert time.monotonic() - started < 60, "".join(output)
        assert url, "".join(output)
        with urllib.request.urlopen(url + "network/", timeout=20) as response:
            assert response.status == 200
            page = response.read().decode()
        assert "Bibliotheek Z-O-U-T" in page  # the network page lists the organisations
        text = "".join(output)
        assert "journal: wal" in text
        assert (tmp_path / "var" / "bci.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=20)
    assert process.returncode == 0, "".join(output) + rest
    assert "Stopped." in rest


def test_serve_refuses_a_taken_port_cleanly():
    import socket

    from django.core.management import CommandError, call_command

    previous = signal.getsignal(signal.SIGTERM)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"cannot serve on 127.0.0.1:{port}"):
            call_command("serve", "--port", str(port), stdout=io.StringIO())
    assert signal.getsignal(signal.SIGTERM) == previous
