"""Batch reads by many ids at once: what the per-request DataLoaders call (one query per batch)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from compound.platform.records.models import Activity, Company, Note, Person, PersonEmail, Task

Row = TypeVar("Row", bound=SQLModel)
MAX_TIMELINE = 200


async def by_ids(
    session: AsyncSession, model: type[Row], ids: Sequence[uuid.UUID]
) -> list[Row | None]:
    """Rows of `model` in the order of `ids` (None where missing)."""
    column: Any = model.id  # type: ignore[attr-defined]
    rows = (await session.execute(select(model).where(column.in_(set(ids))))).scalars()
    found: dict[uuid.UUID, Row] = {cast(Any, row).id: row for row in rows}
    return [found.get(record_id) for record_id in ids]


async def grouped_by(
    session: AsyncSession,
    model: type[Row],
    column_name: str,
    keys: Sequence[uuid.UUID],
    *,
    order_by: str = "created_at",
) -> list[list[Row]]:
    """For each key, the rows of `model` whose `column_name` equals it (one query for all keys)."""
    column: Any = getattr(model, column_name)
    order: Any = getattr(model, order_by)
    rows = (
        await session.execute(select(model).where(column.in_(set(keys))).order_by(order))
    ).scalars()
    groups: dict[uuid.UUID, list[Row]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, column_name)].append(row)
    return [groups.get(key, []) for key in keys]


async def companies_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Company | None]:
    return await by_ids(session, Company, ids)


async def people_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Person | None]:
    return await by_ids(session, Person, ids)


async def notes_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Note | None]:
    return await by_ids(session, Note, ids)


async def tasks_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Task | None]:
    return await by_ids(session, Task, ids)


async def people_of_companies(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[list[Person]]:
    return await grouped_by(session, Person, "company_id", ids, order_by="name")


async def notes_of_companies(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Note]]:
    return await grouped_by(session, Note, "company_id", ids)


async def notes_of_people(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Note]]:
    return await grouped_by(session, Note, "person_id", ids)


async def tasks_of_companies(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Task]]:
    return await grouped_by(session, Task, "company_id", ids)


async def tasks_of_people(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Task]]:
    return await grouped_by(session, Task, "person_id", ids)


async def emails_of_people(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[str]]:
    groups = await grouped_by(session, PersonEmail, "person_id", ids, order_by="position")
    return [[row.email for row in group] for group in groups]


async def timeline_of(
    session: AsyncSession, column_name: str, ids: Sequence[uuid.UUID], *, limit: int = MAX_TIMELINE
) -> list[list[Activity]]:
    """Newest-first timeline entries for each company or person id (at most `limit` each)."""
    column: Any = getattr(Activity, column_name)
    ranked = select(Activity).where(column.in_(set(ids))).order_by(col(Activity.occurred_at).desc())
    groups: dict[uuid.UUID, list[Activity]] = defaultdict(list)
    for row in (await session.execute(ranked)).scalars():
        key = getattr(row, column_name)
        if len(groups[key]) < limit:
            groups[key].append(row)
    return [groups.get(key, []) for key in ids]
