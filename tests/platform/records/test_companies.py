"""Company services: validation, duplicates, merge, delete, and the trail every change leaves."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.errors import Duplicate, NotFound, Required, TooLong, ValidationFailed
from compound.platform.normalize import company_name_key
from compound.platform.records import companies
from compound.platform.records.models import Activity, AuditEvent, Company, Note, Person, Task
from compound.platform.records.tasks import create_task
from tests.factories import make_company, make_note, make_person


async def _trail(
    session: AsyncSession, subject_id: object
) -> tuple[list[Activity], list[AuditEvent]]:
    activities = list(
        (await session.execute(select(Activity).where(Activity.subject_id == subject_id))).scalars()
    )
    audits = list(
        (
            await session.execute(select(AuditEvent).where(AuditEvent.subject_id == subject_id))
        ).scalars()
    )
    return activities, audits


async def test_create_normalizes_and_leaves_activity_and_audit(
    session: AsyncSession, actor: Actor
) -> None:
    company = await companies.create_company(
        session,
        actor,
        name="  Acme Robotics ",
        domain="https://www.ACME.io/about",
        description="Robots",
    )
    assert company.name == "Acme Robotics"
    assert company.domain == "acme.io"
    assert company.embedding is not None and len(company.embedding) == 384
    activities, audits = await _trail(session, company.id)
    assert [a.kind for a in activities] == ["company.created"]
    assert activities[0].company_id == company.id
    assert audits[0].actor_label == "system:tests"
    assert audits[0].after is not None and audits[0].after["domain"] == "acme.io"
    assert "embedding" not in audits[0].after


async def test_duplicate_domain_names_the_existing_company(
    session: AsyncSession, actor: Actor
) -> None:
    first = await make_company(session, domain="dupe.example.com")
    with pytest.raises(Duplicate) as raised:
        await make_company(session, domain="HTTPS://WWW.dupe.example.com/x")
    assert raised.value.existing_id == str(first.id)
    assert str(first.id) in raised.value.message
    assert raised.value.field == "domain"


async def test_companies_without_domain_do_not_collide(session: AsyncSession) -> None:
    await make_company(session)
    await make_company(session)
    assert (
        await session.scalar(
            select(func.count()).select_from(Company).where(Company.domain.is_(None))
        )
        >= 2
    )


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"name": ""}, Required, "name"),
        ({"name": "   "}, Required, "name"),
        ({"name": "x" * 201}, TooLong, "name"),
        ({"name": "Evil\x00Corp"}, ValidationFailed, "name"),
        ({"name": "Line\nBreak"}, ValidationFailed, "name"),
        ({"name": "Ok", "description": "d" * 10_001}, TooLong, "description"),
        ({"name": "Ok", "domain": "not a domain"}, ValidationFailed, "domain"),
        ({"name": "Ok", "aliases": ["a" * 201]}, TooLong, "aliases"),
    ],
)
async def test_bad_company_input_is_refused_and_nothing_is_written(
    session: AsyncSession,
    actor: Actor,
    fields: dict[str, object],
    error: type[Exception],
    field: str,
) -> None:
    before = await session.scalar(select(func.count()).select_from(Company))
    with pytest.raises(error) as raised:
        await companies.create_company(session, actor, compute_embedding=False, **fields)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert await session.scalar(select(func.count()).select_from(Company)) == before


async def test_name_of_exactly_200_characters_is_kept(session: AsyncSession, actor: Actor) -> None:
    company = await companies.create_company(
        session, actor, name="n" * 200, compute_embedding=False
    )
    assert len(company.name) == 200


async def test_update_changes_fields_and_records_before_and_after(
    session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session, name="Old Name", domain="old.example.com")
    updated = await companies.update_company(
        session, actor, company.id, name="New Name", domain=None
    )
    assert updated.name == "New Name" and updated.domain is None
    activities, audits = await _trail(session, company.id)
    update_audit = next(a for a in audits if a.action == "company.updated")
    assert update_audit.before is not None and update_audit.before["name"] == "Old Name"
    assert update_audit.after is not None and update_audit.after["name"] == "New Name"
    assert "name" in next(a for a in activities if a.kind == "company.updated").summary


async def test_update_without_changes_writes_no_trail(session: AsyncSession, actor: Actor) -> None:
    company = await make_company(session, name="Same")
    await companies.update_company(session, actor, company.id, name="Same")
    activities, _ = await _trail(session, company.id)
    assert [a.kind for a in activities] == ["company.created"]


async def test_update_to_a_taken_domain_is_a_duplicate(session: AsyncSession, actor: Actor) -> None:
    taken = await make_company(session, domain="taken.example.com")
    other = await make_company(session)
    with pytest.raises(Duplicate) as raised:
        await companies.update_company(session, actor, other.id, domain="taken.example.com")
    assert raised.value.existing_id == str(taken.id)


async def test_merge_moves_people_notes_tasks_and_records_aliases(
    session: AsyncSession, actor: Actor
) -> None:
    keep = await make_company(session, name="Acme Inc")
    merged = await make_company(session, name="ACME Labs", domain="acmelabs.example.com")
    person = await make_person(session, company=merged)
    note = await make_note(session, company=merged)
    task = await create_task(session, actor, title="Call them", company_id=merged.id)

    result = await companies.merge_companies(session, actor, keep_id=keep.id, merge_id=merged.id)

    assert result.id == keep.id
    assert "ACME Labs" in result.aliases
    assert result.domain == "acmelabs.example.com"
    for model, record_id in ((Person, person.id), (Note, note.id), (Task, task.id)):
        assert (
            await session.scalar(select(model.company_id).where(model.id == record_id)) == keep.id
        )
    assert await session.get(Company, merged.id) is None
    _, audits = await _trail(session, merged.id)
    assert any(
        a.action == "company.deleted" and a.before and a.before["name"] == "ACME Labs"
        for a in audits
    )


async def test_merge_into_itself_is_refused(session: AsyncSession, actor: Actor) -> None:
    company = await make_company(session)
    with pytest.raises(ValidationFailed):
        await companies.merge_companies(session, actor, keep_id=company.id, merge_id=company.id)


async def test_delete_keeps_people_and_a_full_snapshot_in_the_audit_log(
    session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session, name="Gone Corp")
    person = await make_person(session, company=company)
    await make_note(session, company=company, body="# Important\n- remember this")
    await companies.delete_company(session, actor, company.id)
    assert await session.get(Company, company.id) is None
    await session.refresh(person)
    assert person.company_id is None
    _, audits = await _trail(session, company.id)
    deleted = next(a for a in audits if a.action == "company.deleted")
    assert deleted.before is not None
    assert deleted.before["notes"][0]["body"].startswith("# Important")


async def test_missing_company_is_not_found(session: AsyncSession, actor: Actor) -> None:
    import uuid

    with pytest.raises(NotFound):
        await companies.update_company(session, actor, uuid.uuid4(), name="x")


async def test_the_timeline_and_audit_log_refuse_edits(session: AsyncSession) -> None:
    await make_company(session)
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text("UPDATE activity SET summary = 'rewritten'"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text("DELETE FROM audit_event"))


async def test_list_pages_through_every_company_once(session: AsyncSession) -> None:
    created = {(await make_company(session, name=f"Pager {i:02d}")).id for i in range(7)}
    seen: list[object] = []
    after = None
    filter_ = companies.CompanyFilter(name_contains="pager ")
    while True:
        page = await companies.list_companies(session, first=3, after=after, filter=filter_)
        assert page.total_count == 7
        seen.extend(item.id for item in page.items)
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert len(seen) == 7 and set(seen) == created


async def test_name_filter_treats_wildcards_literally(session: AsyncSession) -> None:
    await make_company(session, name="100% Organic")
    await make_company(session, name="1000 Organic")
    page = await companies.list_companies(
        session, first=10, filter=companies.CompanyFilter(name_contains="100%")
    )
    assert [c.name for c in page.items] == ["100% Organic"]


async def test_a_company_is_found_by_any_spelling_of_its_names(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:6]
    company = await companies.create_company(
        session,
        actor,
        name=f"Kestrel{tag} Systems GmbH",
        aliases=[f"Kestrel{tag} AI"],
        compute_embedding=False,
    )
    for spelling in (f"kestrel{tag}-systems", f"KESTREL{tag} SYSTEMS, INC.", f"Kestrel{tag} Labs"):
        found = await companies.companies_with_name_key(session, company_name_key(spelling))
        assert [c.id for c in found] == [company.id], spelling
    await companies.update_company(session, actor, company.id, name=f"Osprey{tag}", aliases=[])
    assert await companies.companies_with_name_key(session, f"kestrel{tag}") == []
    [renamed] = await companies.companies_with_name_key(session, f"osprey{tag}")
    assert renamed.id == company.id
