"""Headless Chromium (Debian's, installed by scripts/ensure_browser.sh) driven by Playwright."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop; Django must not mistake the test for async code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def admin_login(page, base_url: str, username: str, password: str) -> None:
    """Log in through the admin's own login form, as a person would."""
    # Unfold's login form carries no "next" of its own: ask for the admin index explicitly.
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


# The full-flow test reuses the dispatch tests' real-process fixtures (Celery worker and beat,
# the subprocess environment pointing at the test database and this test's Redis prefix).
from tests.dispatch.conftest import (  # noqa: E402, F401
    celery_beat_factory,
    celery_processes,
    celery_worker_factory,
    process_env,
)
