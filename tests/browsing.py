"""Browser fixtures for any test folder: Debian's chromium driven by Playwright against a live
server on the test database (registered as a plugin by tests/conftest.py).

Without chromium the tests that use them are skipped with a message (`make test` installs it
when it can); under CI (CI=true) a missing browser is a failure, not a skip.
"""

import os
import shutil
import time
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = (
            "browser tests need Debian's chromium (apt-get install -y chromium); "
            "`make test` installs it when run as root"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a skipped browser test is a failure)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run while
    # one is running unless told that this is deliberate (the live server and ORM are synchronous).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


class Visit:
    """A page plus what it did that it should not: console errors and requests to other hosts."""

    def __init__(self, browser, width: int, height: int):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", self._request)
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def _request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL_HOSTS:
            self.foreign.append(request.url)

    def assert_clean(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression until it is truthy. (Playwright's wait_for_function compiles
    its predicate with eval inside the page, which the site's Content-Security-Policy forbids.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        time.sleep(0.1)


@pytest.fixture
def desktop(browser):
    visit = Visit(browser, 1280, 900)
    yield visit
    visit.context.close()


@pytest.fixture
def phone(browser):
    visit = Visit(browser, 360, 740)
    yield visit
    visit.context.close()


@pytest.fixture
def site(live_server, transactional_db):
    call_command("load_catalog", verbosity=0)
    return live_server.url
