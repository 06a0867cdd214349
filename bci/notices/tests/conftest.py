import pytest

from .factories import portal_world


@pytest.fixture
def world(net):
    return portal_world(net)
