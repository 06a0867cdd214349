"""Race tests for stored plans: only meaningful on PostgreSQL (select_for_update is a
no-op on SQLite)."""

import threading

import pytest
from django.db import connection

from bci.logistics.models import PlanStop, RoutePlan
from bci.logistics.planning import plan_day
from bci.logistics.plans import PlanInProgress, record_arrival, store_plan
from bci.organisations.tests.factories import small_network

from .test_plans import WEDNESDAY, plan, stop_at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(5))
def test_an_arrival_and_planning_again_at_once_never_lose_the_arrival(round_):
    net = small_network()
    kept = plan(net)
    eta = stop_at(kept, net.a2).eta
    again = plan_day(net.depot, WEDNESDAY, time_limit=0.2)
    barrier, results = threading.Barrier(2), {}

    def run(name, fn):
        try:
            barrier.wait()
            results[name] = ("ok", fn())
        except PlanInProgress as exc:
            results[name] = ("refused", exc.code)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[name] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("store", lambda: store_plan(again))),
        threading.Thread(
            target=run, args=("arrive", lambda: record_arrival(at=net.a2, by="van", now=eta))
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results["arrive"][0] == "ok", results
    assert results["store"][0] in ("ok", "refused"), results
    # Either the new plan came first and the arrival landed on it, or the plan was kept.
    assert PlanStop.objects.filter(node=net.a2, arrived_at=eta).count() == 1
    assert PlanStop.objects.count() == 3 and RoutePlan.objects.count() == 1
