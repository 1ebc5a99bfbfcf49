"""Undoing a run: revert every write it and its descendants made, newest first, unless a
person has touched that record or field since; report what was reverted and what was kept."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from compound.agents.runtime.models import AgentRun, RunState
from compound.agents.runtime.service import get_run
from compound.platform.auth.actor import Actor
from compound.platform.clock import utcnow
from compound.platform.errors import CompoundError, ValidationFailed
from compound.platform.modules import RecordKind
from compound.platform.records import companies, notes, people, tasks
from compound.platform.records.models import (
    Activity,
    Company,
    Note,
    Person,
    RecordProvenance,
    Task,
)
from compound.platform.records.timeline import snapshot

AGENT_LABEL_PREFIX = "agent:"


@dataclass(frozen=True)
class KeptWrite:
    """A write the undo left in place, and why."""

    subject_type: str
    subject_id: uuid.UUID
    field: str | None
    """None: the whole record (it was created, deleted or merged by the run)."""
    reason: str


@dataclass(frozen=True)
class UndoReport:
    run_id: uuid.UUID
    runs: int
    """How many runs were covered: the run and all its descendants."""
    reverted: list[str]
    """One line per reverted write, for people: "deleted company Acme (id …)"."""
    kept: list[KeptWrite]

    @property
    def nothing_left(self) -> bool:
        """True when the runs have no write left standing (none, or all undone before)."""
        return not self.reverted and not self.kept


@dataclass(frozen=True)
class _RecordKind:
    """How undo reads, deletes and restores one kind of shared record (through its service)."""

    model: type[SQLModel]
    delete: Callable[[AsyncSession, Actor, uuid.UUID], Awaitable[None]]
    restorable: frozenset[str]
    """Fields the kind's update service can set back; the rest are kept and reported."""
    describe: Callable[[Any], str]


async def _restore_company(
    session: AsyncSession, actor: Actor, record_id: uuid.UUID, field: str, value: Any
) -> None:
    await companies.update_company(session, actor, record_id, **{field: value})


async def _restore_person(
    session: AsyncSession, actor: Actor, record_id: uuid.UUID, field: str, value: Any
) -> None:
    await people.update_person(session, actor, record_id, **{field: value})


async def _restore_task(
    session: AsyncSession, actor: Actor, record_id: uuid.UUID, field: str, value: Any
) -> None:
    await tasks.update_task(session, actor, record_id, **{field: value})


_KINDS: dict[str, _RecordKind] = {
    "company": _RecordKind(
        model=Company,
        delete=companies.delete_company,
        restorable=frozenset({"name", "domain", "description", "aliases"}),
        describe=lambda company: f"company {company.name}",
    ),
    "person": _RecordKind(
        model=Person,
        delete=people.delete_person,
        restorable=frozenset({"name", "title", "company_id", "emails"}),
        describe=lambda person: f"person {person.name}",
    ),
    "note": _RecordKind(
        model=Note,
        delete=notes.delete_note,
        restorable=frozenset(),
        describe=lambda note: f"note “{_first_line(note.body)}”",
    ),
    "task": _RecordKind(
        model=Task,
        delete=tasks.delete_task,
        restorable=frozenset(
            {
                "title",
                "due_date",
                "status",
                "assignee_user_id",
                "assignee_agent",
                "company_id",
                "person_id",
            }
        ),
        describe=lambda task: f"task {task.title}",
    ),
}

_RESTORERS: dict[str, Callable[[AsyncSession, Actor, uuid.UUID, str, Any], Awaitable[None]]] = {
    "company": _restore_company,
    "person": _restore_person,
    "task": _restore_task,
}

Restorer = Callable[[AsyncSession, Actor, uuid.UUID, str, Any], Awaitable[None]]


def register_record_kind(kind: RecordKind) -> None:
    """Let undo revert a module's own records (the runtime knows only the shared ones)."""
    _KINDS[kind.subject_type] = _RecordKind(
        model=kind.model, delete=kind.delete, restorable=kind.restorable, describe=kind.describe
    )
    if kind.restore is not None:
        _RESTORERS[kind.subject_type] = kind.restore


# Set by the service from another field (a task's completed_at follows its status), so they
# are reverted, or kept, with that field and never reported on their own.
_DERIVED_FIELDS = {("task", "completed_at")}


