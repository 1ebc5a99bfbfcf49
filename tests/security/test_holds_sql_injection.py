"""What holds: no SQL injection. Every filter and search input — GraphQL filters, search
and cursors, the pages' query parameters, the sign-in box — is given SQL, LIKE wildcards,
backslashes, NUL, quotes and very long strings: none answers 500 or an unmasked database
error, a name filter returns exactly the records whose name holds the text as typed
(`%` and `_` match only themselves: no extra rows), and the database is as it was."""

from __future__ import annotations

import base64
import html
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, GraphQLScalarType
from sqlalchemy import text

from tests.conftest import EmbeddedServer
from tests.security.compound_site import FORMS, Browser, Form, Site, mail, open_site, sign_in
from tests.security.test_holds_tokens_and_scopes import SCHEMA, document

NAMES = [
    "Alpha Robotics",
    "100% Natural",
    "Under_score Labs",
    "Back\\slash Co",
    "Quote's Bakery",
    'Double "Quoted" Inc',
    "Semi;colon Ltd",
    "Dash -- Comment",
]
PAYLOADS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "'; DROP TABLE company; --",
    '" OR ""="',
    '\') UNION SELECT email, password_hash FROM "user" --',
    "%",
    "_",
    "%%",
    "\\",
    "\\%",
    "'",
    "--",
    ";",
    "a\x00b",
    "\x00",
    "$1",
    "%(name)s",
    ":name",
    "' || pg_sleep(5) || '",
    "\u2028",
    "x" * 300,
    "x" * 20_000,
]
PAYLOAD_IDS = [
    repr(payload)[1:-1][:30] + (f"…{len(payload)}" if len(payload) > 30 else "")
    for payload in PAYLOADS
]
DATABASE_ERRORS = re.compile(
    r"psycopg|sqlalchemy|syntax error|SQLSTATE|Traceback|Unexpected server error", re.I
)
COUNTED = {"api_token", "sign_in_failures"}
"""Tables a read may legitimately touch: a token's last use, a failed sign-in."""


@dataclass
class Seeded:
    viewer: Browser
    universe: dict[str, list[str]]
    """Per name filter, every name (or subject) it could return."""


@pytest.fixture(scope="module")
async def site(embedded_server: EmbeddedServer) -> AsyncIterator[Site]:
    opened = await open_site(embedded_server, "holds_sqli")
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
async def seeded(site: Site) -> Seeded:
    for number, name in enumerate(NAMES):
        created = await site.execute(
            "mutation($input: CreateCompanyInput!) { createCompany(input: $input) "
            "{ company { id } userErrors { message } } }",
            {"input": {"name": name}},
        )
        company_id = created["createCompany"]["company"]["id"]
        await site.execute(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) "
            "{ person { id } userErrors { message } } }",
            {
                "input": {
                    "name": name,
                    "emails": [f"person{number}@sqli.example"],
                    "companyId": company_id,
                }
            },
        )
        await site.ingest(mail(name, sender=f"Sender {number} <sender{number}@sqli.example>"))
    # Mail links its senders to people and companies: those are names the filters see too.
    everything = await site.execute(
        "{ companies(first: 100) { edges { node { name } } } "
        "people(first: 100) { edges { node { name } } } "
        "conversations(first: 100) { edges { node { subject } } } }"
    )
    companies = [edge["node"]["name"] for edge in everything["companies"]["edges"]]
    people = [edge["node"]["name"] for edge in everything["people"]["edges"]]
    subjects = [edge["node"]["subject"] for edge in everything["conversations"]["edges"]]
    assert (
        set(NAMES) <= set(companies)
        and set(NAMES) <= set(people)
        and sorted(subjects) == sorted(NAMES)
    )
    universe = {
        "graphql companies nameContains": companies,
        "page companies q": companies,
        "graphql people nameContains": people,
        "page people q": people,
        "graphql conversations subjectContains": subjects,
    }
    return Seeded(await site.signed_in("viewer"), universe)


def expected_names(seeded: Seeded, name: str, payload: str) -> list[str] | None:
    """What a name filter must return; None for the conversations page, whose filter also
    matches participants' addresses and names."""
    if name not in seeded.universe:
        return None
    needle = payload.strip().lower()
    return sorted(found for found in seeded.universe[name] if needle in found.lower())


# --- the inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    refused: bool
    """A clean refusal (400, a user error naming the input): allowed for odd input."""
    names: list[str] | None = None
    """For a name filter: the names it returned."""


