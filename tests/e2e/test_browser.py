"""Debian's Chromium, driven by Playwright, reaches the running server (the e2e suite's base)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import REPOSITORY_ROOT, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Chromium is missing: `make install` installs it from Debian"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def test_chromium_loads_the_health_page_and_gets_401_from_graphql(
    browser: Browser, live_server: LiveServer
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    response = page.goto(f"{live_server.url}/health")
    assert response is not None and response.status == 200
    assert json.loads(page.inner_text("body")) == {"status": "ok"}
    status = page.evaluate(
        """async (url) => (await fetch(url, {method: 'POST', headers: {'content-type': 'application/json'},
                                            body: JSON.stringify({query: '{ __typename }'})})).status""",
        f"{live_server.url}/graphql",
    )
    assert status == 401
    screenshots = REPOSITORY_ROOT / "var" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "health.png"))
    page.close()
