"""What holds: tokens and scopes. Every mutation the schema has refuses a token that may not
write (a viewer's, even with the `write` scope; a read-only one; an ingest-only one) and
writes nothing; every query refuses a token without `read`; revoked, expired, deactivated,
unknown and malformed tokens are refused at every token way in (GraphQL, /ingest/email,
the event stream, SMTP AUTH); a viewer's browser session writes through no form. The mutations and queries are read from the schema, the forms from
the app's routes: a new one is covered without touching this file."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiosmtplib
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
)
from sqlalchemy import text

from compound.platform.auth import service as auth
from compound.platform.config import Settings
from compound.web.graphql import build_schema
from tests.conftest import EmbeddedServer
from tests.security.compound_site import FORMS, SETUP, Form, Site, mail, open_site
from tests.security.test_holds_smtp_header_injection import listen

SCHEMA = build_schema(Settings(_env_file=None))._schema  # type: ignore[call-arg]
MUTATIONS = sorted(SCHEMA.mutation_type.fields) if SCHEMA.mutation_type else []
QUERIES = sorted(SCHEMA.query_type.fields)
CANNOT_WRITE = ("viewer", "read_only", "ingest")
REFUSED = {"graphql": 401, "ingest": 401, "events": 401, "smtp": "refused"}
SCALARS: dict[str, Any] = {
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "JSON": {},
    "DateTime": "2030-01-01T00:00:00+00:00",
    "Date": "2030-01-01",
}


@pytest.fixture(scope="module")
async def site(embedded_server: EmbeddedServer) -> AsyncIterator[Site]:
    opened = await open_site(embedded_server, "holds_scopes")
    yield opened
    await opened.close()


def value_for(kind: GraphQLInputType, known_id: str, string: str = "Scope check") -> Any:
    """A value of `kind` the schema accepts: required input fields filled, ids of a record,
    `string` for every String."""
    if isinstance(kind, GraphQLNonNull):
        return value_for(kind.of_type, known_id, string)
    if isinstance(kind, GraphQLList):
        return [value_for(kind.of_type, known_id, string)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {
            name: value_for(field.type, known_id, string)
            for name, field in kind.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        }
    assert isinstance(kind, GraphQLScalarType)
    if kind.name == "ID":
        return known_id
    if kind.name == "String":
        return string
    return SCALARS[kind.name]


def document(
    operation: str, name: str, field: GraphQLField, known_id: str, string: str = "Scope check"
) -> tuple[str, dict[str, Any]]:
    """`operation($a: T!) { name(a: $a) { __typename } }` with every argument given."""
    variables = {
        argument: value_for(spec.type, known_id, string) for argument, spec in field.args.items()
    }
    declared = ", ".join(f"${argument}: {spec.type}" for argument, spec in field.args.items())
    passed = ", ".join(f"{argument}: ${argument}" for argument in field.args)
    selection = "" if isinstance(_named(field.type), GraphQLScalarType) else " { __typename }"
    head = f"{operation}({declared})" if declared else operation
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call}{selection} }}", variables


def _named(kind: Any) -> Any:
    while hasattr(kind, "of_type"):
        kind = kind.of_type
    return kind


def permission_errors(body: dict[str, Any], scope: str) -> list[dict[str, Any]]:
    return [
        error
        for error in body.get("errors") or []
        if error["message"].startswith(f"missing scope '{scope}'")
    ]


async def a_company(site: Site) -> str:
    data = await site.execute(
        "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { company { id } } }",
        {"input": {"name": f"Scope target {uuid.uuid4().hex[:8]}"}},
    )
    return str(data["createCompany"]["company"]["id"])


def test_the_schema_has_the_operations_this_file_checks() -> None:
    assert len(MUTATIONS) >= 20 and "createCompany" in MUTATIONS
    assert len(QUERIES) >= 15 and "companies" in QUERIES


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_every_mutation_refuses_a_token_that_may_not_write(site: Site, mutation: str) -> None:
    assert SCHEMA.mutation_type is not None
    query, variables = document(
        "mutation", mutation, SCHEMA.mutation_type.fields[mutation], await a_company(site)
    )
    before = await site.digest()
    for caller in CANNOT_WRITE:
        response = await site.graphql(site.tokens[caller], query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body.get("data") is None, f"{caller}: {body}"
        assert permission_errors(body, "write"), f"{caller} was not refused: {body}"
    # Tokens record when they were used; nothing else may change.
    after = await site.digest()
    assert {t: d for t, d in after.items() if t != "api_token"} == {
        t: d for t, d in before.items() if t != "api_token"
    }
    # A writer's token gets past the scope check with the very same document.
    allowed = await site.graphql(site.tokens["member"], query, variables)
    assert not permission_errors(allowed.json(), "write"), allowed.text


@pytest.mark.parametrize("field", QUERIES)
async def test_every_query_refuses_a_token_without_read(site: Site, field: str) -> None:
    query, variables = document("query", field, SCHEMA.query_type.fields[field], str(uuid.uuid4()))
    refused = (await site.graphql(site.tokens["ingest"], query, variables)).json()
    assert not (refused.get("data") or {}).get(field), refused
    assert permission_errors(refused, "read"), refused
    allowed = (await site.graphql(site.tokens["read_only"], query, variables)).json()
    assert not permission_errors(allowed, "read"), allowed


async def smtp_auth_code(site: Site, secret: str) -> int:
    """The SMTP listener's answer to AUTH with this token (as `compound smtp` answers)."""
    server, port = await listen(site)
    try:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as client:
            try:
                response = await client.login("token", secret)
            except aiosmtplib.SMTPAuthenticationError as refused:
                return refused.code
            return response.code
    finally:
        server.close()
        await server.wait_closed()


