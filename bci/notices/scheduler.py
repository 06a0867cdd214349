"""The demo's periodic jobs, run by APScheduler beside the web server.

Registered in ``bci.demo.background.SERVICES``: notices from new events every
``BCI_NOTICE_INTERVAL`` seconds (default 30), reminders and the hold expiries hourly, the
retention jobs daily. Each job runs in the scheduler's worker thread and closes that
thread's database connection when done; ``max_instances=1`` and ``coalesce`` keep a slow
run from piling up.
"""

import logging

from django.conf import settings
from django.db import connections

from bci.core.background import BackgroundService

log = logging.getLogger(__name__)


def _job(func):
    def run():
        try:
            func()
        except Exception:
            log.exception("scheduled job %s failed", func.__name__)
        finally:
            connections.close_all()

    run.__name__ = func.__name__
    return run


def notices_from_events():
    from .services import process_events

    process_events()


def reminders():
    from .services import send_reminders

    send_reminders()


def hold_expiries():
    from bci.circulation.services import expire_hold_shelf, expire_holds

    expire_holds()
    expire_hold_shelf()


def retention():
    from .privacy import run_retention

    run_retention()


def jobs():
    interval = int(getattr(settings, "BCI_NOTICE_INTERVAL", 30))
    return [
        (notices_from_events, {"seconds": interval}),
        (hold_expiries, {"hours": 1}),
        (reminders, {"hours": 1}),
        (retention, {"hours": 24}),
    ]


class SchedulerService(BackgroundService):
    name = "scheduler"

    def start(self):
        from apscheduler.schedulers.background import BackgroundScheduler
        from django.utils import timezone

        self.scheduler = BackgroundScheduler(
            timezone=settings.TIME_ZONE,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            executors={"default": {"type": "threadpool", "max_workers": 1}},
        )
        now = timezone.now()
        for func, every in jobs():
            self.scheduler.add_job(
                _job(func), "interval", id=func.__name__, next_run_time=now, **every
            )
        self.scheduler.start()

    def stop(self):
        self.scheduler.shutdown(wait=True)

    def describe(self):
        return "scheduler (notices, reminders, hold expiries, retention)"
