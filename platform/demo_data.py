"""Deterministic demo CRM data — companies, people, notes, tasks — for `compound up` and `seed`."""

from __future__ import annotations

import math
import random
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.platform import demo_vocabulary as vocabulary
from compound.platform.auth.actor import Actor
from compound.platform.clock import utcnow
from compound.platform.embeddings import embed_many
from compound.platform.errors import ValidationFailed
from compound.platform.records.companies import company_embedding_text, create_company
from compound.platform.records.models import Company, Note, Person, PersonEmail, TaskStatus
from compound.platform.records.notes import create_note
from compound.platform.records.people import create_person, person_embedding_text
from compound.platform.records.tasks import create_task

EMBEDDING_BATCH_SIZE = 128
SHARE_WITHOUT_DOMAIN = 0.10
SHARE_WITH_ALIAS = 0.15
SHARE_OF_PEOPLE_WITHOUT_COMPANY = 0.05
SHARE_WITH_PERSONAL_EMAIL = 0.25
SHARE_OF_OTHERS_WITH_PERSONAL_EMAIL = 0.90
SHARE_OF_COMPANIES_WITH_NOTES = 0.60
SHARE_OF_PEOPLE_WITH_NOTE = 0.20
TASKS_PER_COMPANY = 0.75
TASK_DUE_FROM_DAYS = -14
TASK_DUE_UNTIL_DAYS = 42

# Letters that Unicode decomposition does not reduce to ASCII on its own.
_TRANSLITERATIONS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ı": "i", "đ": "d"}
)


