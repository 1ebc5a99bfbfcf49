"""Notes attach to a company or person; tasks carry a status, a due date and links."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.errors import NotFound, Required, TooLong, ValidationFailed
from compound.platform.records import notes, tasks
from compound.platform.records.models import Activity
from tests.factories import make_company, make_person


async def test_note_on_a_person_lands_on_their_company_timeline(
    session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session)
    person = await make_person(session, company=company)
    note = await notes.create_note(
        session, actor, body="## Call with Ada\n- wants a demo", person_id=person.id
    )
    assert note.embedding is not None
    activity = await session.scalar(select(Activity).where(Activity.subject_id == note.id))
    assert activity is not None
    assert activity.company_id == company.id and activity.person_id == person.id
    assert activity.summary == "Note added: Call with Ada"


async def test_note_keeps_markdown_with_newlines_and_tabs(
    session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session)
    body = "# Title\n\n- one\n\t- nested\n```\ncode\n```"
    note = await notes.create_note(
        session, actor, body=body, company_id=company.id, compute_embedding=False
    )
    assert note.body == body


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", Required),
        ("   \n ", Required),
        ("x" * 100_001, TooLong),
        ("bad\x00byte", ValidationFailed),
    ],
)
async def test_bad_note_body_is_refused(
    session: AsyncSession, actor: Actor, body: str, error: type[Exception]
) -> None:
    company = await make_company(session)
    with pytest.raises(error):
        await notes.create_note(session, actor, body=body, company_id=company.id)


async def test_note_needs_somewhere_to_live(session: AsyncSession, actor: Actor) -> None:
    with pytest.raises(Required):
        await notes.create_note(session, actor, body="orphan")
    with pytest.raises(NotFound):
        await notes.create_note(session, actor, body="orphan", company_id=uuid.uuid4())


async def test_task_lifecycle_sets_and_clears_completion(
    session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session)
    task = await tasks.create_task(
        session,
        actor,
        title="Send proposal",
        due_date=date(2026, 12, 1),
        company_id=company.id,
        assignee_agent="leads.researcher",
    )
    assert task.status == "open"
    done = await tasks.update_task(session, actor, task.id, status="DONE")
    assert done.status == "done" and done.completed_at is not None
    reopened = await tasks.update_task(session, actor, task.id, status="open")
    assert reopened.completed_at is None
    kinds = [
        a.summary
        for a in (
            await session.execute(
                select(Activity)
                .where(Activity.subject_id == task.id)
                .order_by(Activity.occurred_at)
            )
        ).scalars()
    ]
    assert kinds[0] == "Task created: Send proposal (due 2026-12-01)"
    assert "Task done: Send proposal" in kinds


async def test_unknown_task_status_lists_the_choices(session: AsyncSession, actor: Actor) -> None:
    task = await tasks.create_task(session, actor, title="x")
    with pytest.raises(ValidationFailed, match="open, done, cancelled"):
        await tasks.update_task(session, actor, task.id, status="finished")


async def test_task_links_must_exist(session: AsyncSession, actor: Actor) -> None:
    with pytest.raises(NotFound):
        await tasks.create_task(session, actor, title="x", person_id=uuid.uuid4())
    with pytest.raises(NotFound):
        await tasks.create_task(session, actor, title="x", assignee_user_id=uuid.uuid4())
