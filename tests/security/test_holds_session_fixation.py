"""What holds: no session fixation. Signing in always makes a new session with a secret of
the server's own; a cookie the browser already held — one an attacker chose, or the
attacker's own live session planted in the victim's browser — never becomes the signed-in
person's session, and the new session has a CSRF token of its own."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from compound.platform.auth.service import hash_token
from tests.conftest import EmbeddedServer
from tests.security.compound_site import (
    CSRF_FIELD,
    PASSWORD,
    Site,
    csrf_of,
    email_of,
    open_site,
)

WHO = re.compile(r'<span class="user" title="([^"]+)"')
PLANTED = "attacker-chosen-session-value-0123456789abcdef"


@pytest.fixture(scope="module")
async def site(embedded_server: EmbeddedServer) -> AsyncIterator[Site]:
    opened = await open_site(embedded_server, "holds_fixation")
    yield opened
    await opened.close()


async def who_holds(site: Site, cookie: str) -> str | None:
    """The address a page shows as signed in for this cookie, or None when it opens nothing."""
    client = site.browser().client
    client.cookies.set("compound_session", cookie, domain="compound.test")
    page = await client.get("/inbox")
    if page.status_code != 200:
        return None
    found = WHO.search(page.text)
    return found.group(1) if found else ""


async def session_rows(site: Site, cookie: str) -> int:
    async with site.database.engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM web_session WHERE token_hash = :hash"),
            {"hash": hash_token(cookie)},
        )
    return int(count or 0)


async def test_a_cookie_chosen_before_sign_in_is_not_the_session_after_it(site: Site) -> None:
    browser = site.browser()
    browser.client.cookies.set("compound_session", PLANTED, domain="compound.test")
    form = await browser.client.get("/sign-in")
    token = CSRF_FIELD.search(form.text)
    assert form.status_code == 200 and token is not None

    signed = await browser.client.post(
        "/sign-in",
        data={
            "email": email_of("admin"),
            "password": PASSWORD,
            "next": "/inbox",
            "csrf": token.group(1),
        },
    )

    assert signed.status_code == 303, signed.text
    issued = signed.cookies.get("compound_session")
    assert issued is not None and issued != PLANTED and len(issued) >= 32
    assert await who_holds(site, issued) == email_of("admin")
    assert await who_holds(site, PLANTED) is None
    assert await session_rows(site, PLANTED) == 0


async def test_an_attackers_live_session_planted_in_a_browser_is_never_upgraded(
    site: Site,
) -> None:
    attacker = await site.signed_in("member")
    planted = attacker.session_cookie
    assert planted is not None and await who_holds(site, planted) == email_of("member")
    victim = site.browser()
    form = await victim.client.get("/sign-in")  # the victim opened the form ...
    token = CSRF_FIELD.search(form.text)
    assert token is not None
    victim.client.cookies.set("compound_session", planted, domain="compound.test")  # ... then

    signed = await victim.client.post(
        "/sign-in",
        data={
            "email": email_of("admin"),
            "password": PASSWORD,
            "next": "/inbox",
            "csrf": token.group(1),
        },
    )

    assert signed.status_code == 303, signed.text
    issued = signed.cookies.get("compound_session")
    assert issued is not None and issued != planted
    assert await who_holds(site, issued) == email_of("admin")
    # The attacker's cookie is still only the attacker's: it did not become the admin's.
    assert await who_holds(site, planted) == email_of("member")
    victim.client.cookies.set("compound_session", issued, domain="compound.test")
    assert await csrf_of(victim.client) != attacker.csrf


async def test_every_sign_in_makes_a_new_secret_and_a_new_csrf_token(site: Site) -> None:
    first = await site.signed_in("viewer")
    second = await site.signed_in("viewer")
    assert first.session_cookie != second.session_cookie
    assert first.csrf != second.csrf
