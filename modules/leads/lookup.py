"""Finding a company's website when an email names the company without one: a local company
directory (offline), the web over HTTP (guessed domains, home pages read through the
platform's web fetcher, `compound.platform.web_fetch`, and checked), or nothing at all,
chosen by `COMPOUND_LEADS_LOOKUP`.

Web pages are untrusted input: this file only extracts short, cleaned strings from them
(title, description) and never acts on what a page says."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

import structlog
from rapidfuzz import fuzz

from compound.modules.leads.settings import LeadsSettings
from compound.platform.errors import ValidationFailed
from compound.platform.normalize import LEGAL_SUFFIXES, company_name_key, normalize_domain
from compound.platform.web_fetch import (
    AddressPolicy,
    ContentRefused,
    Resolver,
    WebFetcher,
    WebFetchError,
    system_resolver,
)

logger = structlog.get_logger(__name__)

TITLE_MAX = 300
DESCRIPTION_MAX = 1000
DIRECTORY_MAX_BYTES = 50 * 1024 * 1024
"""A company directory bigger than this is refused rather than read into memory."""
SAMPLE_DIRECTORY = Path(__file__).with_name("sample_directory.csv")
"""The made-up directory the demo uses when `COMPOUND_LEADS_DIRECTORY_PATH` is unset."""
MAX_CANDIDATES = 12
"""Domains the HTTP lookup tries for one name."""
CONCURRENT_FETCHES = 4
MAX_REDIRECTS = 3
NAME_MATCH = 88.0
"""rapidfuzz ratio (0–100) of a run of title words and the company's key above which the
title names the company: "Kiesel Robotics" names Kiesel Robotik (88.9); the runs are
whole words, so "Foobar" never names Foo."""
USER_AGENT = "CompoundResearch/0.1 (company website lookup)"

# Only for the person reading `tried`: a page's own words are quoted this short.
_QUOTE_MAX = 80
# Whatever a page puts before the end of its <title> is capped at this much raw text.
_RAW_FIELD_MAX = 4000
# Visible text kept to look for parked-domain wording.
_VISIBLE_TEXT_MAX = 5000
_OPEN_TAGS_MAX = 256
_VOID_TAGS = frozenset({"meta", "link", "br", "img", "input", "hr", "source", "wbr", "area"})


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Website:
    """What a lookup found about one site."""

    domain: str
    """Normalized host, e.g. "foolabs.io"."""
    title: str
    """Page title or directory name: plain text, whitespace collapsed, ≤ 300 characters."""
    description: str
    """Meta description, og:description or the directory's description, ≤ 1000 characters."""
    source: str
    """"directory", or the URL the page was read from."""


@dataclass(frozen=True)
class LookupResult:
    website: Website | None
    """None: no trustworthy website."""
    tried: list[str] = field(default_factory=list)
    """What was tried and why it did not do, for the person who handles the exception."""


class WebLookup(Protocol):
    name: str

    async def find_website(self, name: str, *, context: str = "") -> LookupResult:
        """The website of the company called `name`; `context` (what the email says the
        company does) tells apart companies of one name where the source can."""
        ...

    async def describe(self, domain: str) -> Website | None:
        """Title and description of a known site; None if it cannot be read."""
        ...


def web_lookup(settings: LeadsSettings) -> WebLookup:
    """The lookup `COMPOUND_LEADS_LOOKUP` asks for."""
    if settings.lookup == "directory":
        return DirectoryLookup(settings.directory_path or SAMPLE_DIRECTORY)
    if settings.lookup == "http":
        return HttpLookup(settings)
    return NoLookup()


# --- text helpers ----------------------------------------------------------------------


def clean_text(text: str, limit: int) -> str:
    """Plain one-line text: control and format characters (bidi overrides, zero-width
    characters) removed, whitespace collapsed, cut to `limit` characters."""
    kept = "".join(
        " " if character.isspace() else character
        for character in text
        if character.isspace() or unicodedata.category(character) not in {"Cc", "Cf", "Cs", "Co"}
    )
    collapsed = " ".join(kept.split())
    if len(collapsed) <= limit:
        return collapsed
    return collapsed[: limit - 1].rstrip() + "…"


def _quote(text: str) -> str:
    return repr(clean_text(text, _QUOTE_MAX))


_WORD = re.compile(r"[^\W_]+")
_STOP_WORDS = frozenset(
    re.findall(
        r"\w+",
        "and the for with from that this into our your are was were has have its their "
        "who what which all any can will more most than then them they you not but",
    )
)


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(character for character in text if not unicodedata.combining(character))


