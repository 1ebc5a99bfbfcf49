"""`compound serve` over real HTTP, spoken to by a third-party GraphQL client (gql)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError, TransportServerError
from gql.transport.httpx import HTTPXAsyncTransport

from tests.conftest import LiveServer


def token_for(live_server: LiveServer, scopes: str) -> str:
    email = f"live-{uuid.uuid4().hex[:8]}@example.com"
    live_server.cli("user", "create", "--email", email, "--role", "member")
    result = live_server.cli("token", "create", "--user", email, "--scopes", scopes)
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("cpd_")
    return token


def request(document: str, **variables: object) -> GraphQLRequest:
    query = gql(document)
    query.variable_values = variables
    return query


def client(live_server: LiveServer, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = HTTPXAsyncTransport(url=f"{live_server.url}/graphql", headers=headers, timeout=60)
    return Client(transport=transport, fetch_schema_from_transport=False)


async def test_gql_client_creates_and_reads_a_company(live_server: LiveServer) -> None:
    token = token_for(live_server, "read,write")
    domain = f"live-{uuid.uuid4().hex[:8]}.example.com"
    async with client(live_server, token) as session:
        created = await session.execute(
            request(
                """mutation($name: String!, $domain: String) {
                  createCompany(input: {name: $name, domain: $domain}) {
                    company { id domain } userErrors { code } } }""",
                name="Live Co",
                domain=f"https://{domain}/",
            )
        )
        company = created["createCompany"]["company"]
        assert company["domain"] == domain
        read = await session.execute(
            request("query($id: ID!) { company(id: $id) { name domain } }", id=company["id"])
        )
        assert read["company"] == {"name": "Live Co", "domain": domain}
        page = await session.execute(
            request(
                "query($d: String) { companies(filter: {domain: $d}) { totalCount } }", d=domain
            )
        )
        assert page["companies"]["totalCount"] == 1


async def test_gql_client_sees_scope_errors(live_server: LiveServer) -> None:
    token = token_for(live_server, "read")
    async with client(live_server, token) as session:
        with pytest.raises(TransportQueryError, match="missing scope 'write'"):
            await session.execute(
                gql('mutation { createCompany(input: {name: "X"}) { company { id } } }')
            )


async def test_missing_token_is_401_over_http(live_server: LiveServer) -> None:
    with pytest.raises(TransportServerError) as raised:
        async with client(live_server, None) as session:
            await session.execute(gql("{ companies { totalCount } }"))
    assert raised.value.code == 401
    async with httpx.AsyncClient() as raw:
        response = await raw.post(f"{live_server.url}/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401


def test_oversized_request_body_is_refused(live_server: LiveServer) -> None:
    token = token_for(live_server, "read")
    response = httpx.post(
        f"{live_server.url}/graphql",
        content=b'{"query": "' + b"a" * (12 * 1024 * 1024) + b'"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
