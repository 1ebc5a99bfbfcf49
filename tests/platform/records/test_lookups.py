"""Batch reads for the DataLoaders: order kept, missing ids as None, timelines capped newest-first."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.records import companies, lookups
from compound.platform.records.models import Company
from tests.factories import make_company, make_note, make_person


async def test_by_ids_keeps_the_order_and_marks_missing(session: AsyncSession) -> None:
    first, second = (
        await make_company(session, name="First"),
        await make_company(session, name="Second"),
    )
    missing = uuid.uuid4()
    rows = await lookups.by_ids(session, Company, [second.id, missing, first.id])
    assert [row.name if row else None for row in rows] == ["Second", None, "First"]
    assert not hasattr(rows[0], "embedding")


async def test_timeline_is_capped_newest_first_per_record(
    session: AsyncSession, actor: Actor
) -> None:
    busy = await make_company(session, name="Busy 0")
    quiet = await make_company(session, name="Quiet")
    for revision in range(1, 6):
        await companies.update_company(session, actor, busy.id, name=f"Busy {revision}")
    await make_person(session, company=quiet)
    busy_timeline, quiet_timeline, nobody = await lookups.timeline_of(
        session, "company_id", [busy.id, quiet.id, uuid.uuid4()], limit=3
    )
    assert [entry.summary for entry in busy_timeline] == [
        "Company Busy 5 updated: name",
        "Company Busy 4 updated: name",
        "Company Busy 3 updated: name",
    ]
    assert [entry.kind for entry in quiet_timeline] == ["person.created", "company.created"]
    assert nobody == []


async def test_grouped_rows_can_be_capped_per_key_keeping_the_first_or_the_newest(
    session: AsyncSession,
) -> None:
    big = await make_company(session, name="Big")
    small = await make_company(session, name="Small")
    for index in range(5):
        await make_person(session, name=f"Person {index}", company=big)
        await make_note(session, company=big, body=f"note {index}")
    await make_person(session, name="Solo", company=small)
    by_name, solo = await lookups.people_of_companies(session, [big.id, small.id], limit=3)
    assert [person.name for person in by_name] == ["Person 0", "Person 1", "Person 2"]
    assert [person.name for person in solo] == ["Solo"]
    [newest] = await lookups.notes_of_companies(session, [big.id], limit=2)
    assert [note.body for note in newest] == ["note 3", "note 4"]  # still oldest first
    [everything] = await lookups.notes_of_companies(session, [big.id])
    assert len(everything) == 5
