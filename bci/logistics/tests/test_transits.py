import pytest
from django.db import IntegrityError, transaction

from bci.circulation.tests.factories import make_item, make_record
from bci.logistics import errors
from bci.logistics.models import Transit
from bci.logistics.services import (
    cancel_transit,
    create_transit,
    dispatch_transit,
    open_transit,
    receive_transit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(net):
    return make_item(make_record(), net.a1)


def test_funding_streams_are_kept_apart(net, item):
    inside = create_transit(item=item, from_node=net.a1, to_node=net.a2, reason="return_home")
    assert inside.funding == Transit.Funding.PAID
    cancel_transit(transit=inside)
    between = create_transit(item=item, from_node=net.a1, to_node=net.c1, reason="hold")
    assert between.funding == Transit.Funding.IBL


def test_one_open_transit_per_item(net, item):
    create_transit(item=item, from_node=net.a1, to_node=net.b1, reason="hold")
    with pytest.raises(errors.TransitAlreadyOpen):
        create_transit(item=item, from_node=net.a1, to_node=net.c1, reason="hold")
    with pytest.raises(IntegrityError), transaction.atomic():
        Transit.objects.create(
            item=item, from_node=net.a1, to_node=net.c1, reason="hold", funding="ibl"
        )
    assert Transit.objects.count() == 1


def test_receive_only_at_destination(net, item):
    transit = create_transit(item=item, from_node=net.a1, to_node=net.b1, reason="hold")
    with pytest.raises(errors.WrongDestination):
        receive_transit(transit=transit, at=net.c1)
    dispatch_transit(transit=transit)
    done = receive_transit(transit=transit, at=net.b1)
    assert done.status == Transit.Status.RECEIVED and done.received_at is not None
    assert open_transit(item) is None
    with pytest.raises(errors.TransitNotOpen):
        cancel_transit(transit=done)
    # a new movement may start once the old one is closed
    create_transit(item=item, from_node=net.b1, to_node=net.a1, reason="return_home")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"to": "a1"},  # same place
        {"to": None},
        {"to": "b1", "reason": "teleport"},
    ],
)
def test_malformed_transit_is_refused(net, item, kwargs):
    to = getattr(net, kwargs["to"]) if kwargs["to"] else None
    with pytest.raises(errors.InvalidTransit):
        create_transit(item=item, from_node=net.a1, to_node=to, reason=kwargs.get("reason", "hold"))
    assert Transit.objects.count() == 0


def test_transition_table():
    S = Transit.Status
    assert Transit.can_transition(S.CREATED, S.DISPATCHED)
    assert Transit.can_transition(S.DISPATCHED, S.RECEIVED)
    assert not Transit.can_transition(S.RECEIVED, S.CANCELLED)
    assert not Transit.can_transition(S.CANCELLED, S.CREATED)
    for state in S:
        assert state in Transit.TRANSITIONS
