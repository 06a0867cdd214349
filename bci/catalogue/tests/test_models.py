import itertools

import pytest
from django.db import IntegrityError

from bci.catalogue.errors import InvalidStatusTransition
from bci.catalogue.models import IndexQueue, Item, Record
from bci.catalogue.services import change_item_status
from bci.core.models import Event

STATUSES = list(Item.Status)


def make_item(net, status, barcode="T1"):
    record = Record.objects.create(marc={"leader": "", "fields": []}, title="Titel")
    return Item.objects.create(
        barcode=barcode, record=record, owner=net.lib_a, home_branch=net.a1, status=status
    )


def test_transition_table_names_only_known_statuses():
    assert set(Item.TRANSITIONS) == set(STATUSES)
    for targets in Item.TRANSITIONS.values():
        assert targets <= set(STATUSES)


@pytest.mark.parametrize("old, new", list(itertools.product(STATUSES, STATUSES)))
def test_every_status_pair_follows_the_transition_table(net, old, new):
    item = make_item(net, old)
    events = Event.objects.count()
    queued = IndexQueue.objects.count()
    if new in Item.TRANSITIONS[old]:
        change_item_status(item=item, to=new, by="test", location=net.a2)
        item.refresh_from_db()
        assert item.status == new and item.current_location == net.a2
        assert Event.objects.count() == events + 1
        assert IndexQueue.objects.filter(record_id=item.record_id).count() == queued + 1
    else:
        with pytest.raises(InvalidStatusTransition) as info:
            change_item_status(item=item, to=new, by="test", location=net.a2)
        assert info.value.code == "invalid_status_transition"
        item.refresh_from_db()
        assert item.status == old and item.current_location is None
        assert Event.objects.count() == events and IndexQueue.objects.count() == queued


def test_barcode_is_unique_across_the_network(net):
    make_item(net, Item.Status.AVAILABLE, barcode="SAME")
    with pytest.raises(IntegrityError):
        make_item(net, Item.Status.AVAILABLE, barcode="SAME")


def test_price_cannot_be_negative(net):
    item = make_item(net, Item.Status.AVAILABLE)
    item.price = -1
    with pytest.raises(IntegrityError):
        item.save()


def test_withdrawing_or_reinstating_a_copy_moves_the_records_datestamp(net):
    """OAI-PMH harvesters ask for records changed since a date; the holdings are part of
    the record they get, so a copy leaving or rejoining the collection is a change."""
    import datetime as dt

    from django.utils import timezone

    from bci.catalogue.models import Item, Record
    from bci.catalogue.services import change_item_status

    long_ago = timezone.now() - dt.timedelta(days=30)
    record = Record.objects.create(
        marc={"leader": "", "fields": []}, title="Kaas", updated_at=long_ago
    )
    item = Item.objects.create(barcode="W1", record=record, owner=net.lib_a, home_branch=net.a1)
    change_item_status(item=item, to="on_loan")
    record.refresh_from_db()
    assert record.updated_at == long_ago  # circulation is not a change of the record
    change_item_status(item=item, to="available")
    change_item_status(item=item, to="withdrawn")
    record.refresh_from_db()
    assert record.updated_at > long_ago
