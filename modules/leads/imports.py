"""The batch ledger of an imported list, and lists that arrive as CSV.

A ledger row is created once per import run and counted up by the runs it fans out to, so
a person sees progress while the list is being worked ("12/50 researched") and one line
when it is done ("48 added, 3 already known and updated, 2 need you")."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.modules.leads.contract import (
    DEAL_FLOW_TEXT_MAX,
    LOCATION_MAX,
    ONE_LINER_MAX,
    ExtractedCompany,
    Span,
)
from compound.modules.leads.extraction import sector_label, stage_of
from compound.modules.leads.models import ImportSource, ImportState, LeadImport
from compound.modules.leads.resolution import website
from compound.platform.clock import utcnow
from compound.platform.errors import NotFound, ValidationFailed
from compound.platform.events import INBOX_CHANNEL, publish
from compound.platform.normalize import company_name_key
from compound.platform.records.lookups import select_view
from compound.platform.records.models import COMPANY_NAME_MAX
from compound.platform.records.paging import Page, newest_first
from compound.platform.records.rules import optional_text

CSV_MAX_BYTES = 5 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CSV_MAX_ROWS = 5_000
LINE_DETAIL_MAX = 500
IMPORT_TITLE_MAX = 300  # the ledger's column


class Outcome(StrEnum):
    ADDED = "added"
    """A new company (and its lead) was created."""
    KNOWN = "known"
    """The company was in the CRM already; its lead and blanks were updated."""
    ASKED = "asked"
    """Which company it is was unclear: a person was asked."""
    SKIPPED = "skipped"
    """Below the fit threshold: recorded, nothing written."""
    DUPLICATE = "duplicate"
    """Listed twice in the same list: handled once."""
    FAILED = "failed"
    """Its run failed; the exception is in the Inbox."""


class LedgerLine(BaseModel):
    name: str = Field(max_length=COMPANY_NAME_MAX)
    outcome: Outcome
    detail: str = Field(default="", max_length=LINE_DETAIL_MAX)
    needs_you: bool = False
    """An exception or question about this company waits in the Inbox."""
    company_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    run_id: uuid.UUID | None = None


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def summary_line(ledger: LeadImport) -> str:
    """The ledger in one line, as the Inbox and the reply to the sender show it."""
    if ledger.found == 0 and ledger.state == ImportState.DONE.value:
        return "found no companies"
    parts = [f"{ledger.added} added", f"{ledger.known} already known and updated"]
    parts.append(f"{ledger.need_you} need you")
    if ledger.skipped:
        parts.append(f"{ledger.skipped} skipped (below the fit threshold)")
    if ledger.failed:
        parts.append(f"{ledger.failed} failed")
    if ledger.state != ImportState.DONE.value:
        parts.append(f"{ledger.researched}/{ledger.to_research} researched so far")
    return ", ".join(parts)


async def ledger_lines(
    session: AsyncSession, root_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The one-line summary of each of these runs that is a lead import (others are absent)."""
    if not root_ids:
        return {}
    ledgers = await session.execute(select(LeadImport).where(col(LeadImport.id).in_(set(root_ids))))
    return {ledger.id: summary_line(ledger) for ledger in ledgers.scalars()}


