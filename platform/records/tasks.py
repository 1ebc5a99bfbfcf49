"""Task operations: to-dos with a due date, a status, an assignee (person or agent) and links."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.auth.models import User
from compound.platform.clock import utcnow
from compound.platform.errors import NotFound, ValidationFailed
from compound.platform.records.companies import get_company
from compound.platform.records.models import TASK_TITLE_MAX, Task, TaskStatus
from compound.platform.records.people import get_person
from compound.platform.records.rules import optional_text, required_text
from compound.platform.records.timeline import changed_fields, record_change, snapshot
from compound.platform.sentinel import UNSET, Unset

AGENT_NAME_MAX = 100


def parse_status(value: str) -> TaskStatus:
    try:
        return TaskStatus(value.strip().lower())
    except ValueError:
        raise ValidationFailed(
            f"unknown task status {value!r}; "
            f"choose one of: {', '.join(s.value for s in TaskStatus)}",
            field="status",
        ) from None


async def get_task(session: AsyncSession, task_id: uuid.UUID) -> Task:
    task = await session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task with id {task_id}", field="id")
    return task


async def _check_assignee_user(session: AsyncSession, user_id: uuid.UUID | None) -> None:
    if user_id is not None and await session.get(User, user_id) is None:
        raise NotFound(f"no user with id {user_id}", field="assigneeUserId")


async def _check_links(
    session: AsyncSession, company_id: uuid.UUID | None, person_id: uuid.UUID | None
) -> None:
    if company_id is not None:
        await get_company(session, company_id)
    if person_id is not None:
        await get_person(session, person_id)


async def create_task(
    session: AsyncSession,
    actor: Actor,
    *,
    title: str,
    due_date: date | None = None,
    status: str = TaskStatus.OPEN.value,
    assignee_user_id: uuid.UUID | None = None,
    assignee_agent: str | None = None,
    company_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
) -> Task:
    clean_title = required_text(title, field="title", max_length=TASK_TITLE_MAX)
    clean_status = parse_status(status)
    agent = optional_text(assignee_agent, field="assigneeAgent", max_length=AGENT_NAME_MAX)
    await _check_assignee_user(session, assignee_user_id)
    await _check_links(session, company_id, person_id)
    task = Task(
        title=clean_title,
        due_date=due_date,
        status=clean_status.value,
        completed_at=utcnow() if clean_status == TaskStatus.DONE else None,
        assignee_user_id=assignee_user_id,
        assignee_agent=agent,
        company_id=company_id,
        person_id=person_id,
    )
    session.add(task)
    await session.flush()
    await record_change(
        session,
        actor,
        action="task.created",
        subject_type="task",
        subject_id=task.id,
        company_id=company_id,
        person_id=person_id,
        summary=f"Task created: {clean_title}"
        + (f" (due {due_date.isoformat()})" if due_date else ""),
        after=snapshot(task),
    )
    return task


async def update_task(
    session: AsyncSession,
    actor: Actor,
    task_id: uuid.UUID,
    *,
    title: str | Unset = UNSET,
    due_date: date | Unset | None = UNSET,
    status: str | Unset = UNSET,
    assignee_user_id: uuid.UUID | Unset | None = UNSET,
    assignee_agent: str | Unset | None = UNSET,
    company_id: uuid.UUID | Unset | None = UNSET,
    person_id: uuid.UUID | Unset | None = UNSET,
) -> Task:
    task = await get_task(session, task_id)
    before = snapshot(task)
    if title is not UNSET:
        task.title = required_text(title, field="title", max_length=TASK_TITLE_MAX)
    if due_date is not UNSET:
        task.due_date = due_date
    if status is not UNSET:
        new_status = parse_status(status)
        if new_status.value != task.status:
            task.status = new_status.value
            task.completed_at = utcnow() if new_status == TaskStatus.DONE else None
    if assignee_user_id is not UNSET:
        await _check_assignee_user(session, assignee_user_id)
        task.assignee_user_id = assignee_user_id
    if assignee_agent is not UNSET:
        task.assignee_agent = optional_text(
            assignee_agent, field="assigneeAgent", max_length=AGENT_NAME_MAX
        )
    if company_id is not UNSET:
        await _check_links(session, company_id, None)
        task.company_id = company_id
    if person_id is not UNSET:
        await _check_links(session, None, person_id)
        task.person_id = person_id
    after = snapshot(task)
    changes = changed_fields(before, after)
    if not changes:
        return task
    task.updated_at = utcnow()
    session.add(task)
    await session.flush()
    summary = (
        f"Task {task.status}: {task.title}"
        if "status" in changes
        else f"Task updated: {task.title} ({', '.join(changes)})"
    )
    await record_change(
        session,
        actor,
        action="task.updated",
        subject_type="task",
        subject_id=task.id,
        company_id=task.company_id,
        person_id=task.person_id,
        summary=summary,
        before=before,
        after=snapshot(task),
        data={"fields": changes},
    )
    return task


async def delete_task(session: AsyncSession, actor: Actor, task_id: uuid.UUID) -> None:
    task = await get_task(session, task_id)
    before = snapshot(task)
    await session.delete(task)
    await session.flush()
    await record_change(
        session,
        actor,
        action="task.deleted",
        subject_type="task",
        subject_id=task_id,
        company_id=task.company_id,
        person_id=task.person_id,
        summary=f"Task deleted: {task.title}",
        before=before,
    )
