"""Root fixtures: a small network tree, staff users with roles, an isolated search index."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_var(settings, tmp_path):
    """Each test writes its search index and mails under its own temporary folder."""
    settings.VAR_DIR = tmp_path / "var"
    settings.BCI_INDEX_DIR = tmp_path / "index"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Argon2 at production cost takes ~0.5 s a hash on this machine; same algorithm, cheap.
    settings.PASSWORD_HASHERS = [
        "bci.core.testing.CheapArgon2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    from django.core.cache import cache

    cache.clear()  # lockout and rate-limit counters never leak from one test to the next


@pytest.fixture(autouse=True)
def _default_language():
    """A request to /en/... leaves English active in the thread: start each test in Dutch."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


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


# --- real browser (Playwright + Debian chromium) -----------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def _chromium():
    """One chromium for the whole session, started on first use.

    Playwright's sync API keeps its asyncio loop marked as running in this thread, which
    makes Django refuse database access ("async context"). The loop is marked running only
    while a browser test runs (see ``browser_page``); other tests keep Django's guard.
    """
    import asyncio
    import os

    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install "
            "chromium; .ci/run installs it)"
        )
    manager = sync_playwright()
    playwright = manager.start()
    loop = asyncio.get_running_loop()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    asyncio._set_running_loop(None)
    yield browser, loop
    asyncio._set_running_loop(loop)
    try:
        browser.close()
    finally:
        playwright.stop()
        asyncio._set_running_loop(None)


@pytest.fixture
def browser_page(_chromium, monkeypatch):
    """A fresh browser page (own context: no cookies shared between tests), Dutch locale.

    Use with pytest-django's ``live_server``: ``browser_page.goto(live_server.url + path)``.
    Mark such tests ``@pytest.mark.browser``.
    """
    import asyncio

    browser, loop = _chromium
    # The test body talks to the database while Playwright's loop counts as running.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    asyncio._set_running_loop(loop)
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
        asyncio._set_running_loop(None)
