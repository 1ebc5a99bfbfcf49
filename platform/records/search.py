"""Search: semantic search over companies, people and notes ranked by cosine similarity
(pgvector HNSW), for GraphQL; and the site search of the header box, which adds mail and
puts exact and name matches before matches by meaning."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.email.models import Message
from compound.platform.embeddings import embed_one
from compound.platform.errors import ValidationFailed
from compound.platform.normalize import company_name_key, normalize_domain
from compound.platform.records import lookups
from compound.platform.records.lookups import RecordView
from compound.platform.records.models import Company, Note, Person, PersonEmail
from compound.platform.records.rules import required_text

MAX_QUERY_LENGTH = 1000
SearchKind = Literal["company", "person", "note"]
_SEARCHED: tuple[tuple[SearchKind, Any], ...] = (
    ("company", Company),
    ("person", Person),
    ("note", Note),
)


@dataclass(frozen=True)
class SearchHit:
    kind: SearchKind
    id: uuid.UUID
    score: float


async def nearest(
    session: AsyncSession, model: Any, vector: list[float], *, limit: int, ef_search: int
) -> list[tuple[uuid.UUID, float]]:
    """The `limit` rows of `model` nearest to `vector` by cosine distance (HNSW index)."""
    # SET LOCAL lasts to the end of the transaction: each request chooses its own recall.
    await session.execute(text(f"SET LOCAL hnsw.ef_search = {max(int(ef_search), limit)}"))
    distance = model.embedding.cosine_distance(vector)
    rows = await session.execute(
        select(model.id, distance.label("distance"))
        .where(model.embedding.is_not(None))
        .order_by(distance)
        .limit(limit)
    )
    return [(row.id, 1.0 - float(row.distance)) for row in rows]


async def search(
    session: AsyncSession, query: str, *, first: int, ef_search: int
) -> list[SearchHit]:
    """The `first` best matches across companies, people and notes, best first."""
    text_query = required_text(query, field="query", max_length=MAX_QUERY_LENGTH)
    if first == 0:
        return []
    vector = await embed_one(text_query)
    hits: list[SearchHit] = []
    for kind, model in _SEARCHED:
        for record_id, score in await nearest(
            session, model, vector, limit=first, ef_search=ef_search
        ):
            hits.append(SearchHit(kind=kind, id=record_id, score=score))
    hits.sort(key=lambda hit: hit.score, reverse=True)
    return hits[:first]


# --- the site search --------------------------------------------------------------------

SITE_QUERY_MAX = 200
SNIPPET_LENGTH = 160
MIN_SIMILARITY = 0.2
"""Below this cosine similarity MiniLM's nearest neighbours are unrelated text: listing
them under a query that matches nothing would only be noise."""
SiteKind = Literal["company", "person", "note", "message"]
_SEMANTIC: tuple[tuple[SiteKind, Any], ...] = (*_SEARCHED, ("message", Message))


class Match(IntEnum):
    """How a result matched, best first: the whole name, domain or email address; the
    start of a word of its name (what someone typing a name has typed so far); its meaning."""

    EXACT = 0
    NAME = 1
    MEANING = 2


@dataclass(frozen=True)
class SiteResult:
    kind: SiteKind
    id: uuid.UUID
    title: str
    snippet: str
    url: str
    """The page to open: the record's own, a note's record, a message's conversation."""
    match: Match
    score: float
    """Cosine similarity to the query, 0 when it matched by name only."""