@dataclass(frozen=True)
class _LaterChange:
    occurred_at: datetime
    actor: str

    @property
    def by_agent(self) -> bool:
        return self.actor.startswith(AGENT_LABEL_PREFIX)


async def undo_run(session: AsyncSession, actor: Actor, run_id: uuid.UUID) -> UndoReport:
    """Revert the writes of a run and of all its descendants, as `actor` (audit, timeline).

    Created records are deleted unless a person changed them (or their timeline) since;
    changed fields are restored unless their value changed since. Writes already undone
    are skipped, so a second undo finds nothing left. Raises NotFound for an unknown run,
    PermissionDenied without the `write` scope.
    """
    actor.require_scope("write")
    await get_run(session, run_id)
    run_ids = await run_tree(session, run_id)
    refusal = await _still_going(session, run_ids)
    if refusal is not None:
        raise ValidationFailed(refusal, field="id")
    writes = list(
        (
            await session.execute(
                select(RecordProvenance)
                .where(col(RecordProvenance.run_id).in_(run_ids))
                .where(col(RecordProvenance.undone_at).is_(None))
                .order_by(col(RecordProvenance.created_at).desc(), col(RecordProvenance.id))
            )
        ).scalars()
    )
    # Read before reverting anything: the undo's own writes are not "changed since".
    later = await _later_changes(session, writes)
    now = utcnow()
    reverted: list[str] = []
    kept: list[KeptWrite] = []
    for write in writes:
        if (write.subject_type, write.field) in _DERIVED_FIELDS:
            continue
        changes_since = [
            change
            for change in later[(write.subject_type, write.subject_id)]
            if change.occurred_at > write.created_at
        ]
        outcome = await _revert(session, actor, write, changes_since)
        if isinstance(outcome, KeptWrite):
            kept.append(outcome)
            continue
        write.undone_at = now
        session.add(write)
        if outcome:
            reverted.append(outcome)
    for run in (
        await session.execute(select(AgentRun).where(col(AgentRun.id).in_(run_ids)))
    ).scalars():
        run.undone_at = now
    await session.flush()
    return UndoReport(run_id=run_id, runs=len(run_ids), reverted=reverted, kept=kept)


async def undo_refusal(session: AsyncSession, run_id: uuid.UUID) -> str | None:
    """Why the run cannot be undone now, or None when it can: not while a run of its task is
    still going. `undo_run` (the run page's button, the undoRun mutation) refuses with it,
    and the run page offers its Undo button only when this is None."""
    return await _still_going(session, await run_tree(session, run_id))


async def _still_going(session: AsyncSession, run_ids: Sequence[uuid.UUID]) -> str | None:
    unfinished = await session.scalar(
        select(func.count())
        .select_from(AgentRun)
        .where(col(AgentRun.id).in_(run_ids))
        .where(col(AgentRun.state).not_in([RunState.DONE.value, RunState.FAILED.value]))
    )
    if not unfinished:
        return None
    # An unfinished run would go on writing after the undo.
    return (
        f"{unfinished} of the {len(run_ids)} runs in this task are still going (queued, "
        "running or waiting); undo once they have finished — reject or dismiss what they "
        "wait on to finish them now"
    )


async def run_tree(session: AsyncSession, run_id: uuid.UUID) -> list[uuid.UUID]:
    """The run and all its descendants (children, their children …), in one query."""
    tree = select(col(AgentRun.id)).where(col(AgentRun.id) == run_id).cte("tree", recursive=True)
    tree = tree.union_all(select(col(AgentRun.id)).where(col(AgentRun.parent_id) == tree.c.id))
    return list((await session.execute(select(tree.c.id))).scalars())


async def _later_changes(
    session: AsyncSession, writes: Sequence[RecordProvenance]
) -> dict[tuple[str, uuid.UUID], list[_LaterChange]]:
    """Every timeline entry since the oldest write, by the records it touches.

    The timeline rather than the audit log alone: every audited change has its entry, and
    a person's note, task or colleague added to a company is on that company's timeline
    too — deleting the company would take their work with it.
    """
    found: dict[tuple[str, uuid.UUID], list[_LaterChange]] = defaultdict(list)
    if not writes:
        return found
    subjects = {(write.subject_type, write.subject_id) for write in writes}
    ids = {subject_id for _, subject_id in subjects}
    statement = (
        select(
            col(Activity.subject_type),
            col(Activity.subject_id),
            col(Activity.company_id),
            col(Activity.person_id),
            col(Activity.occurred_at),
            col(Activity.actor),
        )
        .where(col(Activity.occurred_at) > min(write.created_at for write in writes))
        .where(
            or_(
                col(Activity.subject_id).in_(ids),
                col(Activity.company_id).in_(ids),
                col(Activity.person_id).in_(ids),
            )
        )
        .order_by(col(Activity.occurred_at))
    )
    for row in (await session.execute(statement)).all():
        change = _LaterChange(occurred_at=row.occurred_at, actor=row.actor)
        touched = {
            (row.subject_type, row.subject_id),
            ("company", row.company_id),
            ("person", row.person_id),
        }
        for subject in touched & subjects:
            found[subject].append(change)
    return found


