"""Browser fixtures: one Chromium per test session, a fresh context (cookies, storage) per page.

The tests drive pytest-django's `live_server` (a real threaded WSGI server on loopback, real
transactions). Chromium is Debian's package, installed before the first test when a run
needs it and it is missing (see chromium.py). Screenshots go to $SCREENSHOT_DIR, by default
var/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e import chromium

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "a-Strong-pass-42"  # what tests.conftest.make_user gives everyone
TIMEOUT_MS = 8_000  # a page that takes longer than this is a failure, not a wait


def pytest_collection_finish(session):
    """Before any test runs: make sure the selected browser tests have their Chromium, or stop
    the run with the one line that says how to get it."""
    if session.config.option.collectonly:
        return
    if not any("browser" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    try:
        chromium.ensure(say=reporter.write_line if reporter else print)
    except chromium.ChromiumMissing as missing:
        pytest.exit(str(missing), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a new browser context (its own cookies): new_page(viewport=PHONE)."""
    contexts = []

    def make(viewport=None, **options):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport or DESKTOP, locale="en-US", **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop-sized page (1280x800) in a fresh context, pointed at the live server."""
    return new_page()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
    if not path.is_absolute():
        path = Path.cwd() / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def settled(page) -> None:
    """Wait until htmx has swapped and settled: a control it swapped in listens only then
    (a change or a click made sooner is not sent through htmx)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the real login form and wait until the app shell is shown."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.locator("header.topbar").wait_for()  # the app shell (the sidebar folds on phones)
