"""Provenance of agent writes: one row per created record and per changed field, naming the
run, tool, cited source and confidence; none for people; shown on records in GraphQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth.actor import Actor, AgentProvenance
from compound.platform.errors import ValidationFailed
from compound.platform.records import companies, notes, people, tasks
from compound.platform.records.models import AuditEvent, RecordProvenance
from tests.conftest import GraphQLClient
from tests.factories import make_company, unique

RUN_ID = uuid.UUID("00000000-0000-4000-8000-000000000042")


def agent(tool: str | None = "tests.tool") -> Actor:
    return Actor(
        label="agent:tests.researcher",
        scopes=frozenset({"read", "write"}),
        role="agent",
        provenance=AgentProvenance(run_id=RUN_ID, agent="tests.researcher", tool=tool),
    )


async def provenance_of(session: AsyncSession, subject_id: uuid.UUID) -> list[RecordProvenance]:
    statement = (
        select(RecordProvenance)
        .where(col(RecordProvenance.subject_id) == subject_id)
        .order_by(col(RecordProvenance.created_at), col(RecordProvenance.field))
    )
    return list((await session.execute(statement)).scalars())


async def test_an_agents_create_records_the_run_tool_cited_source_and_confidence(
    session: AsyncSession,
) -> None:
    writer = agent().citing(source={"url": "https://acme.example/about"}, confidence=0.7)
    company = await companies.create_company(
        session, writer, name="Acme Provenance", compute_embedding=False
    )
    [row] = await provenance_of(session, company.id)
    assert (row.action, row.subject_type, row.field) == ("company.created", "company", None)
    assert (row.run_id, row.agent, row.tool) == (RUN_ID, "tests.researcher", "tests.tool")
    assert (row.source, row.confidence) == ({"url": "https://acme.example/about"}, 0.7)
    assert row.value_before is None
    assert row.value_after is not None and row.value_after["name"] == "Acme Provenance"
    assert "embedding" not in row.value_after


async def test_an_agents_update_records_each_changed_field_with_before_and_after(
    session: AsyncSession,
) -> None:
    company = await make_company(session, name="Before Name")
    await companies.update_company(
        session,
        agent().citing(source={"message_id": "<m1@example.com>"}, confidence=0.9),
        company.id,
        name="After Name",
        description="Makes things",
        domain=None,
    )
    rows = await provenance_of(session, company.id)
    assert [(r.field, r.value_before, r.value_after) for r in rows] == [
        ("description", None, "Makes things"),
        ("name", "Before Name", "After Name"),
    ]
    assert {r.action for r in rows} == {"company.updated"}
    assert all(r.source == {"message_id": "<m1@example.com>"} for r in rows)


async def test_a_persons_emails_changed_by_an_agent_are_one_field(
    session: AsyncSession, actor: Actor
) -> None:
    person = await people.create_person(
        session, actor, name="Ada", emails=["ada@example.com"], compute_embedding=False
    )
    await people.update_person(
        session, agent(), person.id, emails=["ada@example.com", "ada@work.example"]
    )
    [row] = await provenance_of(session, person.id)
    assert (row.action, row.field) == ("person.updated", "emails")
    assert row.value_before == ["ada@example.com"]
    assert row.value_after == ["ada@example.com", "ada@work.example"]


async def test_notes_and_tasks_an_agent_writes_carry_provenance(session: AsyncSession) -> None:
    company = await make_company(session)
    note = await notes.create_note(
        session, agent(), body="# Research\nThey sell robots.", company_id=company.id
    )
    task = await tasks.create_task(
        session, agent(), title="Follow up", due_date=date(2030, 1, 2), company_id=company.id
    )
    await tasks.update_task(session, agent("tests.closer"), task.id, status="done")
    [note_row] = await provenance_of(session, note.id)
    assert (note_row.action, note_row.field) == ("note.created", None)
    task_rows = await provenance_of(session, task.id)
    assert [(r.action, r.field, r.tool) for r in task_rows] == [
        ("task.created", None, "tests.tool"),
        ("task.updated", "completed_at", "tests.closer"),
        ("task.updated", "status", "tests.closer"),
    ]
    assert task_rows[0].value_after is not None
    assert task_rows[0].value_after["due_date"] == "2030-01-02"
    assert (task_rows[2].value_before, task_rows[2].value_after) == ("open", "done")


async def test_a_humans_writes_carry_no_provenance(session: AsyncSession, actor: Actor) -> None:
    company = await companies.create_company(
        session, actor, name="Human Made", compute_embedding=False
    )
    await companies.update_company(session, actor, company.id, description="By hand")
    assert await provenance_of(session, company.id) == []
    assert actor.citing(source={"url": "https://x.example"}, confidence=0.5) is actor


async def test_an_agents_delete_records_the_values_before(session: AsyncSession) -> None:
    company = await make_company(session)
    person = await people.create_person(session, agent(), name=unique("Gone "))
    note = await notes.create_note(session, agent(), body="gone too", person_id=person.id)
    task = await tasks.create_task(session, agent(), title="Stays", person_id=person.id)
    await tasks.delete_task(session, agent(), task.id)
    await people.delete_person(session, agent(), person.id)
    await companies.delete_company(session, agent(), company.id)
    for subject_id, action in (
        (task.id, "task.deleted"),
        (person.id, "person.deleted"),
        (company.id, "company.deleted"),
    ):
        row = (await provenance_of(session, subject_id))[-1]
        assert (row.action, row.field, row.value_after) == (action, None, None)
        assert row.value_before is not None and row.value_before["id"] == str(subject_id)
    person_row = (await provenance_of(session, person.id))[-1]
    assert person_row.value_before is not None
    assert [n["body"] for n in person_row.value_before["notes"]] == [note.body]
    audit = (
        await session.execute(
            select(AuditEvent)
            .where(col(AuditEvent.subject_id) == person.id)
            .where(col(AuditEvent.action) == "person.deleted")
        )
    ).scalar_one()
    assert audit.actor_label == "agent:tests.researcher"


@pytest.mark.parametrize(
    ("source", "confidence", "field"),
    [
        ({"url": "https://x.example"}, 1.5, "confidence"),
        ({"url": "https://x.example"}, float("nan"), "confidence"),
        ({"span": object()}, 0.5, "source"),
        ({"quote": "x" * 30_000}, 0.5, "source"),
    ],
)
def test_a_citation_must_be_json_with_a_confidence_between_0_and_1(
    source: dict[str, Any], confidence: float, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        agent().citing(source=source, confidence=confidence)
    assert raised.value.field == field


def test_a_cited_source_is_a_frozen_copy() -> None:
    source: dict[str, Any] = {"span": [10, 20]}
    cited = agent().citing(source=source, confidence=1.0)
    source["span"].append(30)
    assert cited.provenance is not None
    assert dict(cited.provenance.source) == {"span": [10, 20]}
    with pytest.raises(TypeError):
        cited.provenance.source["url"] = "https://x.example"  # type: ignore[index]


PROVENANCE_QUERY = """
query($id: ID!) {
  company(id: $id) {
    name
    provenance { runId agent tool action field source confidence createdAt undoneAt }
    notes { provenance { action field } }
    tasks { provenance { action field } }
    people { provenance { action field } }
  }
}
"""


async def test_graphql_shows_a_record_s_provenance_newest_first(
    graphql: GraphQLClient, session: AsyncSession, actor: Actor
) -> None:
    company = await companies.create_company(
        session,
        agent().citing(source={"url": "https://acme.example"}, confidence=0.6),
        name="Acme GraphQL",
        compute_embedding=False,
    )
    await companies.update_company(session, agent(), company.id, name="Acme GraphQL Inc")
    await notes.create_note(session, agent(), body="note", company_id=company.id)
    await tasks.create_task(session, agent(), title="task", company_id=company.id)
    await people.create_person(session, actor, name="By Hand", company_id=company.id)
    await session.commit()
    body = await graphql.execute(PROVENANCE_QUERY, {"id": str(company.id)})
    assert "errors" not in body, body
    shown = body["data"]["company"]
    assert [(p["action"], p["field"]) for p in shown["provenance"]] == [
        ("company.updated", "name"),
        ("company.created", None),
    ]
    created = shown["provenance"][1]
    assert created["runId"] == str(RUN_ID)
    assert (created["agent"], created["tool"]) == ("tests.researcher", "tests.tool")
    assert (created["source"], created["confidence"]) == ({"url": "https://acme.example"}, 0.6)
    assert created["undoneAt"] is None and created["createdAt"]
    assert shown["notes"][0]["provenance"] == [{"action": "note.created", "field": None}]
    assert shown["tasks"][0]["provenance"] == [{"action": "task.created", "field": None}]
    assert shown["people"][0]["provenance"] == []


@contextmanager
def counting_queries(connection: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


async def test_provenance_of_many_companies_is_one_query(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    prefix = unique("Batch ")
    for index in range(12):
        await companies.create_company(
            session, agent(), name=f"{prefix} {index:02d}", compute_embedding=False
        )
    await session.commit()
    await graphql.execute("{ companies(first: 1) { totalCount } }")  # token's last-use stamp
    query = '{ companies(first: 50, filter: {nameContains: "%s"}) { edges { node { %s } } } }'
    connection = (await session.connection()).sync_connection
    with counting_queries(connection) as without:
        await graphql.execute(query % (prefix, "name"))
    with counting_queries(connection) as with_provenance:
        body = await graphql.execute(query % (prefix, "name provenance { action }"))
    edges = body["data"]["companies"]["edges"]
    assert len(edges) == 12
    assert all(edge["node"]["provenance"] == [{"action": "company.created"}] for edge in edges)
    assert len(with_provenance) == len(without) + 1
