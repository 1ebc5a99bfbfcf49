"""Note operations: markdown notes attached to a company or a person."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.embeddings import embed_one
from compound.platform.errors import NotFound, Required
from compound.platform.records.companies import get_company
from compound.platform.records.models import NOTE_BODY_MAX, Note
from compound.platform.records.people import get_person
from compound.platform.records.rules import required_text
from compound.platform.records.timeline import record_change, snapshot

SUMMARY_LENGTH = 80


async def get_note(session: AsyncSession, note_id: uuid.UUID) -> Note:
    note = await session.get(Note, note_id)
    if note is None:
        raise NotFound(f"no note with id {note_id}", field="id")
    return note


def _first_line(body: str) -> str:
    line = body.strip().splitlines()[0].lstrip("#").strip()
    return line if len(line) <= SUMMARY_LENGTH else line[: SUMMARY_LENGTH - 1] + "…"


async def create_note(
    session: AsyncSession,
    actor: Actor,
    *,
    body: str,
    company_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    compute_embedding: bool = True,
) -> Note:
    clean_body = required_text(body, field="body", max_length=NOTE_BODY_MAX, multiline=True)
    if company_id is None and person_id is None:
        raise Required(
            "a note is attached to a company or a person: give companyId or personId",
            field="companyId",
        )
    if company_id is not None:
        await get_company(session, company_id)
    person_company_id = None
    if person_id is not None:
        person_company_id = (await get_person(session, person_id)).company_id
    note = Note(
        body=clean_body,
        company_id=company_id,
        person_id=person_id,
        author_user_id=actor.user_id,
    )
    if compute_embedding:
        note.embedding = await embed_one(clean_body)
    session.add(note)
    await session.flush()
    await record_change(
        session,
        actor,
        action="note.created",
        subject_type="note",
        subject_id=note.id,
        company_id=company_id or person_company_id,
        person_id=person_id,
        summary=f"Note added: {_first_line(clean_body)}",
        after=snapshot(note),
    )
    return note


async def delete_note(session: AsyncSession, actor: Actor, note_id: uuid.UUID) -> None:
    note = await get_note(session, note_id)
    before = snapshot(note)
    company_id = note.company_id
    if company_id is None and note.person_id is not None:
        # As when it was added: a person's note shows on their company's timeline too.
        company_id = (await get_person(session, note.person_id)).company_id
    await session.delete(note)
    await session.flush()
    await record_change(
        session,
        actor,
        action="note.deleted",
        subject_type="note",
        subject_id=note_id,
        company_id=company_id,
        person_id=note.person_id,
        summary=f"Note deleted: {_first_line(note.body)}",
        before=before,
    )
