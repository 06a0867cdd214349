import pytest


@pytest.fixture(autouse=True)
def _desk_installed(settings):
    """Install and mount the desk for these tests (no-op once the project does)."""
    if "bci.desk" not in settings.INSTALLED_APPS:
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "bci.desk"]
    settings.ROOT_URLCONF = "bci.desk.tests.urls"
