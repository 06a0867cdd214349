"""Root fixtures: a small network tree, staff users with roles, an isolated search index."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_var(settings, tmp_path):
    """Each test writes its search index and mails under its own temporary folder."""
    settings.BCI_INDEX_DIR = tmp_path / "index"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def net(db):
    from bci.organisations.tests.factories import small_network

    return small_network()


@pytest.fixture
def make_staff(db):
    """make_staff("desk_staff", node) -> a User holding that role on that node."""
    from bci.accounts.models import RoleAssignment, User

    counter = iter(range(1, 10_000))

    def make(role=None, node=None, *, username=None, **extra):
        user = User.objects.create_user(
            username=username or f"staff{next(counter)}", password="secret-pass-1", **extra
        )
        if role:
            RoleAssignment.objects.create(user=user, role=role, node=node)
        return user

    return make


def pytest_collection_modifyitems(config, items):
    """Race tests need PostgreSQL: on SQLite select_for_update is a no-op."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="race test: runs on PostgreSQL only (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
