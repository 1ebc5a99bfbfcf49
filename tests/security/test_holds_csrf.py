"""What holds: every form that changes something refuses a post without this session's CSRF
token — none, a wrong one, another session's, or sent by GET — and writes nothing; the
token-only ways in (/graphql, /ingest/email) take no session cookie at all.

The forms are read from the app's own routes, so a new form without its case in
`tests/security/compound_site.py` fails `test_every_form_of_the_app_is_checked`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from tests.conftest import EmbeddedServer
from tests.security.compound_site import (
    CSRF_FIELD,
    FORMS,
    PASSWORD,
    SIGN_IN,
    TOKEN_ONLY,
    Form,
    Site,
    csrf_of,
    email_of,
    open_site,
)


@pytest.fixture(scope="module")
async def site(embedded_server: EmbeddedServer) -> AsyncIterator[Site]:
    opened = await open_site(embedded_server, "holds_csrf")
    yield opened
    await opened.close()


def posting_routes(app: Litestar) -> set[str]:
    routes = set()
    for route in app.routes:
        methods = getattr(route, "methods", set())
        if methods & {"POST", "PUT", "PATCH", "DELETE"}:
            routes.add(route.path)
    return routes


async def test_every_form_of_the_app_is_checked(site: Site) -> None:
    declared = posting_routes(site.app) - TOKEN_ONLY - {SIGN_IN}
    assert declared == {form.route for form in FORMS}, (
        "a form the CSRF cases do not cover (or one that is gone): "
        f"{sorted(declared ^ {form.route for form in FORMS})}"
    )


def refused_for_csrf(response: httpx.Response) -> bool:
    return response.status_code == 403 and "(CSRF)" in response.text


@pytest.mark.parametrize("form", FORMS, ids=[form.route for form in FORMS])
async def test_a_form_without_this_sessions_token_is_refused_and_writes_nothing(
    site: Site, form: Form
) -> None:
    admin = await site.signed_in("admin")
    other = await site.signed_in("admin")  # the same person, another browser
    url, fields = await form.prepare(site)
    before = await site.digest()
    attempts = {
        "no token": fields,
        "empty token": {**fields, "csrf": ""},
        "wrong token": {**fields, "csrf": "x" + admin.csrf},
        "cut token": {**fields, "csrf": admin.csrf[:-1]},
        "another session's token": {**fields, "csrf": other.csrf},
    }
    for attempt, data in attempts.items():
        response = await admin.client.post(url, data=data)
        assert refused_for_csrf(response), f"{attempt}: {response.status_code} {response.text}"
    # A cross-site GET (an <img>, a link) with the same fields does not act either.
    got = await admin.client.get(url, params=fields)
    assert got.status_code < 500, got.text
    assert await site.digest() == before, "a refused form wrote something"
    assert admin.session_cookie is not None and await csrf_of(admin.client) == admin.csrf

    # The same form with the right token does write: the refusal is what stopped it.
    accepted = await admin.client.post(url, data={**fields, "csrf": admin.csrf})
    assert accepted.status_code in (200, 303), accepted.text
    assert await site.digest() != before


async def test_a_sign_in_without_the_forms_own_token_signs_nobody_in(site: Site) -> None:
    victim = site.browser()
    attacker = site.browser()
    form = await attacker.client.get("/sign-in")
    attacker_token = CSRF_FIELD.search(form.text)
    assert attacker_token is not None
    await victim.client.get("/sign-in")  # the victim's browser holds its own cookie
    before = await site.digest()
    credentials = {"email": email_of("member"), "password": PASSWORD, "next": "/"}
    attempts = {
        "no token": credentials,
        "wrong token": {**credentials, "csrf": "forged"},
        "the attacker's token": {**credentials, "csrf": attacker_token.group(1)},
    }
    for attempt, data in attempts.items():
        response = await victim.client.post("/sign-in", data=data)
        assert refused_for_csrf(response), f"{attempt}: {response.status_code} {response.text}"
        assert "compound_session" not in response.cookies
    no_cookie = site.browser()
    response = await no_cookie.client.post(
        "/sign-in", data={**credentials, "csrf": attacker_token.group(1)}
    )
    assert refused_for_csrf(response)
    assert await site.digest() == before
    assert (await victim.client.get("/inbox")).status_code == 303


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        (
            "/graphql",
            '{"query": "mutation { createCompany(input: {name: \\"Csrf\\"}) { company { id } } }"}',
            "text/plain",
        ),
        (
            "/graphql",
            '{"query": "mutation { createCompany(input: {name: \\"Csrf\\"}) { company { id } } }"}',
            "application/json",
        ),
        ("/ingest/email", "From: a@b.example\r\nSubject: csrf\r\n\r\nhi\r\n", "message/rfc822"),
    ],
    ids=["graphql-text-plain", "graphql-json", "ingest"],
)
async def test_the_token_ways_in_take_no_session_cookie(
    site: Site, path: str, body: str, content_type: str
) -> None:
    admin = await site.signed_in("admin")
    before = await site.digest()
    response = await admin.client.post(path, content=body, headers={"Content-Type": content_type})
    assert response.status_code in (400, 401, 415), response.text
    assert await site.digest() == before