Ask = Callable[[Site, Seeded, str], Awaitable[Answer]]


def clean(status: int, body: str) -> None:
    assert status < 500, body[:2000]
    assert not DATABASE_ERRORS.search(body), body[:2000]


async def graphql(site: Site, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await site.graphql(site.tokens["read_only"], query, variables)
    clean(response.status_code, response.text)
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    return body


def graphql_names(connection: str, filter_name: str) -> Ask:
    async def ask(site: Site, seeded: Seeded, payload: str) -> Answer:
        body = await graphql(
            site,
            f"query($f: String) {{ {connection}(first: 100, filter: {{{filter_name}: $f}}) "
            "{ edges { node { name } } } }",
            {"f": payload},
        )
        if body.get("errors"):
            return Answer(refused=True)
        edges = body["data"][connection]["edges"]
        return Answer(refused=False, names=sorted(edge["node"]["name"] for edge in edges))

    return ask


def graphql_subjects(site_filter: str) -> Ask:
    async def ask(site: Site, seeded: Seeded, payload: str) -> Answer:
        body = await graphql(
            site,
            f"query($f: String) {{ conversations(first: 100, filter: {{{site_filter}: $f}}) "
            "{ edges { node { subject } } } }",
            {"f": payload},
        )
        if body.get("errors"):
            return Answer(refused=True)
        edges = body["data"]["conversations"]["edges"]
        return Answer(refused=False, names=sorted(edge["node"]["subject"] for edge in edges))

    return ask


def graphql_any(query: str) -> Ask:
    async def ask(site: Site, seeded: Seeded, payload: str) -> Answer:
        body = await graphql(site, query, {"v": payload})
        return Answer(refused=bool(body.get("errors")))

    return ask


LINKED = {
    "companies": re.compile(r'<a href="/companies/[0-9a-f-]{36}">([^<]+)</a>'),
    "people": re.compile(r'<a href="/people/[0-9a-f-]{36}">([^<]+)</a>'),
    "conversations": re.compile(r'<a href="/conversations/[0-9a-f-]{36}">([^<]*)</a>'),
}


def page_names(path: str, parameter: str = "q") -> Ask:
    kind = path.strip("/")

    async def ask(site: Site, seeded: Seeded, payload: str) -> Answer:
        response = await seeded.viewer.client.get(
            path, params={parameter: payload}, headers={"Accept": "text/html"}
        )
        clean(response.status_code, response.text)
        if response.status_code == 400:
            return Answer(refused=True)
        assert response.status_code == 200, response.text
        found = LINKED[kind].findall(response.text.split("<main", 1)[-1])
        return Answer(refused=False, names=sorted({html.unescape(name) for name in found}))

    return ask


def page_any(path: str, parameter: str) -> Ask:
    async def ask(site: Site, seeded: Seeded, payload: str) -> Answer:
        response = await seeded.viewer.client.get(
            path, params={parameter: payload}, headers={"Accept": "text/html"}
        )
        clean(response.status_code, response.text)
        return Answer(refused=response.status_code == 400)

    return ask


async def sign_in_email(site: Site, seeded: Seeded, payload: str) -> Answer:
    response = await sign_in(site.browser().client, payload, "whatever password")
    clean(response.status_code, response.text)
    assert response.status_code in (400, 401, 429), response.text
    assert "compound_session" not in response.cookies
    return Answer(refused=True)


async def password_box(site: Site, seeded: Seeded, payload: str) -> Answer:
    response = await sign_in(site.browser().client, "member@site.example", payload)
    clean(response.status_code, response.text)
    assert "compound_session" not in response.cookies
    return Answer(refused=True)


INPUTS: dict[str, Ask] = {
    "graphql companies nameContains": graphql_names("companies", "nameContains"),
    "graphql people nameContains": graphql_names("people", "nameContains"),
    "graphql conversations subjectContains": graphql_subjects("subjectContains"),
    "graphql companies domain": graphql_any(
        "query($v: String) { companies(filter: {domain: $v}) { totalCount } }"
    ),
    "graphql people email": graphql_any(
        "query($v: String) { people(filter: {email: $v}) { totalCount } }"
    ),
    "graphql search": graphql_any("query($v: String!) { search(query: $v, first: 5) { score } }"),
    "graphql runs agent": graphql_any(
        "query($v: String) { runs(agent: $v, first: 5) { edges { node { id } } } }"
    ),
    "graphql company id": graphql_any("query($v: ID!) { company(id: $v) { name } }"),
    "graphql message id": graphql_any("query($v: ID!) { message(id: $v) { subject } }"),
    "page companies q": page_names("/companies"),
    "page people q": page_names("/people"),
    "page conversations q": page_names("/conversations"),
    "page conversations person": page_any("/conversations", "person"),
    "page companies sort": page_any("/companies", "sort"),
    "page search q": page_any("/search", "q"),
    "page suggest q": page_any("/search/suggest", "q"),
    "page runs state": page_any("/runs", "state"),
    "page leads min_score": page_any("/leads", "min_score"),
}
SIGN_IN_BOXES: dict[str, Ask] = {"email": sign_in_email, "password": password_box}
SIGN_IN_PAYLOADS = [payload for payload in PAYLOADS if "'" in payload or "\x00" in payload]
"""Fewer here: each is a wrong password, and the process takes only so many a minute (the
budget every way in shares, COMPOUND_PASSWORD_FAILURES_PER_MINUTE)."""
NAME_FILTERS = {
    "graphql companies nameContains",
    "graphql people nameContains",
    "graphql conversations subjectContains",
    "page companies q",
    "page people q",
    "page conversations q",
}


@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
@pytest.mark.parametrize("name", sorted(INPUTS))
async def test_sql_in_an_input_is_only_text(
    site: Site, seeded: Seeded, name: str, payload: str
) -> None:
    before = await site.digest()
    answer = await INPUTS[name](site, seeded, payload)
    expected = expected_names(seeded, name, payload)
    if expected is not None and not answer.refused:
        assert answer.names == expected, f"{name} with {payload!r}"
    if name in NAME_FILTERS and payload in NAMES[1:]:
        assert not answer.refused
    after = await site.digest()
    changed = [table for table in after if after[table] != before[table] and table not in COUNTED]
    assert not changed, f"reading wrote to {changed}"


@pytest.mark.parametrize("payload", SIGN_IN_PAYLOADS, ids=[repr(p)[1:-1] for p in SIGN_IN_PAYLOADS])
@pytest.mark.parametrize("box", sorted(SIGN_IN_BOXES))
async def test_sql_in_the_sign_in_boxes_signs_nobody_in(
    site: Site, seeded: Seeded, box: str, payload: str
) -> None:
    before = await site.digest()
    await SIGN_IN_BOXES[box](site, seeded, payload)
    after = await site.digest()
    changed = [table for table in after if after[table] != before[table] and table not in COUNTED]
    assert not changed, f"a sign-in wrote to {changed}"


@pytest.mark.parametrize("name", sorted(NAME_FILTERS))
async def test_each_name_filter_finds_what_it_is_given_as_typed(
    site: Site, seeded: Seeded, name: str
) -> None:
    """The control: the filters work, so an empty answer above means no match, not broken."""
    for needle, names in [
        ("robot", ["Alpha Robotics"]),
        ("%", ["100% Natural"]),
        ("_", ["Under_score Labs"]),
        ("\\", ["Back\\slash Co"]),
        ("'", ["Quote's Bakery"]),
        ('"', ['Double "Quoted" Inc']),
        ("--", ["Dash -- Comment"]),
    ]:
        answer = await INPUTS[name](site, seeded, needle)
        assert not answer.refused and answer.names is not None, f"{name} with {needle!r}"
        if name == "page conversations q":  # subjects, and participants' names and addresses
            assert set(names) <= set(answer.names), f"{name} with {needle!r}: {answer.names}"
        else:
            assert answer.names == expected_names(seeded, name, needle) == names, needle


def forged(value: Any) -> str:
    raw = json.dumps([value, str(uuid.uuid4())]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CURSORS = [
    "' OR 1=1 --",
    forged("' OR 1=1 --"),
    forged("\x00"),
    forged(12345),
    forged([1, 2]),
    forged({"t": "not a date"}),
    forged({"t": "2024-01-01T00:00:00' OR '1'='1"}),
    forged({"a": "b"}),
    forged(None),
    forged(True),
    forged(1e308),
    base64.urlsafe_b64encode(b'["a", "\' OR 1=1 --"]').decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "x" * 5_000,
]
CURSOR_IDS = [f"cursor{number}" for number in range(len(CURSORS))]
GRAPHQL_CONNECTIONS = [
    "companies",
    "people",
    "conversations",
    "runs",
    "jobs",
    "inbox",
    "leads",
    "leadImports",
]
PAGE_LISTS = ["/companies", "/people", "/conversations", "/runs", "/inbox", "/imports"]


@pytest.mark.parametrize("cursor", CURSORS, ids=CURSOR_IDS)
@pytest.mark.parametrize("connection", GRAPHQL_CONNECTIONS)
async def test_a_forged_graphql_cursor_is_a_clear_error(
    site: Site, seeded: Seeded, connection: str, cursor: str
) -> None:
    body = await graphql(
        site,
        f"query($after: String) {{ {connection}(first: 5, after: $after) {{ __typename }} }}",
        {"after": cursor},
    )
    assert body.get("errors") or body["data"][connection] is not None


@pytest.mark.parametrize("cursor", CURSORS, ids=CURSOR_IDS)
@pytest.mark.parametrize("path", PAGE_LISTS)
async def test_a_forged_page_cursor_is_a_clear_error(
    site: Site, seeded: Seeded, path: str, cursor: str
) -> None:
    response = await seeded.viewer.client.get(
        path, params={"after": cursor}, headers={"Accept": "text/html"}
    )
    clean(response.status_code, response.text)
    assert response.status_code in (200, 400), response.text[:500]


async def test_the_database_is_intact_after_it_all(site: Site, seeded: Seeded) -> None:
    names = await site.execute("{ companies(first: 100) { totalCount edges { node { name } } } }")
    found = [edge["node"]["name"] for edge in names["companies"]["edges"]]
    assert sorted(found) == sorted(seeded.universe["graphql companies nameContains"])
    async with site.database.engine.connect() as connection:
        users = await connection.scalar(text('SELECT count(*) FROM "user"'))
    assert users == 3


def takes_text(kind: Any, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a value of this argument type holds a String anywhere (input fields too)."""
    while hasattr(kind, "of_type"):
        kind = kind.of_type
    if isinstance(kind, GraphQLScalarType):
        return kind.name == "String"
    if isinstance(kind, GraphQLInputObjectType) and kind.name not in seen:
        return any(takes_text(field.type, seen | {kind.name}) for field in kind.fields.values())
    return False


def arguments_taking_text() -> list[tuple[str, str, str]]:
    """(query or mutation, field, argument) for every argument that holds a String."""
    found = []
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        assert root is not None
        for name, field in sorted(root.fields.items()):
            found += [
                (operation, name, argument)
                for argument, spec in field.args.items()
                if takes_text(spec.type)
            ]
    return found


TEXT_ARGUMENTS = arguments_taking_text()


@pytest.mark.parametrize(
    ("operation", "name", "argument"),
    TEXT_ARGUMENTS,
    ids=[f"{name}.{argument}" for _, name, argument in TEXT_ARGUMENTS],
)
async def test_a_nul_in_any_text_argument_is_a_clear_error_not_a_crash(
    site: Site, seeded: Seeded, operation: str, name: str, argument: str
) -> None:
    """Postgres refuses NUL in text (and \\u0000 in JSON): every string the schema takes must
    be checked before it gets there, or the caller gets 'Unexpected server error'. One
    argument at a time holds the NUL, so an earlier refusal of another cannot hide it."""
    root = SCHEMA.query_type if operation == "query" else SCHEMA.mutation_type
    assert root is not None
    company = await site.execute("{ companies(first: 1) { edges { node { id } } } }")
    known_id = company["companies"]["edges"][0]["node"]["id"]
    query, variables = document(operation, name, root.fields[name], known_id, "Acme Labs")
    _, with_nul = document(operation, name, root.fields[name], known_id, "Acme\x00 Labs")
    # Any text is a bad cursor: refused first, it would hide the argument under test.
    variables = {key: value for key, value in variables.items() if key != "after"}
    response = await site.graphql(
        site.tokens["admin"], query, {**variables, argument: with_nul[argument]}
    )
    clean(response.status_code, response.text)


@pytest.mark.parametrize("form", FORMS, ids=[form.route for form in FORMS])
async def test_a_nul_or_sql_in_any_form_field_is_a_clear_answer_not_a_crash(
    site: Site, seeded: Seeded, form: Form
) -> None:
    """Each field of each form, one at a time, with NUL and with SQL: never a 500."""
    admin = await site.signed_in("admin")
    url, fields = await form.prepare(site)
    answers = {}
    for field in fields:
        for value in ("Acme\x00 Labs", "' OR 1=1; DROP TABLE company; --"):
            response = await admin.client.post(
                url, data={**fields, field: value, "csrf": admin.csrf}
            )
            answers[(field, value[:6])] = response.status_code
    assert all(status < 500 for status in answers.values()), answers