async def open_ledger(
    session: AsyncSession,
    *,
    run_id: uuid.UUID,
    source: ImportSource,
    title: str,
    requested_by: str,
    message_id: uuid.UUID | None = None,
    requester_user_id: uuid.UUID | None = None,
) -> LeadImport:
    """The ledger of import run `run_id`, created on first call (a replay finds it)."""
    await session.execute(
        insert(LeadImport)
        .values(
            id=run_id,
            source=source.value,
            title=_cut(title, 300),
            requested_by=requested_by[:320],
            message_id=message_id,
            requester_user_id=requester_user_id,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return await get_import(session, run_id)


async def get_import(session: AsyncSession, import_id: uuid.UUID) -> LeadImport:
    ledger = await session.get(LeadImport, import_id, populate_existing=True)
    if ledger is None:
        raise NotFound(f"no lead import with id {import_id}", field="id")
    return ledger


async def list_imports(
    session: AsyncSession, *, first: int, after: str | None = None, with_total: bool = True
) -> Page[Any]:
    return await newest_first(
        session,
        select_view(LeadImport),
        LeadImport,
        first=first,
        after=after,
        with_total=with_total,
    )


async def _changed(session: AsyncSession, import_id: uuid.UUID) -> None:
    """Live views (the Inbox's ledger line, the import page) refetch when this commits."""
    await publish(session, INBOX_CHANNEL, {"type": "ledger_changed", "id": str(import_id)})


async def record_triaged(
    session: AsyncSession,
    import_id: uuid.UUID,
    *,
    found: int,
    to_research: int,
    lines: Sequence[LedgerLine],
) -> None:
    """After extraction and the fit verdicts: how many were found, skipped, to research."""
    skipped = sum(1 for line in lines if line.outcome is Outcome.SKIPPED)
    await session.execute(
        update(LeadImport)
        .where(col(LeadImport.id) == import_id)
        .values(
            state=ImportState.RESEARCHING.value if to_research else ImportState.DONE.value,
            found=found,
            skipped=skipped,
            to_research=to_research,
            lines=[line.model_dump(mode="json") for line in lines],
            updated_at=utcnow(),
        )
    )
    await _changed(session, import_id)


async def record_line(session: AsyncSession, import_id: uuid.UUID, line: LedgerLine) -> None:
    """One research run's outcome: counted and appended in one UPDATE, so runs finishing at
    once never lose each other's counts."""
    counts: dict[str, Any] = {
        "researched": col(LeadImport.researched) + 1,
        "need_you": col(LeadImport.need_you) + int(line.needs_you),
        "lines": col(LeadImport.lines).op("||")(
            func.jsonb_build_array(literal(line.model_dump(mode="json"), JSONB))
        ),
        "updated_at": utcnow(),
    }
    if line.outcome is Outcome.ADDED:
        counts["added"] = col(LeadImport.added) + 1
    elif line.outcome is Outcome.KNOWN:
        counts["known"] = col(LeadImport.known) + 1
    elif line.outcome is Outcome.FAILED:
        counts["failed"] = col(LeadImport.failed) + 1
    await session.execute(update(LeadImport).where(col(LeadImport.id) == import_id).values(counts))
    await _changed(session, import_id)


async def settle_line(session: AsyncSession, import_id: uuid.UUID, line: LedgerLine) -> None:
    """A question a person answered later: the company now counts as added or known, and no
    longer as needing someone."""
    values: dict[str, Any] = {
        "need_you": func.greatest(col(LeadImport.need_you) - 1, 0),
        "lines": col(LeadImport.lines).op("||")(
            func.jsonb_build_array(literal(line.model_dump(mode="json"), JSONB))
        ),
        "updated_at": utcnow(),
    }
    if line.outcome is Outcome.ADDED:
        values["added"] = col(LeadImport.added) + 1
    elif line.outcome is Outcome.KNOWN:
        values["known"] = col(LeadImport.known) + 1
    await session.execute(update(LeadImport).where(col(LeadImport.id) == import_id).values(values))
    await _changed(session, import_id)


async def finish_ledger(
    session: AsyncSession, import_id: uuid.UUID, *, failed: Sequence[LedgerLine] = ()
) -> LeadImport:
    """All runs are done: count the ones that failed without reporting, and close it."""
    for line in failed:
        await record_line(session, import_id, line)
    ledger = await get_import(session, import_id)
    ledger.state = ImportState.DONE.value
    ledger.finished_at = ledger.updated_at = utcnow()
    await session.flush()
    await _changed(session, import_id)
    return ledger


def next_business_day(day: date) -> date:
    """The next Monday-to-Friday day after `day` (holidays are not known)."""
    following = day + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    return following


def check_list_text(text: str) -> str:
    """Pasted list text: not blank, not beyond what one import reads, no control
    characters (Postgres stores no NUL, not even in a run's JSON input)."""
    if not text.strip():
        raise ValidationFailed("the text is empty: paste the list of companies", field="text")
    if len(text) > DEAL_FLOW_TEXT_MAX:
        raise ValidationFailed(
            f"the text is {len(text):,} characters; one import reads at most "
            f"{DEAL_FLOW_TEXT_MAX:,} (split the list)",
            field="text",
        )
    optional_text(text, field="text", max_length=DEAL_FLOW_TEXT_MAX, multiline=True)
    return text


def import_title(title: str | None, default: str) -> str:
    """The name a person gives an import, or `default`: one line of at most 300 characters."""
    return optional_text(title, field="title", max_length=IMPORT_TITLE_MAX) or default


# --- CSV ---------------------------------------------------------------------------------

_COLUMNS = {
    "name": "name",
    "company": "name",
    "company name": "name",
    "url": "url",
    "website": "url",
    "domain": "url",
    "one_liner": "one_liner",
    "one-liner": "one_liner",
    "one liner": "one_liner",
    "description": "one_liner",
    "sector": "sector",
    "industry": "sector",
    "stage": "stage",
    "location": "location",
    "city": "location",
}


def _label(raw: str, read: Callable[[str], Any], *, what: str, notes: list[str]) -> Any:
    """A sector or stage label as the extractor reads it; one it cannot read is noted."""
    if not raw:
        return None
    value = read(raw)
    if value is None:
        notes.append(f"{what} {raw[:50]!r} not understood")
    return value


def parse_companies_csv(text: str) -> list[ExtractedCompany]:
    """Companies from a CSV with a header row (name required; url, one_liner, sector, stage,
    location optional). Errors name the line; a company listed twice is kept once."""
    _check_csv_text(text)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    columns = _header_columns(reader)
    companies: list[ExtractedCompany] = []
    seen: set[str] = set()
    offset = 0
    try:
        for cells in reader:
            if len(companies) >= CSV_MAX_ROWS:
                raise ValidationFailed(
                    f"the CSV has more than {CSV_MAX_ROWS} companies; split it", field="csv"
                )
            values = _row_values(columns, cells)
            if not any(cells) or not "".join(cells).strip():
                continue
            name, notes = _row_name(values, line=reader.line_num)
            url = _row_url(values, notes)
            key = company_name_key(name) or name.lower()
            if key in seen:
                continue
            seen.add(key)
            source = ",".join(cells)
            companies.append(
                _row_company(values, name=name, url=url, notes=notes, source=source, offset=offset)
            )
            offset += len(source) + 1
    except csv.Error as error:
        raise ValidationFailed(f"line {reader.line_num}: {error}", field="csv") from None
    except ValidationError as error:
        raise ValidationFailed(f"line {reader.line_num}: {error}", field="csv") from None
    if not companies:
        raise ValidationFailed("the CSV has a header but no companies", field="csv")
    return companies


def _check_csv_text(text: str) -> None:
    if len(text.encode("utf-8", "surrogatepass")) > CSV_MAX_BYTES:
        raise ValidationFailed(
            f"the CSV is larger than {CSV_MAX_BYTES // (1024 * 1024)} MB", field="csv"
        )
    if "\x00" in text:
        raise ValidationFailed("the CSV contains NUL bytes: is it a binary file?", field="csv")


def _header_columns(reader: Iterator[list[str]]) -> list[str | None]:
    """The field each header cell names (None for a column we do not read)."""
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ValidationFailed(f"line 1: {error}", field="csv") from None
    if not header or not any(cell.strip() for cell in header):
        raise ValidationFailed("the CSV is empty: it needs a header row with 'name'", field="csv")
    columns = [_COLUMNS.get(cell.strip().lower()) for cell in header]
    if "name" not in columns:
        raise ValidationFailed(
            f"the CSV header has no 'name' column (it has: "
            f"{', '.join(cell.strip()[:40] for cell in header[:10])})",
            field="csv",
        )
    return columns


def _row_values(columns: Sequence[str | None], cells: Sequence[str]) -> dict[str, str]:
    """A row's cells by field; the first column wins when two name the same field."""
    values: dict[str, str] = {}
    for column, cell in zip(columns, cells, strict=False):
        if column and column not in values:
            # One line per value: a quoted newline is a space, other control
            # characters are a bad paste.
            values[column] = _CONTROL.sub("", " ".join(cell.split()))
    return values


def _row_name(values: dict[str, str], *, line: int) -> tuple[str, list[str]]:
    """The row's company name (required) and the notes on it."""
    name = values.get("name", "")
    if not name:
        raise ValidationFailed(f"line {line}: the name is empty", field="csv")
    notes = []
    if len(name) > COMPANY_NAME_MAX:
        name = name[:COMPANY_NAME_MAX].rstrip()
        notes.append(f"name cut to {COMPANY_NAME_MAX} characters")
    return name, notes


def _row_url(values: dict[str, str], notes: list[str]) -> str:
    """The row's website ("" when none); a value that is not a website is noted."""
    raw_url = values.get("url", "")
    url = website(raw_url) or ""
    if raw_url and not url:
        notes.append(f"{raw_url[:60]!r} is not a website")
    return url


def _row_company(
    values: dict[str, str], *, name: str, url: str, notes: list[str], source: str, offset: int
) -> ExtractedCompany:
    """The company a row lists; its span is where the row's text starts at `offset`."""
    return ExtractedCompany(
        name=name,
        url=url,
        one_liner=_cut(values.get("one_liner", ""), ONE_LINER_MAX),
        sector=_label(values.get("sector", ""), sector_label, what="sector", notes=notes),
        stage=_label(values.get("stage", ""), stage_of, what="stage", notes=notes),
        location=_cut(values.get("location", ""), LOCATION_MAX),
        span=Span(start=offset, end=offset + len(source)),
        source=source[:2_000],
        notes=notes,
    )
