"""bci index-worker: keep the search index in step with the database until Ctrl-C."""

import logging
import threading

from django.core.management.base import BaseCommand

from bci.catalogue.search import run_indexer


class Command(BaseCommand):
    help = "Drain the search index queue continuously (Ctrl-C stops)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=0.5, help="seconds between polls when idle"
        )

    def handle(self, *args, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        interval = max(0.05, options["interval"])
        stop = threading.Event()
        self.stdout.write(f"Index worker running (poll every {interval:g} s); Ctrl-C stops.")
        worker = threading.Thread(target=run_indexer, args=(stop, interval), daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.5)
        except KeyboardInterrupt:
            self.stdout.write("Stopping...")
        finally:
            stop.set()
            worker.join(10)
        self.stdout.write("Index worker stopped.")