def _ascii_letters(text: str) -> str:
    """`Łukasz` → `lukasz`, `van der Berg` → `vanderberg`: what goes into a domain or address."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATIONS))
    return "".join(
        character for character in decomposed.lower() if character.isascii() and character.isalnum()
    )


@dataclass
class _SeededCompany:
    row: Company
    sector: vocabulary.Sector
    team_size: int
    people: list[_SeededPerson] = field(default_factory=list)
    open_leadership: list[str] = field(default_factory=lambda: list(vocabulary.LEADERSHIP_TITLES))


@dataclass
class _SeededPerson:
    row: Person
    emails: list[str]
    company: _SeededCompany | None


class _DemoGenerator:
    """Every random choice, in one fixed order, so the same seed gives the same data."""

    def __init__(
        self,
        rng: random.Random,
        *,
        taken_names: set[str],
        taken_domains: set[str],
        taken_emails: set[str],
    ) -> None:
        self.rng = rng
        self.names = {name.lower() for name in taken_names}
        self.domains = set(taken_domains)
        self.emails = set(taken_emails)

    def company_name(self, sector: vocabulary.Sector, city: vocabulary.City) -> str:
        for _ in range(20):
            name = (
                f"{self.rng.choice(vocabulary.NAME_STARTS)} {self.rng.choice(sector.name_endings)}"
            )
            if name.lower() not in self.names:
                return self._claim_name(name)
        # Large seeds exhaust the two-word names of a sector; a place name keeps them plausible.
        base = f"{self.rng.choice(vocabulary.NAME_STARTS)} {self.rng.choice(sector.name_endings)}"
        name = f"{base} {city.name}"
        number = 2
        while name.lower() in self.names:
            name = f"{base} {city.name} {number}"
            number += 1
        return self._claim_name(name)

    def _claim_name(self, name: str) -> str:
        self.names.add(name.lower())
        return name

    def domain(self, name: str, city: vocabulary.City) -> str | None:
        if self.rng.random() < SHARE_WITHOUT_DOMAIN:
            return None
        words = [_ascii_letters(word) for word in name.split()]
        words = [word for word in words if word]
        joined = "".join(words)
        tld = (
            city.national_tld
            if city.national_tld is not None and self.rng.random() < 0.3
            else self.rng.choice(vocabulary.GENERIC_TLDS)
        )
        candidates = [
            f"{joined}.{tld}",
            f"{'-'.join(words)}.{tld}",
            f"{words[0]}.{tld}",
            f"get{words[0]}.com",
            f"{words[0]}hq.com",
            f"try{joined}.com",
        ]
        first_choice = self.rng.choice(candidates[:3])
        for candidate in [first_choice, *candidates]:
            if candidate not in self.domains:
                self.domains.add(candidate)
                return candidate
        number = 2
        while f"{joined}{number}.{tld}" in self.domains:
            number += 1
        self.domains.add(f"{joined}{number}.{tld}")
        return f"{joined}{number}.{tld}"

    def description(
        self, name: str, sector: vocabulary.Sector, city: vocabulary.City, stage: str, team: int
    ) -> str:
        product = self.rng.choice(sector.products)
        customers = self.rng.choice(sector.customers)
        template = self.rng.choice(
            (
                "{Stage} {sector} company from {city}, {country}, building {product} "
                "for {customers}.",
                "{name} builds {product} for {customers}. {Stage} stage, about {team} people, "
                "headquartered in {city}.",
                "{sector_cap} startup based in {city} ({stage}). Sells {product} to {customers}; "
                "team of {team}.",
            )
        )
        return template.format(
            name=name,
            Stage=stage[0].upper() + stage[1:],
            stage=stage,
            sector=sector.label,
            sector_cap=sector.label[0].upper() + sector.label[1:],
            city=city.name,
            country=city.country,
            product=product,
            customers=customers,
            team=team,
        )

    def aliases(self, name: str, city: vocabulary.City, sector: vocabulary.Sector) -> list[str]:
        if self.rng.random() >= SHARE_WITH_ALIAS:
            return []
        start = name.split()[0]
        kind = self.rng.choice(("legal", "legal", "short", "former"))
        if kind == "legal":
            return [f"{name} {city.legal_suffix}"]
        if kind == "short":
            return [start]
        endings = [ending for ending in sector.name_endings if ending not in name.split()]
        return [f"{start} {self.rng.choice(endings)}"]

    def person_name(self) -> tuple[str, str]:
        return self.rng.choice(vocabulary.FIRST_NAMES), self.rng.choice(vocabulary.LAST_NAMES)

    def title(self, company: _SeededCompany | None) -> str | None:
        roll = self.rng.random()
        if roll < 0.03:
            return None
        if company is not None and company.open_leadership and roll < 0.30:
            weights = [vocabulary.LEADERSHIP_TITLES[title] for title in company.open_leadership]
            title = self.rng.choices(company.open_leadership, weights=weights)[0]
            # One CEO per company: a co-founder CEO rules out a plain CEO, and the reverse.
            role = title.rsplit(" ", 1)[-1]
            company.open_leadership = [
                other for other in company.open_leadership if other.rsplit(" ", 1)[-1] != role
            ]
            return title
        if company is not None and roll < 0.40:
            return self.rng.choice(company.sector.titles)
        return self.rng.choices(vocabulary.TEAM_TITLE_NAMES, weights=vocabulary.TEAM_TITLE_WEIGHTS)[
            0
        ]

    def work_email(self, first: str, last: str, domain: str) -> str:
        first_part, last_part = _ascii_letters(first), _ascii_letters(last)
        candidates = [
            f"{first_part}.{last_part}@{domain}",
            f"{first_part[0]}{last_part}@{domain}",
            f"{first_part}.{last_part[0]}@{domain}",
        ]
        return self._claim_email(candidates, f"{first_part}.{last_part}{{number}}@{domain}")

    def personal_email(self, first: str, last: str) -> str:
        first_part, last_part = _ascii_letters(first), _ascii_letters(last)
        provider = self.rng.choice(vocabulary.PERSONAL_EMAIL_PROVIDERS)
        separator = self.rng.choice((".", "", "_"))
        local = f"{first_part}{separator}{last_part}"
        if self.rng.random() < 0.5:
            local += str(self.rng.randint(70, 99))
        return self._claim_email([f"{local}@{provider}"], f"{local}{{number}}@{provider}")

    def _claim_email(self, candidates: Sequence[str], numbered: str) -> str:
        for candidate in candidates:
            if candidate not in self.emails:
                self.emails.add(candidate)
                return candidate
        number = 2
        while numbered.format(number=number) in self.emails:
            number += 1
        email = numbered.format(number=number)
        self.emails.add(email)
        return email

    def note_body(self, company: _SeededCompany, contact: _SeededPerson | None) -> str:
        sector = company.sector
        topic = self.rng.choice(sector.topics)
        contact_name = contact.row.name if contact is not None else "the buyer"
        heading = f"## {self.rng.choice(vocabulary.NOTE_HEADINGS)} — {company.row.name}"
        if contact is not None:
            heading += f" with {contact.row.name}"
            if contact.row.title:
                heading += f" ({contact.row.title})"
        summary = self.rng.choice(vocabulary.SUMMARIES).format(
            company=company.row.name,
            contact=contact_name,
            topic=topic,
            number=self.rng.randint(15, 90),
            team=company.team_size,
            weeks=self.rng.randint(2, 8),
        )
        pains = self.rng.sample(sector.pain_points, k=self.rng.randint(1, 2))
        steps = self.rng.sample(vocabulary.NEXT_STEPS, k=self.rng.randint(1, 2))
        lines = [heading, "", f"- **Summary:** {summary[0].upper()}{summary[1:]}"]
        lines += [f"- **Pain point:** {pain[0].upper()}{pain[1:]}." for pain in pains]
        lines += [
            "- **Next step:** "
            + step.format(sector=sector.label, seats=self.rng.choice((10, 25, 50, 100, 250)))
            + "."
            for step in steps
        ]
        return "\n".join(lines)

    def task(
        self, company: _SeededCompany, person: _SeededPerson | None, today: date
    ) -> tuple[str, date, bool]:
        """A title, a due date and whether the task is already done."""
        if person is not None and self.rng.random() < 0.5:
            title = self.rng.choice(vocabulary.PERSON_TASKS).format(
                person=person.row.name, topic=self.rng.choice(company.sector.topics)
            )
        else:
            title = self.rng.choice(vocabulary.COMPANY_TASKS).format(company=company.row.name)
        due = today + timedelta(days=self.rng.randint(TASK_DUE_FROM_DAYS, TASK_DUE_UNTIL_DAYS))
        # Most overdue work has been done by the time anyone looks; a little is done early.
        done = self.rng.random() < (0.6 if due < today else 0.05)
        return title, due, done


class _Progress:
    """Reports a count a few times per phase, not per record: a seed prints a dozen lines."""

    def __init__(
        self, report: Callable[[str], None] | None, label: str, total: int, *, every: int
    ) -> None:
        self.report = report
        self.label = label
        self.total = total
        self.every = max(1, every)

    def step(self, done: int) -> None:
        if self.report is not None and (done == self.total or done % self.every == 0):
            self.report(f"{self.label} {done}/{self.total}")


async def database_is_empty(session: AsyncSession) -> bool:
    """True when there is no company yet; `compound up` seeds only then."""
    return await session.scalar(select(col(Company.id)).limit(1)) is None


async def _taken_identifiers(session: AsyncSession) -> tuple[set[str], set[str], set[str]]:
    # `compound seed` may run on a database that already has data; avoiding existing names,
    # domains and addresses keeps the services' uniqueness checks from stopping the seed.
    names = set((await session.execute(select(col(Company.name)))).scalars())
    domains = {
        domain
        for domain in (
            await session.execute(
                select(col(Company.domain)).where(col(Company.domain).is_not(None))
            )
        ).scalars()
        if domain is not None
    }
    emails = set((await session.execute(select(col(PersonEmail.email)))).scalars())
    return names, domains, emails


def _checked_count(value: int, field_name: str) -> int:
    if value < 0:
        raise ValidationFailed(f"{field_name} cannot be negative (got {value})", field=field_name)
    return value


async def seed_demo_data(
    session: AsyncSession,
    *,
    companies: int = 200,
    people: int = 500,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Create demo records through the record services; flushes, never commits."""
    company_count = _checked_count(companies, "companies")
    person_count = _checked_count(people, "people")
    actor = Actor.system("seed")
    names, domains, emails = await _taken_identifiers(session)
    generator = _DemoGenerator(
        random.Random(seed), taken_names=names, taken_domains=domains, taken_emails=emails
    )
    seeded_companies = await _seed_companies(session, actor, generator, company_count, progress)
    seeded_people = await _seed_people(
        session, actor, generator, seeded_companies, person_count, progress
    )
    notes = await _seed_notes(session, actor, generator, seeded_companies, seeded_people, progress)
    task_count = await _seed_tasks(session, actor, generator, seeded_companies, progress)
    await _fill_embeddings(session, seeded_companies, seeded_people, notes, progress)
    await session.flush()
    return {
        "companies": len(seeded_companies),
        "people": len(seeded_people),
        "notes": len(notes),
        "tasks": task_count,
    }