async def ways_in(site: Site, secret: str) -> dict[str, object]:
    """The status each token way in answers with a token it should refuse (a stream it
    accepted would never end: it is only opened when GraphQL refused the token too)."""
    client = site.browser().client
    headers = {"Authorization": f"Bearer {secret}".encode()}
    graphql = await client.post(
        "/graphql", json={"query": "{ companies(first: 1) { totalCount } }"}, headers=headers
    )
    ingest = await client.post(
        "/ingest/email",
        content=mail(f"token check {uuid.uuid4().hex[:8]}"),
        headers={**headers, "Content-Type": "message/rfc822"},
    )
    assert graphql.status_code != 200, f"the token was taken: {graphql.text}"
    events = await client.get("/events/inbox", headers=headers)
    return {
        "graphql": graphql.status_code,
        "ingest": ingest.status_code,
        "events": events.status_code,
        "smtp": "refused" if await smtp_auth_code(site, secret) >= 400 else "taken",
    }


async def new_token(site: Site, email: str, **options: Any) -> tuple[uuid.UUID, str]:
    async with site.database.session() as session:
        token, secret = await auth.create_token(
            session, SETUP, user_email=email, scopes=["read", "write", "ingest"], **options
        )
    return token.id, secret


async def test_a_revoked_token_is_refused_at_every_way_in(site: Site) -> None:
    token_id, secret = await new_token(site, "member@site.example")
    working = await site.graphql(secret, "{ companies(first: 1) { totalCount } }")
    assert working.status_code == 200 and "errors" not in working.json()
    assert await smtp_auth_code(site, secret) == 235
    member = await site.signed_in("member")
    revoked = await member.client.post(
        "/settings/tokens/revoke", data={"csrf": member.csrf, "token": str(token_id)}
    )
    assert revoked.status_code == 303, revoked.text
    assert await ways_in(site, secret) == REFUSED


async def test_an_expired_token_and_one_of_a_deactivated_user_are_refused(site: Site) -> None:
    expiring_id, expiring = await new_token(
        site, "member@site.example", expires_in=timedelta(hours=1)
    )
    email = f"leaver-{uuid.uuid4().hex[:8]}@site.example"
    async with site.database.session() as session:
        await auth.create_user(session, SETUP, email=email, role="member")
    _, leavers = await new_token(site, email)
    assert (await site.graphql(leavers, "{ icp { threshold } }")).status_code == 200
    async with site.database.session() as session:
        # Nothing in the product ages a token or deactivates a user on demand: the clock
        # and the account are moved in the database.
        await session.execute(
            text("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": expiring_id},
        )
        await session.execute(
            text('UPDATE "user" SET is_active = false WHERE email = :email'), {"email": email}
        )
    for secret in (expiring, leavers):
        assert await ways_in(site, secret) == REFUSED


@pytest.mark.parametrize(
    "secret",
    ["cpd_" + "x" * 43, "cpd_", "garbage", "x" * 10_000, "cpd_\u00e9t\u00e9", "' OR 1=1 --"],
    ids=["unknown", "prefix-only", "garbage", "huge", "non-ascii", "sql"],
)
async def test_unknown_and_malformed_tokens_are_refused_at_every_way_in(
    site: Site, secret: str
) -> None:
    assert await ways_in(site, secret) == REFUSED


async def test_a_token_without_ingest_cannot_post_mail_and_one_with_only_ingest_reads_nothing(
    site: Site,
) -> None:
    before = await site.digest()
    ingest = await site.browser().client.post(
        "/ingest/email",
        content=mail("not ingested"),
        headers={
            "Authorization": f"Bearer {site.tokens['read_only']}",
            "Content-Type": "message/rfc822",
        },
    )
    assert ingest.status_code == 403, ingest.text
    only_ingest = await site.graphql(
        site.tokens["ingest"], "{ companies(first: 1) { totalCount } }"
    )
    assert permission_errors(only_ingest.json(), "read")
    events = await site.browser().client.get(
        "/events/inbox", headers={"Authorization": f"Bearer {site.tokens['ingest']}"}
    )
    assert events.status_code == 403
    after = await site.digest()
    assert after["message"] == before["message"] and after["job"] == before["job"]


VIEWER_FORMS = [form for form in FORMS if form.route != "/sign-out"]


@pytest.mark.parametrize("form", VIEWER_FORMS, ids=[form.route for form in VIEWER_FORMS])
async def test_a_viewers_session_writes_through_no_form(site: Site, form: Form) -> None:
    viewer = await site.signed_in("viewer")
    url, fields = await form.prepare(site)
    before = await site.digest()
    response = await viewer.client.post(url, data={**fields, "csrf": viewer.csrf})
    assert response.status_code == 403, response.text
    assert await site.digest() == before
