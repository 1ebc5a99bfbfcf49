"""What holds: no open redirect. Whatever `next` says — another site, a scheme-relative
address, backslashes, a scheme, control characters a browser strips from a URL — signing in
(and a signed-in visit to the sign-in page) sends the browser to a page of this site only;
where it lands is worked out as a browser reads a Location header (WHATWG URL), not as the
server wrote it. Checked in-process and over the real HTTP server."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.conftest import EmbeddedServer, LiveServer
from tests.security.compound_site import (
    CSRF_FIELD,
    PASSWORD,
    Site,
    email_of,
    open_site,
    sign_in,
)

ELSEWHERE = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\\/evil.example/",
    "\\/evil.example",
    "https:evil.example",
    "http:/evil.example",
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r/evil.example/",
    "\t//evil.example/",
    " //evil.example/",
    "/%2F/evil.example/",
    "/%5Cevil.example/",
    "%2F%2Fevil.example",
    "https://compound.test@evil.example/",
    "//compound.test@evil.example/",
    "/\u3002/evil.example",
    "\uff0f\uff0fevil.example",
]
IDS = [repr(target)[1:-1][:40] for target in ELSEWHERE]
_STRIPPED = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
OVER_REAL_HTTP = [target for target in ELSEWHERE if _STRIPPED.search(target) or target[0] == " "]
"""Where the HTTP server itself matters: what it does with a control character in a header."""


def where_a_browser_goes(location: str, base: str) -> str:
    """The absolute URL a browser follows for this Location (WHATWG URL parsing: leading and
    trailing C0 controls and spaces trimmed, tabs and newlines removed anywhere, and `\\`
    read as `/` in http(s) URLs)."""
    cleaned = _STRIPPED.sub("", location.strip(_C0_AND_SPACE))
    scheme = urlsplit(cleaned).scheme.lower()
    if scheme in ("", "http", "https"):
        cleaned = cleaned.replace("\\", "/")
    return urljoin(base, cleaned)


def assert_stays_on(response: httpx.Response, base: str) -> None:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    target = urlsplit(where_a_browser_goes(location, base))
    here = urlsplit(base)
    assert (target.scheme, target.netloc) == (here.scheme, here.netloc), (
        f"Location {location!r} takes a browser to {target.geturl()!r}"
    )


@pytest.fixture(scope="module")
async def site(embedded_server: EmbeddedServer) -> AsyncIterator[Site]:
    opened = await open_site(embedded_server, "holds_redirects")
    yield opened
    await opened.close()


def test_the_browser_reading_used_here_sees_the_known_tricks() -> None:
    base = "http://compound.test/"
    assert urlsplit(where_a_browser_goes("/\t/evil.example/", base)).netloc == "evil.example"
    assert urlsplit(where_a_browser_goes("/\\evil.example/", base)).netloc == "evil.example"
    assert urlsplit(where_a_browser_goes("/inbox", base)).netloc == "compound.test"


@pytest.mark.parametrize("target", ELSEWHERE, ids=IDS)
async def test_signing_in_never_sends_the_browser_to_another_site(site: Site, target: str) -> None:
    browser = site.browser()
    response = await sign_in(browser.client, email_of("member"), PASSWORD, next_path=target)
    assert_stays_on(response, "http://compound.test/")


@pytest.mark.parametrize("target", ELSEWHERE, ids=IDS)
async def test_a_signed_in_visit_to_the_sign_in_page_never_leaves_the_site(
    site: Site, target: str
) -> None:
    browser = await site.signed_in("member")
    response = await browser.client.get("/sign-in", params={"next": target})
    assert_stays_on(response, "http://compound.test/")


async def test_a_path_of_this_site_is_kept(site: Site) -> None:
    browser = site.browser()
    response = await sign_in(
        browser.client, email_of("member"), PASSWORD, next_path="/companies?q=a%20b#top"
    )
    assert response.headers["location"] == "/companies?q=a%20b#top"


@pytest.fixture(scope="module")
def live_member(live_server: LiveServer) -> str:
    email = f"redirects-{uuid.uuid4().hex[:8]}@site.example"
    live_server.cli(
        "user", "create", "--email", email, "--role", "member", "--password-stdin", stdin=PASSWORD
    )
    return email


@pytest.mark.parametrize("target", OVER_REAL_HTTP, ids=[repr(t)[1:-1] for t in OVER_REAL_HTTP])
def test_over_real_http_signing_in_never_leaves_the_site(
    live_server: LiveServer, live_member: str, target: str
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        form = client.get("/sign-in")
        token = CSRF_FIELD.search(form.text)
        assert token is not None
        response = client.post(
            "/sign-in",
            data={
                "email": live_member,
                "password": PASSWORD,
                "next": target,
                "csrf": token.group(1),
            },
        )
    assert_stays_on(response, live_server.url + "/")