async def _seed_companies(
    session: AsyncSession,
    actor: Actor,
    generator: _DemoGenerator,
    count: int,
    progress: Callable[[str], None] | None,
) -> list[_SeededCompany]:
    rng = generator.rng
    seeded: list[_SeededCompany] = []
    counter = _Progress(progress, "companies", count, every=math.ceil(count / 2))
    for index in range(count):
        sector = rng.choice(vocabulary.SECTORS)
        city = rng.choice(vocabulary.CITIES)
        stage, smallest, largest = rng.choice(vocabulary.STAGES)
        team_size = rng.randint(smallest, largest)
        name = generator.company_name(sector, city)
        company = await create_company(
            session,
            actor,
            name=name,
            domain=generator.domain(name, city),
            description=generator.description(name, sector, city, stage, team_size),
            aliases=generator.aliases(name, city, sector),
            compute_embedding=False,
        )
        seeded.append(_SeededCompany(company, sector, team_size))
        counter.step(index + 1)
    return seeded


async def _seed_people(
    session: AsyncSession,
    actor: Actor,
    generator: _DemoGenerator,
    seeded_companies: list[_SeededCompany],
    count: int,
    progress: Callable[[str], None] | None,
) -> list[_SeededPerson]:
    rng = generator.rng
    # Uneven weights: a few accounts have many contacts, most have a handful.
    weights = [min(rng.paretovariate(1.5), 10.0) for _ in seeded_companies]
    seeded: list[_SeededPerson] = []
    counter = _Progress(progress, "people", count, every=math.ceil(count / 2))
    for index in range(count):
        employer: _SeededCompany | None = None
        if seeded_companies and rng.random() >= SHARE_OF_PEOPLE_WITHOUT_COMPANY:
            employer = rng.choices(seeded_companies, weights=weights)[0]
        first, last = generator.person_name()
        title = generator.title(employer)
        addresses: list[str] = []
        if employer is not None and employer.row.domain is not None:
            addresses.append(generator.work_email(first, last, employer.row.domain))
            if rng.random() < SHARE_WITH_PERSONAL_EMAIL:
                addresses.append(generator.personal_email(first, last))
        elif rng.random() < SHARE_OF_OTHERS_WITH_PERSONAL_EMAIL:
            addresses.append(generator.personal_email(first, last))
        person = await create_person(
            session,
            actor,
            name=f"{first} {last}",
            emails=addresses,
            company_id=employer.row.id if employer is not None else None,
            title=title,
            compute_embedding=False,
        )
        seeded_person = _SeededPerson(person, addresses, employer)
        seeded.append(seeded_person)
        if employer is not None:
            employer.people.append(seeded_person)
        counter.step(index + 1)
    return seeded


