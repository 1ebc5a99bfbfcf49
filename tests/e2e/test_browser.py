"""Debian's Chromium, driven by Playwright, reaches the running server (the e2e suite's base)."""

from __future__ import annotations

import json

from playwright.sync_api import Browser

from tests.conftest import REPOSITORY_ROOT, LiveServer


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
