"""What holds: signing out ends the session on the server. The cookie a browser held
before, replayed by anyone, opens no page, sends no form and streams no event; its row is
gone; and signing out answers with a cookie that expires at once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from compound.platform.auth.service import hash_token
from tests.conftest import EmbeddedServer
from tests.security.compound_site import Site, edit_company_form, open_site

PAGES = ("/inbox", "/companies", "/people", "/conversations", "/runs", "/leads", "/settings")


@pytest.fixture(scope="module")
async def site(embedded_server: EmbeddedServer) -> AsyncIterator[Site]:
    opened = await open_site(embedded_server, "holds_sign_out")
    yield opened
    await opened.close()


def replaying(site: Site, cookie: str) -> httpx.AsyncClient:
    """Another client that sends a copied session cookie (a stolen or kept one)."""
    client = site.browser().client
    client.cookies.set("compound_session", cookie, domain="compound.test")
    return client


async def stored_sessions(site: Site, cookie: str) -> int:
    async with site.database.engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM web_session WHERE token_hash = :hash"),
            {"hash": hash_token(cookie)},
        )
    return int(count or 0)


async def test_the_cookie_of_a_signed_out_session_opens_nothing(site: Site) -> None:
    browser = await site.signed_in("admin")
    cookie = browser.session_cookie
    assert cookie is not None and await stored_sessions(site, cookie) == 1
    kept = replaying(site, cookie)
    for page in PAGES:  # the copy works while the session lasts: the checks below can fail
        assert (await kept.get(page)).status_code == 200, page

    signed_out = await browser.client.post("/sign-out", data={"csrf": browser.csrf})

    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/sign-in")
    set_cookie = signed_out.headers["set-cookie"]
    assert set_cookie.startswith('compound_session="";') or set_cookie.startswith(
        "compound_session=;"
    )
    assert "Max-Age=0" in set_cookie
    assert await stored_sessions(site, cookie) == 0
    for page in PAGES:
        response = await kept.get(page)
        assert response.status_code == 303, page
        assert response.headers["location"].startswith("/sign-in?next="), page
    events = await kept.get("/events/inbox")
    assert events.status_code in (401, 403)


async def test_a_form_sent_with_a_signed_out_sessions_cookie_and_token_does_nothing(
    site: Site,
) -> None:
    browser = await site.signed_in("member")
    cookie, csrf = browser.session_cookie, browser.csrf
    assert cookie is not None
    url, fields = await edit_company_form(site)
    await browser.client.post("/sign-out", data={"csrf": csrf})
    before = await site.digest()

    response = await replaying(site, cookie).post(url, data={**fields, "csrf": csrf})

    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    assert await site.digest() == before


async def test_signing_out_twice_or_without_a_session_is_harmless(site: Site) -> None:
    browser = await site.signed_in("viewer")
    cookie = browser.session_cookie
    assert cookie is not None
    first = await browser.client.post("/sign-out", data={"csrf": browser.csrf})
    assert first.status_code == 303
    again = await replaying(site, cookie).post("/sign-out", data={"csrf": browser.csrf})
    assert (again.status_code, again.headers["location"]) == (303, "/sign-in")
    stranger = await site.browser().client.post("/sign-out", data={})
    assert stranger.status_code == 303
    assert await stored_sessions(site, cookie) == 0
