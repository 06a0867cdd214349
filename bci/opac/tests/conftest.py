import pytest

from .builders import small_catalogue


@pytest.fixture
def cat(net):
    return small_catalogue(net)


@pytest.fixture
def nojs_page(_chromium, monkeypatch):
    """Like the root ``browser_page`` but with JavaScript switched off."""
    import asyncio

    browser, loop = _chromium
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    asyncio._set_running_loop(loop)
    context = browser.new_context(locale="nl-NL", java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()
        asyncio._set_running_loop(None)
