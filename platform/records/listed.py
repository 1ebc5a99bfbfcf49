"""How much of a record's nested lists GraphQL returns: the caps (the query cost counts
them; whole lists are for the connections, which page) and the batch reads that keep to
them, one query per batch as the DataLoaders want."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.records import lookups
from compound.platform.records.lookups import MAX_TIMELINE

PEOPLE_LISTED = 100
NOTES_LISTED = 100
TASKS_LISTED = 100
TIMELINE_LISTED = MAX_TIMELINE
PROVENANCE_LISTED = 50


async def company_people(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """By name, the first PEOPLE_LISTED."""
    return await lookups.people_of_companies(session, ids, limit=PEOPLE_LISTED)


async def company_notes(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Oldest first, the newest NOTES_LISTED."""
    return await lookups.notes_of_companies(session, ids, limit=NOTES_LISTED)


async def company_tasks(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await lookups.tasks_of_companies(session, ids, limit=TASKS_LISTED)


async def person_notes(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await lookups.notes_of_people(session, ids, limit=NOTES_LISTED)


async def person_tasks(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await lookups.tasks_of_people(session, ids, limit=TASKS_LISTED)


async def company_timelines(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Newest first, at most TIMELINE_LISTED: the company's entries and its people's."""
    return await lookups.timeline_of(session, "company_id", ids, limit=TIMELINE_LISTED)


async def person_timelines(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await lookups.timeline_of(session, "person_id", ids, limit=TIMELINE_LISTED)


async def provenance(
    session: AsyncSession, subject_type: str, ids: Sequence[uuid.UUID]
) -> list[list[Any]]:
    """Newest first, at most PROVENANCE_LISTED."""
    return await lookups.provenance_of(session, subject_type, ids, limit=PROVENANCE_LISTED)
