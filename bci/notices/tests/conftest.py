import pytest

from .factories import portal_world


@pytest.fixture
def fast_hashing(settings):
    """PIN hashing at test speed (one test checks the real Argon2 hasher)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(net, fast_hashing):
    return portal_world(net)
