import pytest

from .builders import small_catalogue


@pytest.fixture
def cat(net):
    return small_catalogue(net)
