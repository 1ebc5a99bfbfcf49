"""The GraphQL API: authentication, scopes, user errors, connections, limits and query counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.config import Settings
from compound.platform.database import Database
from tests.conftest import GraphQLClient, Tokens
from tests.factories import make_company, make_note, make_person

CREATE_COMPANY = """
mutation($input: CreateCompanyInput!) {
  createCompany(input: $input) {
    company { id name domain description aliases }
    userErrors { field message code }
  }
}
"""


async def create_company(graphql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    body = await graphql.execute(CREATE_COMPANY, {"input": fields})
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createCompany"]
    return payload


# --- authentication and scopes ------------------------------------------------------


async def test_no_token_is_http_401(graphql: GraphQLClient) -> None:
    response = await graphql.as_token(None).post("{ companies { totalCount } }")
    assert response.status_code == 401
    assert "missing API token" in response.text


@pytest.mark.parametrize("token", ["cpd_not-a-real-token", "garbage", "x" * 5000])
async def test_invalid_token_is_http_401(graphql: GraphQLClient, token: str) -> None:
    response = await graphql.as_token(token).post("{ companies { totalCount } }")
    assert response.status_code == 401
    assert "invalid API token" in response.text


async def test_wrong_authorization_scheme_is_http_401(graphql: GraphQLClient) -> None:
    response = await graphql._client.post(
        "/graphql",
        json={"query": "{ companies { totalCount } }"},
        headers={"Authorization": f"Basic {graphql.token}"},
    )
    assert response.status_code == 401
    assert "Bearer" in response.text


async def test_read_only_token_mutation_names_the_missing_scope(
    graphql: GraphQLClient, tokens: Tokens
) -> None:
    body = await graphql.as_token(tokens.read_only).execute(
        CREATE_COMPANY, {"input": {"name": "Nope"}}
    )
    assert body["data"] is None
    assert "missing scope 'write'" in body["errors"][0]["message"]
    listed = await graphql.execute('{ companies(filter: {nameContains: "Nope"}) { totalCount } }')
    assert listed["data"]["companies"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("caller", "can_read", "can_write"),
    [
        ("admin", True, True),
        ("member", True, True),
        ("viewer", True, False),
        ("read_only", True, False),
        ("ingest_only", False, False),
    ],
)
async def test_each_kind_of_caller_gets_what_its_scopes_allow(
    graphql: GraphQLClient, tokens: Tokens, caller: str, can_read: bool, can_write: bool
) -> None:
    client = graphql.as_token(getattr(tokens, caller))
    read = await client.execute("{ companies(first: 1) { totalCount } }")
    assert ("errors" not in read) is can_read
    if not can_read:
        assert "missing scope 'read'" in read["errors"][0]["message"]
    write = await client.execute(CREATE_COMPANY, {"input": {"name": f"By {caller}"}})
    assert ("errors" not in write) is can_write
    if can_write:
        assert write["data"]["createCompany"]["company"]["name"] == f"By {caller}"


# --- mutations and user errors ------------------------------------------------------


async def test_create_and_read_back_a_company(graphql: GraphQLClient) -> None:
    created = await create_company(
        graphql, name="Acme Robotics", domain="https://www.acme-robotics.io/", description="Robots"
    )
    assert created["userErrors"] == []
    company = created["company"]
    assert company["domain"] == "acme-robotics.io"
    body = await graphql.execute(
        "query($id: ID!) { company(id: $id) { name timeline { kind actor } } }",
        {"id": company["id"]},
    )
    assert body["data"]["company"]["name"] == "Acme Robotics"
    assert body["data"]["company"]["timeline"][0]["kind"] == "company.created"
    assert body["data"]["company"]["timeline"][0]["actor"].startswith("token:cpd_")


@pytest.mark.parametrize(
    ("fields", "field", "code", "text"),
    [
        ({"name": "Ok", "domain": "not a domain"}, "domain", "INVALID", "not a valid domain"),
        ({"name": "x" * 201}, "name", "TOO_LONG", "the limit is 200"),
        ({"name": ""}, "name", "REQUIRED", "name is required"),
        ({"name": "Ok", "description": "d" * 10_001}, "description", "TOO_LONG", "10000"),
        ({"name": "Null\u0000Byte"}, "name", "INVALID", "U+0000"),
        ({"name": "Ok", "domain": "javascript:alert(1)"}, "domain", "INVALID", "not a valid"),
    ],
)
async def test_bad_company_input_is_a_user_error(
    graphql: GraphQLClient, fields: dict[str, Any], field: str, code: str, text: str
) -> None:
    payload = await create_company(graphql, **fields)
    assert payload["company"] is None
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == (field, code)
    assert text in error["message"]


async def test_duplicate_domain_error_names_the_existing_company(graphql: GraphQLClient) -> None:
    first = (await create_company(graphql, name="Original", domain="original.example.com"))[
        "company"
    ]
    payload = await create_company(graphql, name="Copy", domain="WWW.ORIGINAL.example.com")
    [error] = payload["userErrors"]
    assert error["code"] == "DUPLICATE"
    assert first["id"] in error["message"]
    total = await graphql.execute('{ companies(filter: {nameContains: "Copy"}) { totalCount } }')
    assert total["data"]["companies"]["totalCount"] == 0


async def test_duplicate_email_is_a_user_error(graphql: GraphQLClient) -> None:
    mutation = """
    mutation($input: CreatePersonInput!) {
      createPerson(input: $input) { person { id emails } userErrors { field code message } }
    }"""
    first = await graphql.execute(
        mutation, {"input": {"name": "Ada", "emails": ["ada@x.example.com"]}}
    )
    person_id = first["data"]["createPerson"]["person"]["id"]
    second = await graphql.execute(
        mutation, {"input": {"name": "Eve", "emails": ["ADA@x.example.com"]}}
    )
    [error] = second["data"]["createPerson"]["userErrors"]
    assert error["code"] == "DUPLICATE" and error["field"] == "emails"
    assert person_id in error["message"]


async def test_a_failed_mutation_leaves_no_partial_write(graphql: GraphQLClient) -> None:
    # The second mutation fails after the first succeeded in the same document:
    # the first stays, the second writes nothing.
    body = await graphql.execute(
        """mutation {
          a: createCompany(input: {name: "Kept Co", domain: "kept.example.com"}) { company { id } userErrors { code } }
          b: createCompany(input: {name: "Clash Co", domain: "kept.example.com"}) { company { id } userErrors { code } }
        }"""
    )
    assert body["data"]["a"]["company"] is not None
    assert body["data"]["b"]["userErrors"][0]["code"] == "DUPLICATE"
    found = await graphql.execute(
        '{ companies(filter: {nameContains: "Co"}) { edges { node { name } } } }'
    )
    assert [e["node"]["name"] for e in found["data"]["companies"]["edges"]] == ["Kept Co"]


async def test_update_merge_and_delete(graphql: GraphQLClient) -> None:
    keep = (await create_company(graphql, name="Keep Me"))["company"]
    merge = (await create_company(graphql, name="Merge Me", domain="merge.example.com"))["company"]
    person = await graphql.execute(
        'mutation($c: ID!) { createPerson(input: {name: "Pat", companyId: $c}) { person { id } } }',
        {"c": merge["id"]},
    )
    person_id = person["data"]["createPerson"]["person"]["id"]
    note = await graphql.execute(
        'mutation($c: ID!) { createNote(input: {body: "# Met at a fair", companyId: $c}) { note { id } userErrors { message } } }',
        {"c": merge["id"]},
    )
    assert note["data"]["createNote"]["userErrors"] == []
    task = await graphql.execute(
        'mutation($c: ID!) { createTask(input: {title: "Call Pat", dueDate: "2026-12-01", companyId: $c}) { task { id status } } }',
        {"c": merge["id"]},
    )
    task_id = task["data"]["createTask"]["task"]["id"]

    updated = await graphql.execute(
        'mutation($id: ID!) { updateCompany(input: {id: $id, description: "Now described"}) { company { name description } userErrors { message } } }',
        {"id": keep["id"]},
    )
    assert updated["data"]["updateCompany"]["company"] == {
        "name": "Keep Me",
        "description": "Now described",
    }

    merged = await graphql.execute(
        """mutation($k: ID!, $m: ID!) { mergeCompanies(keepId: $k, mergeId: $m) {
             company { aliases domain people { id } notes { body } tasks { id } } userErrors { message } } }""",
        {"k": keep["id"], "m": merge["id"]},
    )
    company = merged["data"]["mergeCompanies"]["company"]
    assert company["aliases"] == ["Merge Me"]
    assert company["domain"] == "merge.example.com"
    assert [p["id"] for p in company["people"]] == [person_id]
    assert company["notes"][0]["body"] == "# Met at a fair"
    assert [t["id"] for t in company["tasks"]] == [task_id]

    done = await graphql.execute(
        "mutation($id: ID!) { updateTask(input: {id: $id, status: DONE}) { task { status completedAt } } }",
        {"id": task_id},
    )
    assert done["data"]["updateTask"]["task"]["status"] == "DONE"
    assert done["data"]["updateTask"]["task"]["completedAt"] is not None

    deleted = await graphql.execute(
        "mutation($id: ID!) { deleteCompany(id: $id) { deletedId userErrors { code } } }",
        {"id": keep["id"]},
    )
    assert deleted["data"]["deleteCompany"]["deletedId"] == keep["id"]
    again = await graphql.execute(
        "mutation($id: ID!) { deleteCompany(id: $id) { deletedId userErrors { code } } }",
        {"id": keep["id"]},
    )
    assert again["data"]["deleteCompany"]["userErrors"][0]["code"] == "NOT_FOUND"
    gone = await graphql.execute(
        "query($id: ID!) { person(id: $id) { company { id } } }", {"id": person_id}
    )
    assert gone["data"]["person"]["company"] is None


async def test_update_person_and_unknown_ids(graphql: GraphQLClient) -> None:
    created = await graphql.execute(
        'mutation { createPerson(input: {name: "Lin", emails: ["lin@a.example.com"]}) { person { id } } }'
    )
    person_id = created["data"]["createPerson"]["person"]["id"]
    updated = await graphql.execute(
        'mutation($id: ID!) { updatePerson(input: {id: $id, title: "CTO", emails: ["LIN@b.example.com"]}) { person { title emails } userErrors { message } } }',
        {"id": person_id},
    )
    assert updated["data"]["updatePerson"]["person"] == {
        "title": "CTO",
        "emails": ["lin@b.example.com"],
    }
    missing = await graphql.execute(
        'mutation { updatePerson(input: {id: "00000000-0000-0000-0000-000000000000", name: "x"}) { userErrors { code field } } }'
    )
    assert missing["data"]["updatePerson"]["userErrors"] == [{"code": "NOT_FOUND", "field": "id"}]
    malformed = await graphql.execute(
        'mutation { updatePerson(input: {id: "1 OR 1=1", name: "x"}) { userErrors { code message } } }'
    )
    assert malformed["data"]["updatePerson"]["userErrors"][0]["code"] == "INVALID"
    looked_up = await graphql.execute('{ company(id: "not-an-id") { id } }')
    assert "not a valid id" in looked_up["errors"][0]["message"]


# --- connections, filters, ordering -------------------------------------------------


async def test_companies_connection_pages_and_orders(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    for name in ["Delta Pager", "alpha pager", "Charlie Pager", "Bravo Pager", "Echo Pager"]:
        await make_company(session, name=name)
    await session.commit()
    query = """query($after: String, $order: CompanyOrder) {
      companies(first: 2, after: $after, filter: {nameContains: "PAGER"}, orderBy: $order) {
        totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }"""
    names: list[str] = []
    after = None
    while True:
        body = await graphql.execute(
            query, {"after": after, "order": {"field": "NAME", "direction": "DESC"}}
        )
        connection = body["data"]["companies"]
        assert connection["totalCount"] == 5
        names += [edge["node"]["name"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert names == ["alpha pager", "Echo Pager", "Delta Pager", "Charlie Pager", "Bravo Pager"]


async def test_people_connection_filters_by_company_and_email(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    company = await make_company(session)
    await make_person(session, name="Inside", company=company, emails=["in@co.example.com"])
    await make_person(session, name="Outside", emails=["out@co.example.com"])
    await session.commit()
    by_company = await graphql.execute(
        "query($c: ID!) { people(filter: {companyId: $c}) { totalCount edges { node { name company { name } } } } }",
        {"c": str(company.id)},
    )
    assert [e["node"]["name"] for e in by_company["data"]["people"]["edges"]] == ["Inside"]
    by_email = await graphql.execute(
        '{ people(filter: {email: "OUT@co.example.com"}) { edges { node { name } } } }'
    )
    assert [e["node"]["name"] for e in by_email["data"]["people"]["edges"]] == ["Outside"]


async def test_search_returns_typed_hits_with_scores(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    await make_company(
        session, name="Solaria", description="Rooftop solar panels for farms", embed=True
    )
    await make_person(session, name="Marie Curie", embed=True)
    await session.commit()
    body = await graphql.execute(
        """{ search(query: "photovoltaic energy for agriculture", first: 3) {
              score node { __typename ... on Company { name } ... on Person { name } ... on Note { body } } } }"""
    )
    hits = body["data"]["search"]
    assert hits[0]["node"] == {"__typename": "Company", "name": "Solaria"}
    assert hits[0]["score"] >= hits[-1]["score"]


# --- limits ----------------------------------------------------------------------------


async def test_first_over_100_names_the_limit(graphql: GraphQLClient) -> None:
    body = await graphql.execute("{ companies(first: 101) { totalCount } }")
    assert "first ≤ 100" in body["errors"][0]["message"]
    negative = await graphql.execute("{ people(first: -1) { totalCount } }")
    assert "between 0 and 100" in negative["errors"][0]["message"]


async def test_bad_cursor_is_a_clear_error(graphql: GraphQLClient) -> None:
    for cursor in ["garbage", "W10", "x" * 2000, "eyJ0IjogMX0"]:
        body = await graphql.execute(
            "query($a: String) { companies(after: $a) { totalCount } }", {"a": cursor}
        )
        assert "invalid cursor" in body["errors"][0]["message"]


async def test_query_deeper_than_10_names_the_depth_limit(graphql: GraphQLClient) -> None:
    deep = (
        "{ companies { edges { node { people { company { people { company { people { company"
        " { people { company { people { name } } } } } } } } } } } } }"
    )
    body = await graphql.execute(deep)
    assert "exceeds maximum operation depth of 10" in body["errors"][0]["message"]


async def test_more_than_15_aliases_names_the_alias_limit(graphql: GraphQLClient) -> None:
    fields = " ".join(f"a{i}: companies(first: 1) {{ totalCount }}" for i in range(16))
    for _ in range(2):  # the second time the validation comes from the cache, same verdict
        body = await graphql.execute("{ " + fields + " }")
        assert "16 aliases found. Allowed: 15" in body["errors"][0]["message"]


async def test_oversized_document_names_the_token_limit(graphql: GraphQLClient) -> None:
    body = await graphql.execute("{ companies { totalCount " + "__typename " * 3000 + "} }")
    assert "token" in body["errors"][0]["message"].lower()


async def test_malformed_documents_are_graphql_errors_not_crashes(graphql: GraphQLClient) -> None:
    for document in ["{", "mutation { createCompany }", "{ nosuchfield }", "\u0000"]:
        response = await graphql.post(document)
        assert response.status_code in (200, 400)
        assert response.json()["errors"]
    empty = await graphql.post("")
    assert empty.status_code == 400
    assert "No GraphQL query found" in empty.text
    wrong_type = await graphql.execute('{ companies(first: "ten") { totalCount } }')
    assert "Int cannot represent" in wrong_type["errors"][0]["message"]


# --- DataLoaders: a constant number of queries ----------------------------------------


@contextmanager
def counting_queries(database: Database, connection: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


async def test_listing_100_companies_with_people_and_notes_is_a_constant_number_of_queries(
    session: AsyncSession, test_database: Database, tokens: Tokens
) -> None:
    query = """{ companies(first: 100, filter: {nameContains: "Loader"}) { edges { node {
      name people { name emails company { name } notes { body } } notes { body } tasks { title } } } } }"""
    # At full lists (100 people a company, 100 notes a person) this query would answer a
    # million notes: the cost limit refuses it. This test is about batching, not limits.
    from compound.web.app import create_app

    settings = Settings(_env_file=None, graphql_max_cost=10_000_000)  # type: ignore[call-arg]
    app = create_app(settings=settings, database=test_database)
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://compound.test")
    graphql = GraphQLClient(client, tokens.admin)

    async def count_for(companies: int) -> int:
        for index in range(companies):
            company = await make_company(session, name=f"Loader {companies:03d}-{index:03d}")
            for _ in range(2):
                person = await make_person(session, company=company)
                await make_note(session, person=person)
            await make_note(session, company=company)
        await session.commit()
        connection = (await session.connection()).sync_connection
        with counting_queries(test_database, connection) as statements:
            body = await graphql.execute(query.replace("Loader", f"Loader {companies:03d}-"))
        assert len(body["data"]["companies"]["edges"]) == companies
        return len(statements)

    async with client:
        await graphql.execute("{ companies(first: 1) { totalCount } }")  # last-use stamp
        few = await count_for(3)
        many = await count_for(100)
    assert few == many
    assert many <= 12


async def test_a_cursor_from_another_ordering_is_refused(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    await make_company(session, name="Cursor One")
    await make_company(session, name="Cursor Two")
    await session.commit()
    by_name = await graphql.execute(
        '{ companies(first: 1, filter: {nameContains: "Cursor"}) { pageInfo { endCursor } } }'
    )
    cursor = by_name["data"]["companies"]["pageInfo"]["endCursor"]
    body = await graphql.execute(
        "query($a: String) { companies(first: 1, after: $a, orderBy: {field: CREATED_AT}) { totalCount } }",
        {"a": cursor},
    )
    assert "does not belong to this ordering" in body["errors"][0]["message"]
    forged = (
        "WyJcdTAwMDAiLCAiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIl0"  # ["\u0000", uuid]
    )
    body = await graphql.execute(
        "query($a: String) { companies(after: $a) { totalCount } }", {"a": forged}
    )
    assert "invalid cursor" in body["errors"][0]["message"]


async def test_total_count_is_computed_only_when_selected(
    graphql: GraphQLClient, session: AsyncSession, test_database: Database
) -> None:
    await make_company(session, name="Counted")
    await session.commit()
    await graphql.execute("{ companies(first: 1) { totalCount } }")  # token's last-use stamp
    connection = (await session.connection()).sync_connection
    with counting_queries(test_database, connection) as without_total:
        await graphql.execute("{ companies(first: 5) { edges { node { name } } } }")
    with counting_queries(test_database, connection) as with_total:
        body = await graphql.execute(
            "{ companies(first: 5) { ...Total edges { node { name } } } } fragment Total on CompanyConnection { totalCount }"
        )
    assert body["data"]["companies"]["totalCount"] >= 1
    assert not any("count(" in statement for statement in without_total)
    assert sum("count(" in statement for statement in with_total) == 1


async def test_malformed_http_bodies_are_4xx_with_a_reason(graphql: GraphQLClient) -> None:
    headers = {"Authorization": f"Bearer {graphql.token}"}
    cases = [
        (b"not json", "application/json"),
        (b'{"query": 42}', "application/json"),
        (b'{"query": "{ __typename }", "variables": "nope"}', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
    ]
    for body, content_type in cases:
        response = await graphql._client.post(
            "/graphql", content=body, headers={**headers, "Content-Type": content_type}
        )
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.text
        assert "Traceback" not in response.text
    wrong_type = await graphql._client.post(
        "/graphql", content=b"{ __typename }", headers={**headers, "Content-Type": "text/plain"}
    )
    assert 400 <= wrong_type.status_code < 500
