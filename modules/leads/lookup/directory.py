"""The offline lookup: company names looked up in a local directory file (.csv or .json),
reloaded when the file changes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from compound.modules.leads.lookup.base import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    LookupResult,
    Website,
    clean_text,
    distinctive_words,
    quoted,
)
from compound.platform.errors import ValidationFailed
from compound.platform.normalize import company_name_key, normalize_domain
from compound.platform.resources import package_path

DIRECTORY_MAX_BYTES = 50 * 1024 * 1024
"""A company directory bigger than this is refused rather than read into memory."""
SAMPLE_DIRECTORY = package_path("compound.modules.leads", "sample_directory.csv")
"""The made-up directory the demo uses when `COMPOUND_LEADS_DIRECTORY_PATH` is unset."""

_REQUIRED_COLUMNS = ("name", "domain", "description")


@dataclass(frozen=True)
class DirectoryEntry:
    name: str
    domain: str
    description: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class _Directory:
    by_key: dict[str, list[DirectoryEntry]]
    by_domain: dict[str, DirectoryEntry]
    problems: list[str]
    size: int


_directory_cache: dict[Path, tuple[tuple[int, int], _Directory]] = {}


class DirectoryLookup:
    """Looks names up in a local company directory: a .csv (header name, domain,
    description and optionally aliases separated by ";") or a .json list of objects with
    the same keys. Rows with a bad domain or no name are skipped and listed in
    `problems`; a file that cannot be read as a directory at all is a ValidationFailed."""

    name = "directory"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._directory = _load_directory(path)

    @property
    def problems(self) -> list[str]:
        """Rows that were skipped, "<file> line 4: …", in file order."""
        return list(self._directory.problems)

    @property
    def size(self) -> int:
        """Companies in the directory."""
        return self._directory.size

    async def _current(self) -> _Directory:
        # Reloaded (in a thread: it may be large) only when the file changed.
        self._directory = await asyncio.to_thread(_load_directory, self.path)
        return self._directory

    async def find_website(self, name: str, *, context: str = "") -> LookupResult:
        directory = await self._current()
        key = company_name_key(name)
        if not key:
            return LookupResult(None, [f"directory: {quoted(name)} has no name to look up"])
        entries = directory.by_key.get(key, [])
        if not entries:
            return LookupResult(None, [f"directory: no company named {quoted(name)}"])
        if len(entries) == 1:
            return LookupResult(_directory_website(entries[0]), [])
        domains = ", ".join(entry.domain for entry in entries[:5])
        more = f" and {len(entries) - 5} more" if len(entries) > 5 else ""
        several = f"directory: {len(entries)} companies named {quoted(name)} ({domains}{more})"
        chosen = _best_by_context(entries, context)
        if chosen is not None:
            return LookupResult(
                _directory_website(chosen),
                [f"{several}; the context fits {chosen.domain} best"],
            )
        if not context.strip():
            return LookupResult(None, [f"{several}; no context to tell them apart"])
        return LookupResult(None, [f"{several}; the context does not tell them apart"])

    async def describe(self, domain: str) -> Website | None:
        directory = await self._current()
        try:
            normalized = normalize_domain(domain)
        except ValidationFailed:
            return None
        entry = directory.by_domain.get(normalized)
        return _directory_website(entry) if entry else None


def _directory_website(entry: DirectoryEntry) -> Website:
    return Website(
        domain=entry.domain, title=entry.name, description=entry.description, source="directory"
    )


def _best_by_context(entries: list[DirectoryEntry], context: str) -> DirectoryEntry | None:
    """The one entry whose description shares the most words with `context`; None on a tie
    or when nothing is shared."""
    wanted = distinctive_words(context)
    if not wanted:
        return None
    scored = sorted(
        ((len(wanted & distinctive_words(entry.description)), entry) for entry in entries),
        key=lambda pair: pair[0],
        reverse=True,
    )
    best, runner_up = scored[0][0], scored[1][0]
    return scored[0][1] if best > 0 and best > runner_up else None


def _load_directory(path: Path) -> _Directory:
    """The directory at `path`, read again only when its modification time or size changed."""
    where = str(path)
    if path.suffix.lower() not in {".csv", ".json"}:
        raise ValidationFailed(
            f"company directory {where} must be a .csv or .json file", field="leads_directory_path"
        )
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ValidationFailed(
            f"company directory {where} does not exist", field="leads_directory_path"
        ) from None
    except OSError as error:
        raise ValidationFailed(
            f"company directory {where} cannot be read ({error.strerror})",
            field="leads_directory_path",
        ) from None
    if not path.is_file():
        raise ValidationFailed(
            f"company directory {where} is not a file", field="leads_directory_path"
        )
    if status.st_size > DIRECTORY_MAX_BYTES:
        raise ValidationFailed(
            f"company directory {where} is {status.st_size // (1024 * 1024)} MB; "
            f"the limit is {DIRECTORY_MAX_BYTES // (1024 * 1024)} MB",
            field="leads_directory_path",
        )
    stamp = (status.st_mtime_ns, status.st_size)
    cached = _directory_cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            f"company directory {where} is not UTF-8 text (byte {error.start})",
            field="leads_directory_path",
        ) from None
    except OSError as error:
        raise ValidationFailed(
            f"company directory {where} cannot be read ({error.strerror})",
            field="leads_directory_path",
        ) from None
    rows = _csv_rows(text, where) if path.suffix.lower() == ".csv" else _json_rows(text, where)
    directory = _index(rows, where)
    _directory_cache[path] = (stamp, directory)
    return directory


# A row as read: where it is ("line 4", "entry 2") and its raw values (None: not a string).
_Row = tuple[str, dict[str, object]]


def _csv_rows(text: str, where: str) -> Iterator[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationFailed(
                f"company directory {where} is empty: it needs a header line "
                f"({', '.join(_REQUIRED_COLUMNS)}, aliases)",
                field="leads_directory_path",
            )
        columns = [column.strip().casefold() for column in header]
        missing = [column for column in _REQUIRED_COLUMNS if column not in columns]
        if missing:
            raise ValidationFailed(
                f"company directory {where} line 1: missing column(s) {', '.join(missing)} "
                f"(the header needs {', '.join(_REQUIRED_COLUMNS)}, optionally aliases)",
                field="leads_directory_path",
            )
        for row in reader:
            if not any(value.strip() for value in row):
                continue
            values: dict[str, object] = {
                column: value for column, value in zip(columns, row, strict=False)
            }
            yield f"line {reader.line_num}", values
    except csv.Error as error:
        raise ValidationFailed(
            f"company directory {where} line {reader.line_num}: not valid CSV ({error})",
            field="leads_directory_path",
        ) from None


def _json_rows(text: str, where: str) -> Iterator[_Row]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            f"company directory {where} line {error.lineno}: not valid JSON ({error.msg})",
            field="leads_directory_path",
        ) from None
    if not isinstance(document, list):
        raise ValidationFailed(
            f"company directory {where} must hold a JSON list of companies",
            field="leads_directory_path",
        )
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            yield f"entry {number}", {}
            continue
        values: dict[str, object] = {str(key).casefold(): value for key, value in item.items()}
        yield f"entry {number}", values


def _index(rows: Iterable[_Row], where: str) -> _Directory:
    by_key: dict[str, list[DirectoryEntry]] = {}
    by_domain: dict[str, DirectoryEntry] = {}
    problems: list[str] = []
    size = 0
    for position, values in rows:
        try:
            entry = _entry(values)
        except ValidationFailed as problem:
            problems.append(f"{where} {position}: {problem.message}")
            continue
        size += 1
        by_domain.setdefault(entry.domain, entry)
        for spelling in (entry.name, *entry.aliases):
            key = company_name_key(spelling)
            if not key:
                continue
            under_key = by_key.setdefault(key, [])
            if all(existing.domain != entry.domain for existing in under_key):
                under_key.append(entry)
    if size == 0:
        first = f": {'; '.join(problems[:3])}" if problems else ""
        raise ValidationFailed(
            f"company directory {where} has no valid company{first}",
            field="leads_directory_path",
        )
    return _Directory(by_key=by_key, by_domain=by_domain, problems=problems, size=size)


def _entry(values: dict[str, object]) -> DirectoryEntry:
    if not values:
        raise ValidationFailed("not an object with name, domain and description")
    text: dict[str, str] = {}
    for column in (*_REQUIRED_COLUMNS, "aliases"):
        value = values.get(column)
        if column == "aliases" and isinstance(value, list):
            if not all(isinstance(alias, str) for alias in value):
                raise ValidationFailed("aliases must be text")
            value = ";".join(value)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationFailed(f"{column} must be text, not {type(value).__name__}")
        text[column] = value
    name = clean_text(text["name"], TITLE_MAX)
    if not name:
        raise ValidationFailed("the name is empty")
    if not text["domain"].strip():
        raise ValidationFailed(f"{quoted(name)} has no domain")
    domain = normalize_domain(text["domain"])
    aliases = tuple(
        alias
        for alias in (clean_text(part, TITLE_MAX) for part in text["aliases"].split(";"))
        if alias
    )
    return DirectoryEntry(
        name=name,
        domain=domain,
        description=clean_text(text["description"], DESCRIPTION_MAX),
        aliases=aliases,
    )
