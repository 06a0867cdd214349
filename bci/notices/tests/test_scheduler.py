from bci.demo.background import SERVICES, load_services
from bci.notices import scheduler


def test_scheduler_is_a_demo_service():
    assert "bci.notices.scheduler.SchedulerService" in SERVICES
    assert "scheduler" in [s.name for s in load_services(skip=("sip2",))]


def test_scheduler_starts_with_every_job_and_stops(settings, monkeypatch):
    ran = []
    monkeypatch.setattr(scheduler, "jobs", lambda: [(lambda: ran.append(1), {"hours": 1})])
    service = scheduler.SchedulerService()
    service.start()
    try:
        assert [job.id for job in service.scheduler.get_jobs()] == ["<lambda>"]
    finally:
        service.stop()
    assert not service.scheduler.running


def test_job_list_covers_notices_reminders_expiries_and_retention():
    names = [func.__name__ for func, _every in scheduler.jobs()]
    assert names == ["notices_from_events", "hold_expiries", "reminders", "retention"]


def test_a_failing_job_is_logged_and_closes_its_connection(caplog):
    def broken():
        raise RuntimeError("boom")

    scheduler._job(broken)()
    assert "scheduled job broken failed" in caplog.text