async def _seed_notes(
    session: AsyncSession,
    actor: Actor,
    generator: _DemoGenerator,
    seeded_companies: list[_SeededCompany],
    seeded_people: list[_SeededPerson],
    progress: Callable[[str], None] | None,
) -> list[Note]:
    rng = generator.rng
    # Written out first so the progress lines can name the total.
    planned: list[tuple[str, uuid.UUID | None, uuid.UUID | None]] = []
    for company in seeded_companies:
        if rng.random() >= SHARE_OF_COMPANIES_WITH_NOTES:
            continue
        for _ in range(rng.randint(1, 3)):
            contact = rng.choice(company.people) if company.people else None
            planned.append((generator.note_body(company, contact), company.row.id, None))
    for person in seeded_people:
        if person.company is not None and rng.random() < SHARE_OF_PEOPLE_WITH_NOTE:
            planned.append((generator.note_body(person.company, person), None, person.row.id))
    notes: list[Note] = []
    counter = _Progress(progress, "notes", len(planned), every=math.ceil(len(planned) / 2))
    for body, company_id, person_id in planned:
        note = await create_note(
            session,
            actor,
            body=body,
            company_id=company_id,
            person_id=person_id,
            compute_embedding=False,
        )
        notes.append(note)
        counter.step(len(notes))
    return notes


async def _seed_tasks(
    session: AsyncSession,
    actor: Actor,
    generator: _DemoGenerator,
    seeded_companies: list[_SeededCompany],
    progress: Callable[[str], None] | None,
) -> int:
    rng = generator.rng
    count = round(len(seeded_companies) * TASKS_PER_COMPANY)
    today = utcnow().date()
    counter = _Progress(progress, "tasks", count, every=count)
    for index in range(count):
        company = rng.choice(seeded_companies)
        person = rng.choice(company.people) if company.people else None
        title, due, done = generator.task(company, person, today)
        await create_task(
            session,
            actor,
            title=title,
            due_date=due,
            status=TaskStatus.DONE.value if done else TaskStatus.OPEN.value,
            company_id=company.row.id,
            person_id=person.row.id if person is not None else None,
        )
        counter.step(index + 1)
    return count


async def _fill_embeddings(
    session: AsyncSession,
    seeded_companies: Sequence[_SeededCompany],
    seeded_people: Sequence[_SeededPerson],
    notes: Sequence[Note],
    progress: Callable[[str], None] | None,
) -> None:
    # One model call per batch instead of per record is what makes a full seed take seconds.
    pending: list[tuple[Company | Person | Note, str]] = []
    pending += [(company.row, company_embedding_text(company.row)) for company in seeded_companies]
    pending += [
        (
            person.row,
            person_embedding_text(
                person.row, person.emails, person.company.row if person.company else None
            ),
        )
        for person in seeded_people
    ]
    pending += [(note, note.body) for note in notes]
    embedding_progress = _Progress(
        progress, "embeddings", len(pending), every=4 * EMBEDDING_BATCH_SIZE
    )
    for start in range(0, len(pending), EMBEDDING_BATCH_SIZE):
        batch = pending[start : start + EMBEDDING_BATCH_SIZE]
        vectors = await embed_many([text for _, text in batch])
        for (row, _), vector in zip(batch, vectors, strict=True):
            row.embedding = vector
        await session.flush()
        embedding_progress.step(start + len(batch))
