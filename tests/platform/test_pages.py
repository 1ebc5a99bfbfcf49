"""What every page shares (platform/pages.py): `safe_next`, where a page may send someone after
signing in — only a path on this site — and the one page guard, checked over every page the
app serves: a stranger is sent to sign in, a form post needs this session's CSRF token and
the right to write."""

from __future__ import annotations

import inspect
import re
import uuid
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from litestar.handlers import HTTPRouteHandler
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.platform.auth.models import WebSession
from compound.platform.clock import utcnow
from compound.platform.pages import GUARD_OPTION, READS, PageGuard, safe_next
from compound.web.pages import PAGE_HANDLERS
from tests.web.test_pages import signed_in

SIGN_IN_PAGES = {"sign_in_form", "sign_in_submit", "sign_out_submit"}
"""The pages of someone not signed in yet: the only ones without the guard."""


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/ /evil.example",
        "/\x00",
        "/\x7f/evil.example",
        "/\u00a0/evil.example",
        "evil.example",
        "",
        None,
    ],
)
def test_anything_but_a_plain_path_on_this_site_goes_home(target: str | None) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/inbox", "/companies?q=acme%20labs&after=x", "/runs/1#top"])
def test_a_path_on_this_site_is_kept(target: str) -> None:
    assert safe_next(target) == target


# --- the page guard -------------------------------------------------------------------------


def _is_guarded(handler: HTTPRouteHandler) -> bool:
    parameters = inspect.signature(handler.fn).parameters
    return "session" in parameters or "signed_in" in parameters


def _guard(handler: HTTPRouteHandler) -> PageGuard:
    guard = handler.opt.get(GUARD_OPTION, READS)
    assert isinstance(guard, PageGuard)
    return guard


def _is_post(handler: HTTPRouteHandler) -> bool:
    return "POST" in handler.http_methods


def _address(handler: HTTPRouteHandler) -> tuple[str, dict[str, str]]:
    """One address of the page, with a made-up id for each path parameter (the guard answers
    before any record is looked up), and those ids by name."""
    path = sorted(handler.paths)[-1]
    values = {name: str(uuid.uuid4()) for name in re.findall(r"{(\w+):\w+}", path)}
    return re.sub(r"{(\w+):\w+}", lambda found: values[found.group(1)], path), values


GUARDED = [handler for handler in PAGE_HANDLERS if _is_guarded(handler)]
FORM_POSTS = [handler for handler in GUARDED if _is_post(handler)]


def test_every_page_but_signing_in_goes_through_the_guard() -> None:
    unguarded = {handler.handler_name for handler in PAGE_HANDLERS if not _is_guarded(handler)}
    assert unguarded == SIGN_IN_PAGES


def test_every_form_post_says_what_it_writes_and_what_a_viewer_is_told() -> None:
    for handler in FORM_POSTS:
        guard = _guard(handler)
        assert guard.writes and guard.viewers_cannot, handler.handler_name
        assert guard.back is not None, handler.handler_name


async def test_a_stranger_is_sent_to_sign_in_from_every_page(
    web_client: httpx.AsyncClient,
) -> None:
    for handler in GUARDED:
        address, ids = _address(handler)
        guard = _guard(handler)
        if _is_post(handler):
            response = await web_client.post(address, data={"csrf": "anything"})
            back = guard.back.format_map(ids) if isinstance(guard.back, str) else None
        else:
            response = await web_client.get(address)
            back = address if guard.back is None else None
        if guard.fragment:
            assert response.status_code == 401, handler.handler_name
            assert response.headers["hx-redirect"].startswith("/sign-in?next="), address
            assert response.text == ""
            continue
        assert response.status_code == 303, (address, response.text)
        location = response.headers["location"]
        assert location.startswith("/sign-in?next=%2F"), address
        if back is not None:
            assert location == f"/sign-in?next={quote(back, safe='')}", address


async def test_a_viewer_gets_403_from_every_form_post_and_a_forged_form_too(
    web_client: httpx.AsyncClient,
) -> None:
    csrf = await signed_in(web_client, "viewer")
    for handler in FORM_POSTS:
        address, _ = _address(handler)
        forged = await web_client.post(address, data={"csrf": "x" + csrf})
        assert forged.status_code == 403, address
        assert "security token (CSRF) is wrong" in forged.text
        missing = await web_client.post(address)
        assert missing.status_code == 403 and "without its security token" in missing.text
        refused = await web_client.post(address, data={"csrf": csrf})
        assert refused.status_code == 403, (address, refused.text)
        assert _guard(handler).viewers_cannot in refused.text
    assert (await web_client.get("/companies")).status_code == 200  # still signed in


async def test_an_expired_session_is_deleted_as_its_holder_is_sent_to_sign_in(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await signed_in(web_client, "member")
    await session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    await session.commit()
    response = await web_client.get("/companies?q=acme")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fcompanies%3Fq%3Dacme"
    # The guard's look-up is committed before it answers: the dead session is gone.
    left = (await session.execute(select(col(WebSession.token_hash)))).scalars().all()
    assert left == []
