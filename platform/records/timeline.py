"""Writes the records every change leaves behind: an Activity (timeline) and an AuditEvent,
and for an agent's change its provenance."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from compound.platform.auth.actor import Actor, AgentProvenance
from compound.platform.clock import utcnow
from compound.platform.records.models import (
    Activity,
    AuditEvent,
    Company,
    Person,
    RecordProvenance,
)

# Derived data: hundreds of floats (or keys recomputed from the name) would drown the log.
_NOT_SNAPSHOTTED = {"embedding", "name_keys"}


def _json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value


def snapshot(record: SQLModel, **extra: Any) -> dict[str, Any]:
    """A JSON-safe copy of a record's columns, for the audit log's before/after."""
    values = {
        key: _json_value(value)
        for key, value in record.model_dump(exclude=_NOT_SNAPSHOTTED).items()
    }
    values.update({key: _json_value(value) for key, value in extra.items()})
    return values


async def record_change(
    session: AsyncSession,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    company_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append the timeline entry and the audit event for one change, in the caller's transaction."""
    session.add(
        Activity(
            kind=action,
            summary=summary,
            subject_type=subject_type,
            subject_id=subject_id,
            company_id=company_id,
            person_id=person_id,
            actor=actor.label,
            data=data or {},
        )
    )
    session.add(
        AuditEvent(
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            actor_user_id=actor.user_id,
            actor_token_id=actor.token_id,
            actor_label=actor.label,
            before=before,
            after=after,
        )
    )
    if actor.provenance is not None:
        session.add_all(
            provenance_rows(
                actor.provenance,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                before=before,
                after=after,
            )
        )


def provenance_rows(
    provenance: AgentProvenance,
    *,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> list[RecordProvenance]:
    """An update gives one row per changed field (so undo restores fields, not whole
    records); a create, delete or merge gives one row for the whole record."""
    written_at = utcnow()

    def row(field: str | None, value_before: Any, value_after: Any) -> RecordProvenance:
        return RecordProvenance(
            created_at=written_at,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            field=field,
            run_id=provenance.run_id,
            agent=provenance.agent,
            tool=provenance.tool,
            source=dict(provenance.source),
            confidence=provenance.confidence,
            value_before=value_before,
            value_after=value_after,
        )

    if before is not None and after is not None and action.endswith(".updated"):
        return [
            row(name, before.get(name), after.get(name)) for name in changed_fields(before, after)
        ]
    return [row(None, before, after)]


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(
        key for key in after if key not in {"updated_at"} and before.get(key) != after.get(key)
    )


async def delete_recorded(
    session: AsyncSession,
    actor: Actor,
    record: Company | Person,
    *,
    summary: str,
    before: dict[str, Any],
    company_id: uuid.UUID | None,
    person_id: uuid.UUID | None = None,
) -> None:
    """Delete a company or a person and record it (`before`: its snapshot with what goes or
    is unlinked with it). One DELETE statement: the database's ON DELETE rules take the rows
    that go with it and unlink the others, which the ORM's own cascade would load first."""
    model = type(record)
    record_id = record.id
    await session.execute(delete(model).where(col(model.id) == record_id))
    session.expunge(record)
    await session.flush()
    await record_change(
        session,
        actor,
        action=f"{model.__tablename__}.deleted",
        subject_type=str(model.__tablename__),
        subject_id=record_id,
        company_id=company_id,
        person_id=person_id,
        summary=summary,
        before=before,
    )
