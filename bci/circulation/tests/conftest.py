import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bci.patrons.tests.factories import card_of, make_patron

from .factories import make_item, make_record

AMS = ZoneInfo("Europe/Amsterdam")
# Wednesday 2 December 2026, 11:00 in Amsterdam: all test branches are open
NOW = dt.datetime(2026, 12, 2, 11, 0, tzinfo=AMS)
TODAY = NOW.date()


def at(days=0, hours=0):
    return NOW + dt.timedelta(days=days, hours=hours)


@pytest.fixture
def world(net):
    """The small network with a patron of library A and a title with one copy at A-1."""
    patron = make_patron(net.lib_a, last_name="Jansen")
    record = make_record("De avonden")
    item = make_item(record, net.a1, barcode="ITEM-A1")
    return SimpleNamespace(net=net, patron=patron, card=card_of(patron), record=record, item=item)