def snippet(value: str | None, length: int = SNIPPET_LENGTH) -> str:
    """One line of at most `length` characters, cut at a word."""
    flat = " ".join((value or "").split())
    if len(flat) <= length:
        return flat
    cut = flat[: length - 1]
    if " " in cut[length // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def check_site_query(query: str | None) -> str:
    """The query trimmed; Required, TooLong or ValidationFailed (control characters)."""
    return required_text(query, field="query", max_length=SITE_QUERY_MAX)


async def site_search(
    session: AsyncSession, query: str, *, first: int, ef_search: int
) -> list[SiteResult]:
    """The `first` best results across companies, people, notes and messages: exact name,
    domain and email matches first, then names starting with the query, then by meaning."""
    needle = check_site_query(query)
    if first <= 0:
        return []
    found: dict[tuple[SiteKind, uuid.UUID], tuple[Match, float]] = {}

    def add(kind: SiteKind, record_id: uuid.UUID, match: Match, score: float = 0.0) -> None:
        best = found.get((kind, record_id))
        if best is None:
            found[(kind, record_id)] = (match, score)
        else:
            found[(kind, record_id)] = (min(best[0], match), max(best[1], score))

    for kind, record_id in await _exact_matches(session, needle, limit=first):
        add(kind, record_id, Match.EXACT)
    for kind, record_id in await _name_matches(session, needle, limit=first):
        add(kind, record_id, Match.NAME)
    vector = await embed_one(needle)
    for kind, model in _SEMANTIC:
        for record_id, score in await nearest(
            session, model, vector, limit=first, ef_search=ef_search
        ):
            if score >= MIN_SIMILARITY:
                add(kind, record_id, Match.MEANING, score)
    results = await _described(session, found)
    results.sort(key=_rank)
    return results[:first]


def _rank(result: SiteResult) -> tuple[int, float, int, str]:
    if result.match == Match.MEANING:
        return (result.match, -result.score, 0, "")
    # Among names, the shortest is the closest to what was typed: "Acme" before "Acme Labs".
    return (result.match, 0.0, len(result.title), result.title.casefold())


def _domain_of(needle: str) -> str | None:
    if "." not in needle or " " in needle or "@" in needle:
        return None
    try:
        return normalize_domain(needle)
    except ValidationFailed:
        return None


async def _exact_matches(
    session: AsyncSession, needle: str, *, limit: int
) -> list[tuple[SiteKind, uuid.UUID]]:
    lowered = needle.lower()
    company_conditions: list[Any] = [func.lower(col(Company.name)) == lowered]
    key = company_name_key(needle)
    if key:  # "acme" finds "Acme Inc." and the company once called "ACME GmbH"
        company_conditions.append(col(Company.name_keys).contains([key]))
    domain = _domain_of(needle)
    if domain:
        company_conditions.append(col(Company.domain) == domain)
    companies = await session.execute(
        select(col(Company.id)).where(or_(*company_conditions)).limit(limit)
    )
    person_conditions: list[Any] = [func.lower(col(Person.name)) == lowered]
    if "@" in needle:
        person_conditions.append(
            col(Person.id).in_(
                select(col(PersonEmail.person_id)).where(col(PersonEmail.email) == lowered)
            )
        )
    people = await session.execute(
        select(col(Person.id)).where(or_(*person_conditions)).limit(limit)
    )
    return [("company", row.id) for row in companies] + [("person", row.id) for row in people]


async def _name_matches(
    session: AsyncSession, needle: str, *, limit: int
) -> list[tuple[SiteKind, uuid.UUID]]:
    """Names with a word starting with the query, domains and addresses starting with it."""
    lowered = needle.lower()

    def word_start(column: Any) -> Any:
        name = col(column)
        return or_(
            name.istartswith(lowered, autoescape=True),
            name.icontains(" " + lowered, autoescape=True),
        )

    companies = await session.execute(
        select(col(Company.id))
        .where(
            or_(
                word_start(Company.name),
                col(Company.domain).startswith(lowered, autoescape=True),
            )
        )
        .order_by(col(Company.name))
        .limit(limit)
    )
    people = await session.execute(
        select(col(Person.id))
        .where(
            or_(
                word_start(Person.name),
                col(Person.id).in_(
                    select(col(PersonEmail.person_id)).where(
                        col(PersonEmail.email).startswith(lowered, autoescape=True)
                    )
                ),
            )
        )
        .order_by(col(Person.name))
        .limit(limit)
    )
    return [("company", row.id) for row in companies] + [("person", row.id) for row in people]


async def _described(
    session: AsyncSession, found: dict[tuple[SiteKind, uuid.UUID], tuple[Match, float]]
) -> list[SiteResult]:
    """Each found record with its title, snippet and page; records gone since are left out."""
    records = await _read_found(session, list(found))
    described = [
        *(_described_company(company) for company in records.companies),
        *(_described_person(records, person) for person in records.people),
        *_described_notes(records),
        *_described_messages(records),
    ]
    return [_site_result(record, *found[(record.kind, record.id)]) for record in described]


@dataclass(frozen=True)
class _FoundRecords:
    """The found records that still exist, in the order found, and the companies and people
    their notes and people point to."""

    companies: list[RecordView]
    people: list[RecordView]
    notes: list[RecordView]
    messages: list[RecordView]
    company_by_id: dict[uuid.UUID, RecordView]
    person_by_id: dict[uuid.UUID, RecordView]
    emails: dict[uuid.UUID, list[str]]


@dataclass(frozen=True)
class _Described:
    """A found record as a result shows it, before its match and score are added."""

    kind: SiteKind
    id: uuid.UUID
    title: str
    text: str
    url: str


async def _read_found(
    session: AsyncSession, keys: Sequence[tuple[SiteKind, uuid.UUID]]
) -> _FoundRecords:
    def ids_of(kind: SiteKind) -> list[uuid.UUID]:
        return [record_id for (of_kind, record_id) in keys if of_kind == kind]

    notes = _present(await lookups.notes_by_ids(session, ids_of("note")))
    messages = _present(await _messages_by_ids(session, ids_of("message")))
    people = _present(
        await lookups.people_by_ids(
            session,
            list({*ids_of("person"), *(n.person_id for n in notes if n.person_id)}),
        )
    )
    companies = _present(
        await lookups.companies_by_ids(
            session,
            list(
                {
                    *ids_of("company"),
                    *(n.company_id for n in notes if n.company_id),
                    *(p.company_id for p in people if p.company_id),
                }
            ),
        )
    )
    company_by_id = {row.id: row for row in companies}
    person_by_id = {row.id: row for row in people}
    person_ids = ids_of("person")
    emails = dict(zip(person_ids, await lookups.emails_of_people(session, person_ids), strict=True))
    return _FoundRecords(
        companies=_present([company_by_id.get(record_id) for record_id in ids_of("company")]),
        people=_present([person_by_id.get(record_id) for record_id in person_ids]),
        notes=notes,
        messages=messages,
        company_by_id=company_by_id,
        person_by_id=person_by_id,
        emails=emails,
    )


async def _messages_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[RecordView]:
    """The columns of each message a result shows, in no particular order."""
    rows = await session.execute(
        select(
            col(Message.id),
            col(Message.subject),
            col(Message.from_name),
            col(Message.from_address),
            col(Message.new_text),
            col(Message.text_body),
            col(Message.conversation_id),
        ).where(col(Message.id).in_(ids))
    )
    return list(rows.all())


def _described_company(company: RecordView) -> _Described:
    about = " · ".join(part for part in (company.domain, company.description) if part)
    return _Described("company", company.id, company.name, about, f"/companies/{company.id}")


def _described_person(records: _FoundRecords, person: RecordView) -> _Described:
    """A person with their role at their company and their first email address."""
    employer = records.company_by_id.get(person.company_id) if person.company_id else None
    role = " at ".join(part for part in (person.title, employer and employer.name) if part)
    first_email = records.emails.get(person.id, [])[:1]
    about = " · ".join(part for part in (role, *first_email) if part)
    return _Described("person", person.id, person.name, about, f"/people/{person.id}")


def _described_notes(records: _FoundRecords) -> list[_Described]:
    """Notes on a found or linked company or person, shown on that record's page."""
    described = []
    for note in records.notes:
        if note.company_id and note.company_id in records.company_by_id:
            on, url = records.company_by_id[note.company_id].name, f"/companies/{note.company_id}"
        elif note.person_id and note.person_id in records.person_by_id:
            on, url = records.person_by_id[note.person_id].name, f"/people/{note.person_id}"
        else:
            continue
        described.append(
            _Described("note", note.id, f"Note on {on}", note.body, f"{url}#notes-head")
        )
    return described


def _described_messages(records: _FoundRecords) -> list[_Described]:
    described = []
    for message in records.messages:
        if message.conversation_id is None:
            continue  # not threaded (yet): no page shows it
        sender = message.from_name or message.from_address or "unknown sender"
        described.append(
            _Described(
                "message",
                message.id,
                message.subject or "(no subject)",
                f"{sender}: {message.new_text or message.text_body}",
                f"/conversations/{message.conversation_id}",
            )
        )
    return described


def _site_result(record: _Described, match: Match, score: float) -> SiteResult:
    return SiteResult(
        kind=record.kind,
        id=record.id,
        title=snippet(record.title, SNIPPET_LENGTH) or "(untitled)",
        snippet=snippet(record.text),
        url=record.url,
        match=match,
        score=round(score, 6),
    )


def _present(rows: Sequence[RecordView | None]) -> list[RecordView]:
    return [row for row in rows if row is not None]
