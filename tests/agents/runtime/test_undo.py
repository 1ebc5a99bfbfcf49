"""Undoing a run: what it and its children wrote is reverted as the person who undoes it,
except what a person changed since, which is kept and listed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.runtime import service as runs
from compound.agents.runtime.context import agent_actor
from compound.agents.runtime.models import AgentRun
from compound.agents.runtime.undo import KeptWrite, undo_run
from compound.platform.auth.actor import Actor
from compound.platform.errors import NotFound, PermissionDenied
from compound.platform.records import companies, notes, people, tasks
from compound.platform.records.models import (
    AuditEvent,
    Company,
    Note,
    Person,
    RecordProvenance,
    Task,
)
from tests.agent_driver import drive
from tests.factories import make_company, unique
from tests.runtime_agents import PLANNER

ALICE = Actor(label="user:alice@example.com", role="member", scopes=frozenset({"read", "write"}))


async def run_plan(session: AsyncSession, actor: Actor, plan: dict[str, Any]) -> AgentRun:
    run = await runs.start_run(session, actor, PLANNER, plan)
    await session.commit()
    await drive(session)
    await session.refresh(run)
    assert run.state == "done", run.error
    return run


async def company_named(session: AsyncSession, name: str) -> Company | None:
    statement = select(Company).where(col(Company.name) == name)
    return (await session.execute(statement)).scalar_one_or_none()


def add(name: str) -> list[Any]:
    return ["add_company", {"name": name}]


def rename(company_id: uuid.UUID, name: str) -> list[Any]:
    return ["rename_company", {"company_id": str(company_id), "name": name}]


async def test_a_runs_writes_name_the_tool_and_the_cited_source(
    session: AsyncSession, actor: Actor
) -> None:
    existing = await make_company(session, name=unique("Old "))
    name = unique("Added ")
    run = await run_plan(session, actor, {"steps": [add(name), rename(existing.id, "Renamed")]})
    rows = list(
        (
            await session.execute(
                select(RecordProvenance)
                .where(col(RecordProvenance.run_id) == run.id)
                .order_by(col(RecordProvenance.created_at))
            )
        ).scalars()
    )
    assert [(r.tool, r.action, r.field, r.source, r.confidence) for r in rows] == [
        ("add_company", "company.created", None, {}, None),
        (
            "rename_company",
            "company.updated",
            "name",
            {"url": "https://example.com/rename"},
            0.8,
        ),
    ]
    assert {(r.agent, r.run_id) for r in rows} == {("tests.planner", run.id)}


async def test_undoing_a_parent_removes_what_it_and_its_children_created(
    session: AsyncSession, actor: Actor
) -> None:
    names = [unique("Fan ") for _ in range(4)]
    parent = await run_plan(session, actor, {"steps": [add(names[0])], "children": names[1:]})
    assert len(await runs.child_runs(session, parent.id)) == 3
    created = [await company_named(session, name) for name in names]
    assert all(created)

    report = await undo_run(session, ALICE, parent.id)

    assert report.runs == 4 and report.kept == []
    assert sorted(report.reverted) == sorted(
        f"deleted company {company.name} ({company.id})" for company in created if company
    )
    for name in names:
        assert await company_named(session, name) is None
    deletions = (
        await session.execute(
            select(AuditEvent)
            .where(col(AuditEvent.action) == "company.deleted")
            .where(col(AuditEvent.subject_id).in_([c.id for c in created if c]))
        )
    ).scalars()
    assert {event.actor_label for event in deletions} == {"user:alice@example.com"}
    undone = (
        await session.execute(select(AgentRun).where(col(AgentRun.root_id) == parent.id))
    ).scalars()
    assert all(run.undone_at is not None for run in undone)


async def test_undoing_one_child_leaves_its_parent_and_siblings(
    session: AsyncSession, actor: Actor
) -> None:
    names = [unique("Sibling ") for _ in range(2)]
    parent = await run_plan(session, actor, {"children": names})
    children = await runs.child_runs(session, parent.id)
    first = await company_named(session, names[0])
    child = next(run for run in children if run.input["steps"][0][1]["name"] == names[0])
    report = await undo_run(session, ALICE, child.id)
    assert report.runs == 1 and len(report.reverted) == 1 and first is not None
    assert await company_named(session, names[0]) is None
    assert await company_named(session, names[1]) is not None


async def test_people_notes_and_tasks_are_undone_through_their_services(
    session: AsyncSession, actor: Actor
) -> None:
    run = await run_plan(session, actor, {})
    writer = agent_actor(run)
    company = await make_company(session)
    known = await people.create_person(session, actor, name="Known", emails=["k@example.com"])
    chore = await tasks.create_task(session, actor, title="Chore")
    person = await people.create_person(session, writer, name="New Lead", company_id=company.id)
    note = await notes.create_note(session, writer, body="Met at a fair", person_id=person.id)
    task = await tasks.create_task(session, writer, title="Call back", company_id=company.id)
    await people.update_person(session, writer, known.id, emails=["k@example.com", "k@x.example"])
    await tasks.update_task(session, writer, chore.id, status="done")
    await session.commit()

    report = await undo_run(session, ALICE, run.id)

    assert report.kept == []
    assert len(report.reverted) == 5
    assert await session.get(Person, person.id, populate_existing=True) is None
    assert await session.get(Note, note.id, populate_existing=True) is None
    assert await session.get(Task, task.id, populate_existing=True) is None
    assert await people.emails_of(session, known.id) == ["k@example.com"]
    await session.refresh(chore)
    assert (chore.status, chore.completed_at) == ("open", None)
    assert await session.get(Company, company.id) is not None


async def test_a_company_a_person_edited_since_is_kept_and_listed(
    session: AsyncSession, actor: Actor
) -> None:
    kept_name, gone_name = unique("Kept "), unique("Gone ")
    run = await run_plan(session, actor, {"steps": [add(kept_name), add(gone_name)]})
    kept = await company_named(session, kept_name)
    assert kept is not None
    await companies.update_company(session, ALICE, kept.id, name=f"{kept_name} (checked)")
    await session.commit()

    report = await undo_run(session, ALICE, run.id)

    assert report.kept == [
        KeptWrite(
            subject_type="company",
            subject_id=kept.id,
            field=None,
            reason="edited by user:alice@example.com since",
        )
    ]
    assert len(report.reverted) == 1 and gone_name in report.reverted[0]
    assert await company_named(session, f"{kept_name} (checked)") is not None
    assert await company_named(session, gone_name) is None


async def test_a_field_an_agent_changed_is_restored(session: AsyncSession, actor: Actor) -> None:
    company = await make_company(session, name=unique("Original "))
    original = company.name
    run = await run_plan(session, actor, {"steps": [rename(company.id, "Agent Name")]})
    await session.refresh(company)
    assert company.name == "Agent Name"

    report = await undo_run(session, ALICE, run.id)

    assert report.kept == []
    assert report.reverted == [
        f"restored company Agent Name: name 'Agent Name' → {original!r} ({company.id})"
    ]
    await session.refresh(company)
    assert company.name == original
    audit = (
        await session.execute(
            select(AuditEvent)
            .where(col(AuditEvent.subject_id) == company.id)
            .order_by(col(AuditEvent.occurred_at).desc())
            .limit(1)
        )
    ).scalar_one()
    assert (audit.action, audit.actor_label) == ("company.updated", "user:alice@example.com")


async def test_a_field_changed_again_since_is_kept(session: AsyncSession, actor: Actor) -> None:
    company = await make_company(session, name=unique("Original "))
    run = await run_plan(session, actor, {"steps": [rename(company.id, "Agent Name")]})
    await companies.update_company(session, ALICE, company.id, name="Alice Name")
    await session.commit()

    report = await undo_run(session, ALICE, run.id)

    assert report.reverted == []
    assert report.kept == [
        KeptWrite(
            subject_type="company",
            subject_id=company.id,
            field="name",
            reason="changed by user:alice@example.com since",
        )
    ]
    await session.refresh(company)
    assert company.name == "Alice Name"


async def test_a_record_deleted_since_is_kept_as_already_deleted(
    session: AsyncSession, actor: Actor
) -> None:
    name = unique("Deleted ")
    run = await run_plan(session, actor, {"steps": [add(name)]})
    company = await company_named(session, name)
    assert company is not None
    await companies.delete_company(session, ALICE, company.id)
    await session.commit()
    report = await undo_run(session, ALICE, run.id)
    assert report.reverted == []
    assert [(k.subject_id, k.reason) for k in report.kept] == [(company.id, "already deleted")]


async def test_undoing_twice_finds_nothing_left(session: AsyncSession, actor: Actor) -> None:
    company = await make_company(session, name=unique("Twice "))
    run = await run_plan(
        session, actor, {"steps": [add(unique("Twice added ")), rename(company.id, "Twice B")]}
    )
    first = await undo_run(session, ALICE, run.id)
    assert len(first.reverted) == 2 and first.kept == []
    await session.commit()
    second = await undo_run(session, ALICE, run.id)
    assert (second.reverted, second.kept, second.nothing_left) == ([], [], True)


async def test_undoing_an_unknown_run_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound):
        await undo_run(session, ALICE, uuid.uuid4())


async def test_a_viewer_without_the_write_scope_cannot_undo(
    session: AsyncSession, actor: Actor
) -> None:
    name = unique("Viewer ")
    run = await run_plan(session, actor, {"steps": [add(name)]})
    viewer = Actor(label="user:viewer@example.com", role="viewer", scopes=frozenset({"read"}))
    with pytest.raises(PermissionDenied):
        await undo_run(session, viewer, run.id)
    assert await company_named(session, name) is not None