def _tokens(text: str) -> set[str]:
    """Distinctive words, for telling apart descriptions: folded, ≥ 3 letters, no stop words."""
    return {
        word for word in _WORD.findall(_folded(text)) if len(word) >= 3 and word not in _STOP_WORDS
    }


# --- directory -----------------------------------------------------------------------

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
            return LookupResult(None, [f"directory: {_quote(name)} has no name to look up"])
        entries = directory.by_key.get(key, [])
        if not entries:
            return LookupResult(None, [f"directory: no company named {_quote(name)}"])
        if len(entries) == 1:
            return LookupResult(_directory_website(entries[0]), [])
        domains = ", ".join(entry.domain for entry in entries[:5])
        more = f" and {len(entries) - 5} more" if len(entries) > 5 else ""
        several = f"directory: {len(entries)} companies named {_quote(name)} ({domains}{more})"
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
    wanted = _tokens(context)
    if not wanted:
        return None
    scored = sorted(
        ((len(wanted & _tokens(entry.description)), entry) for entry in entries),
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
        raise ValidationFailed(f"{_quote(name)} has no domain")
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


# --- no lookup -----------------------------------------------------------------------


class NoLookup:
    """Finds nothing: research runs ask a person for every missing website."""

    name = "none"

    async def find_website(self, name: str, *, context: str = "") -> LookupResult:
        return LookupResult(None, ["web lookup is off (COMPOUND_LEADS_LOOKUP=none)"])

    async def describe(self, domain: str) -> Website | None:
        return None


# --- HTTP ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFacts:
    """The strings read from one HTML page, cleaned and capped."""

    title: str = ""
    description: str = ""
    og_title: str = ""
    og_description: str = ""
    visible_text: str = ""


class _PageReader(HTMLParser):
    """Collects title, descriptions and the first visible text. Script and style bodies
    never reach handle_starttag (html.parser reads them as raw text); titles inside SVG,
    MathML, templates and noscript are not the page's title."""

    _NOT_THE_DOCUMENT = frozenset({"svg", "math", "template", "noscript", "iframe", "object"})
    _INVISIBLE = frozenset({"script", "style", "head", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title_parts: list[str] = []
        self.title_length = 0
        self.title_state: Literal["before", "inside", "done"] = "before"
        self.meta: dict[str, str] = {}
        self.visible_parts: list[str] = []
        self.visible_length = 0
        self.open: list[str] = []
        self.invisible_open = 0
        self.foreign_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.title_state == "inside" and tag in {"body", "head", "html", "meta", "link"}:
            self.title_state = "done"  # an unclosed <title> ends where the page moves on
        if tag == "body" and "head" in self.open:
            self.open.remove("head")  # an unclosed <head> ends where the body starts
            self.invisible_open -= 1
        if tag in self._NOT_THE_DOCUMENT:
            self.foreign_depth += 1
        if tag == "title" and self.title_state == "before" and self.foreign_depth == 0:
            self.title_state = "inside"
        elif tag == "meta":
            self._meta(attrs)
        # Capped, so that a page of endless unclosed tags costs linear time, not quadratic.
        if len(self.open) < _OPEN_TAGS_MAX and tag not in _VOID_TAGS:
            self.open.append(tag)
            self.invisible_open += tag in self._INVISIBLE

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._meta(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title_state == "inside":
            self.title_state = "done"
        if tag in self._NOT_THE_DOCUMENT and self.foreign_depth > 0:
            self.foreign_depth -= 1
        if tag in self.open:
            while self.open:
                closed = self.open.pop()
                self.invisible_open -= closed in self._INVISIBLE
                if closed == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self.title_state == "inside":
            if self.title_length < _RAW_FIELD_MAX:
                self.title_parts.append(data[: _RAW_FIELD_MAX - self.title_length])
                self.title_length += len(data)
            return
        if self.visible_length < _VISIBLE_TEXT_MAX and not (
            self.invisible_open or self.foreign_depth
        ):
            self.visible_parts.append(data[: _VISIBLE_TEXT_MAX - self.visible_length])
            self.visible_length += len(data)

    def _meta(self, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.casefold(): (value or "") for name, value in attrs}
        kind = (values.get("name") or values.get("property") or "").strip().casefold()
        if kind in {"description", "og:description", "og:title", "twitter:title"}:
            self.meta.setdefault(kind, values.get("content", "")[:_RAW_FIELD_MAX])

    def facts(self) -> PageFacts:
        return PageFacts(
            title=clean_text("".join(self.title_parts), TITLE_MAX),
            description=clean_text(self.meta.get("description", ""), DESCRIPTION_MAX),
            og_title=clean_text(
                self.meta.get("og:title") or self.meta.get("twitter:title", ""), TITLE_MAX
            ),
            og_description=clean_text(self.meta.get("og:description", ""), DESCRIPTION_MAX),
            visible_text=clean_text(" ".join(self.visible_parts), _VISIBLE_TEXT_MAX),
        )


def read_page(html: str) -> PageFacts:
    """Title, descriptions and some visible text of an HTML page, however malformed."""
    reader = _PageReader()
    try:
        reader.feed(html)
        reader.close()
    except Exception:  # html.parser on hostile input: keep what was read so far
        logger.info("leads.lookup.html_parser_gave_up", exc_info=True)
    return reader.facts()


_PARKED_ANYWHERE = (
    "domain for sale",
    "domain is for sale",
    "domain may be for sale",
    "domain name for sale",
    "buy this domain",
    "buy now this domain",
    "this domain is parked",
    "parked domain",
    "parked free",
    "domain parking",
    "domain is available",
    "make an offer on this domain",
    "inquire about this domain",
    "hugedomains",
    "sedoparking",
    "get this domain",
)
# In a title or description a shorter cue is enough. "Coming soon" is not one: a stealth
# company's placeholder page is still its website.
_PARKED_IN_TITLE = ("parked", "domain for sale", "is for sale", "domain name for sale")


def parked_reason(facts: PageFacts) -> str | None:
    """Why a page looks like a parked or for-sale domain, or None."""
    heading = _folded(" ".join([facts.title, facts.og_title, facts.description]))
    for cue in _PARKED_IN_TITLE:
        if cue in heading:
            return f"looks parked ({cue!r})"
    everything = _folded(" ".join([heading, facts.og_description, facts.visible_text]))
    for cue in _PARKED_ANYWHERE:
        if cue in everything:
            return f"looks parked ({cue!r})"
    return None


def _title_words(text: str) -> list[str]:
    words = [company_name_key(word) for word in re.split(r"[\s|/·•:,;!?()\[\]\"'«»“”]+", text)]
    return [word for word in words if word]


def name_keys(name: str) -> list[str]:
    """The company's name as domain labels, most specific first: "Foo Labs GmbH" →
    foolabs, foo, foo-labs. ASCII letters, digits and hyphens only."""
    words = [word for word in (company_name_key(part) for part in name.split()) if word]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    forms = ["".join(words), company_name_key(name), "-".join(words)]
    labels: list[str] = []
    for form in forms:
        label = re.sub(r"[^a-z0-9-]", "", form.encode("ascii", "ignore").decode())
        if label and len(label) <= 63 and label not in labels and label[0] != "-":
            labels.append(label)
    return labels


def names_company(title: str, name: str) -> bool:
    """Whether a page title names the company: some run of its words, joined, is (nearly)
    the company's key. "Home | Foo Labs" names Foo Labs; "Foobar" and "Bar Inc" do not."""
    keys = [key for key in dict.fromkeys([*name_keys(name)]) if "-" not in key]
    words = _title_words(title)
    if not keys or not words:
        return False
    longest = max(len(name.split()), 1) + 1
    for start in range(len(words)):
        for length in range(1, longest + 1):
            if start + length > len(words):
                break
            run = "".join(words[start : start + length])
            if any(fuzz.ratio(run, key) >= NAME_MATCH for key in keys):
                return True
    return False


def candidate_domains(name: str, top_level_domains: Iterable[str]) -> list[str]:
    """Domains to try for a company name, most likely first, at most 12."""
    domains = [f"{label}.{tld}" for label in name_keys(name) for tld in top_level_domains]
    return list(dict.fromkeys(domains))[:MAX_CANDIDATES]


class _Refused(Exception):
    """A page that cannot be used; the message goes into `tried`."""


@dataclass(frozen=True)
class _Page:
    url: str
    host_moved: bool
    """Whether redirects ended on another host than the one first asked."""
    final_host: str
    facts: PageFacts
    cut: bool


class HttpLookup:
    """Guesses domains from the name, reads each home page over HTTP (through the platform's
    web fetcher: public addresses only, each one pinned) and keeps the first whose title
    names the company and that is not a parked domain."""

    name = "http"

    def __init__(
        self,
        settings: LeadsSettings,
        *,
        resolver: Resolver = system_resolver,
        policy: AddressPolicy | None = None,
    ) -> None:
        self.template = settings.http_url_template
        self.timeout = settings.http_timeout_seconds
        self.max_bytes = settings.http_max_bytes
        self.top_level_domains = list(settings.http_tlds)
        self.resolver = resolver  # the fetcher's; tests hand in their own, and a policy
        # A template pointing at a private host (a test server, an internal mirror) may
        # be fetched and redirected within; every other private host stays refused.
        self.policy = (policy or AddressPolicy()).trusting_configured(
            self.template.replace("{domain}", "example.com")
        )

    async def find_website(self, name: str, *, context: str = "") -> LookupResult:
        domains = candidate_domains(name, self.top_level_domains)
        if not domains:
            return LookupResult(None, [f"{_quote(name)} gives no domain to try"])
        tried: list[str] = []
        semaphore = asyncio.Semaphore(CONCURRENT_FETCHES)
        async with self._fetcher() as fetcher:

            async def attempt(domain: str) -> Website | str:
                async with semaphore:
                    return await self._judge(fetcher, domain, name)

            tasks = [asyncio.create_task(attempt(domain)) for domain in domains]
            try:
                # Awaited in order of preference: the first trustworthy one wins even when
                # a later candidate answered sooner.
                for domain, task in zip(domains, tasks, strict=True):
                    outcome = await task
                    if isinstance(outcome, Website):
                        tried.append(f"{domain}: found {_quote(outcome.title)}")
                        return LookupResult(outcome, tried)
                    tried.append(f"{domain}: {outcome}")
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        return LookupResult(None, tried)

    async def describe(self, domain: str) -> Website | None:
        try:
            normalized = normalize_domain(domain)
        except ValidationFailed:
            return None
        async with self._fetcher() as fetcher:
            try:
                page = await self._fetch(fetcher, normalized)
            except _Refused:
                return None
            except Exception:  # an unreadable site is "unknown", never an error
                logger.warning("leads.lookup.describe_failed", domain=normalized, exc_info=True)
                return None
        facts = page.facts
        return Website(
            domain=self._domain_of(page, normalized),
            title=facts.title or facts.og_title,
            description=facts.description or facts.og_description,
            source=page.url,
        )

    def _fetcher(self) -> WebFetcher:
        return WebFetcher(
            policy=self.policy,
            resolver=self.resolver,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
            max_redirects=MAX_REDIRECTS,
            user_agent=USER_AGENT,
            accept="text/html,application/xhtml+xml;q=0.9",
        )

    def _domain_of(self, page: _Page, asked: str) -> str:
        if not page.host_moved:
            return asked
        try:
            return normalize_domain(page.final_host)
        except ValidationFailed:
            return asked

    async def _judge(self, fetcher: WebFetcher, domain: str, name: str) -> Website | str:
        """The site at `domain` if it is the company's, else why not (never raises)."""
        try:
            page = await self._fetch(fetcher, domain)
        except _Refused as refused:
            return str(refused)
        except Exception as error:  # a candidate never breaks the research run
            logger.warning("leads.lookup.candidate_failed", domain=domain, exc_info=True)
            return f"failed ({type(error).__name__})"
        facts = page.facts
        if not facts.title and not facts.og_title:
            return "no title" + (f" in the first {self.max_bytes} bytes" if page.cut else "")
        parked = parked_reason(facts)
        if parked:
            return parked
        named = [
            title
            for title in (facts.title, facts.og_title)
            if title and names_company(title, name) and not _is_bare_domain(title, domain)
        ]
        if not named:
            shown = facts.title or facts.og_title
            return f"title {_quote(shown)} does not name {clean_text(name, _QUOTE_MAX)}"
        return Website(
            domain=self._domain_of(page, domain),
            title=named[0],  # the title that names the company: <title>, else og:title
            description=facts.description or facts.og_description,
            source=page.url,
        )

    async def _fetch(self, fetcher: WebFetcher, domain: str) -> _Page:
        url = self.template.replace("{domain}", domain)
        try:
            page = await fetcher.fetch(url, media_types={"text/html"})
        except ContentRefused as refused:
            shown = clean_text(refused.media_type, 60) or "no type"
            raise _Refused(f"not an HTML page ({shown})") from None
        except WebFetchError as error:
            raise _Refused(error.message) from None
        facts = await asyncio.to_thread(read_page, page.text())
        first, final = urlsplit(url), urlsplit(page.url)
        return _Page(
            url=page.url,
            host_moved=final.netloc.casefold() != first.netloc.casefold(),
            final_host=final.hostname or "",
            facts=facts,
            cut=page.truncated,
        )


def _is_bare_domain(title: str, domain: str) -> bool:
    """A title that is only the domain name ("foolabs.io") is what parking pages show."""
    text = title.strip().casefold()
    return text in {domain, f"www.{domain}"}