async def _revert(
    session: AsyncSession,
    actor: Actor,
    write: RecordProvenance,
    changes_since: Sequence[_LaterChange],
) -> str | KeptWrite | None:
    """The line for a reverted write, a KeptWrite, or None (nothing to do, count it undone)."""

    def keep(reason: str) -> KeptWrite:
        return KeptWrite(
            subject_type=write.subject_type,
            subject_id=write.subject_id,
            field=write.field,
            reason=reason,
        )

    kind = _KINDS.get(write.subject_type)
    if kind is None:
        return keep(f"{write.action} cannot be undone automatically")
    if write.field is None and write.value_before is not None:
        # A deletion or a merge: the record's values are in the audit log, not re-creatable
        # with its id and links through the services.
        return keep(f"{write.action} cannot be undone automatically; the audit log has it")
    record = await _current(session, kind.model, write.subject_id)
    if record is None:
        return keep("already deleted")
    try:
        async with session.begin_nested():
            if write.field is None:
                people_edits = [change for change in changes_since if not change.by_agent]
                if people_edits:
                    return keep(f"edited by {people_edits[-1].actor} since")
                description = kind.describe(record)
                await kind.delete(session, actor, write.subject_id)
                return f"deleted {description} ({write.subject_id})"
            return await _restore_field(session, actor, kind, record, write, changes_since, keep)
    except CompoundError as error:
        return keep(f"could not be reverted: {error.message}")


async def _restore_field(
    session: AsyncSession,
    actor: Actor,
    kind: _RecordKind,
    record: Any,
    write: RecordProvenance,
    changes_since: Sequence[_LaterChange],
    keep: Callable[[str], KeptWrite],
) -> str | KeptWrite | None:
    field = write.field or ""
    current = await _current_values(session, write.subject_type, record)
    if current.get(field) == write.value_before:
        return None
    if current.get(field) != write.value_after:
        by_people = [change.actor for change in changes_since if not change.by_agent]
        by_anyone = [change.actor for change in changes_since]
        who = (by_people or by_anyone or ["someone"])[-1]
        return keep(f"changed by {who} since")
    restore = _RESTORERS.get(write.subject_type)
    if restore is None or field not in kind.restorable:
        return keep(f"{field} cannot be restored automatically")
    description = kind.describe(record)  # as people see it now, before the restore
    await restore(session, actor, write.subject_id, field, _from_json(field, write.value_before))
    return (
        f"restored {description}: {field} {write.value_after!r} → "
        f"{write.value_before!r} ({write.subject_id})"
    )


async def _current(session: AsyncSession, model: type[SQLModel], record_id: uuid.UUID) -> Any:
    # populate_existing: a row deleted by a cascade may still sit in the identity map.
    column: Any = model.id  # type: ignore[attr-defined]
    statement = select(model).where(column == record_id).execution_options(populate_existing=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def _current_values(session: AsyncSession, subject_type: str, record: Any) -> dict[str, Any]:
    """The record's values as its provenance recorded them (JSON, a person with emails)."""
    if subject_type == "person":
        return snapshot(record, emails=await people.emails_of(session, record.id))
    return snapshot(record)


def _first_line(body: str, length: int = 60) -> str:
    line = body.strip().splitlines()[0] if body.strip() else ""
    return line if len(line) <= length else line[: length - 1] + "…"


def _from_json(field: str, value: Any) -> Any:
    """A snapshot's JSON value back to what the update service takes."""
    if value is None:
        return None
    if field.endswith("_id"):
        return uuid.UUID(str(value))
    if field == "due_date":
        return date.fromisoformat(str(value))
    return value
