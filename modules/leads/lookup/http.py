"""The lookup over the web: domains guessed from the company's name, each home page read
through the platform's web fetcher (`compound.platform.web_fetch`), and the first whose
title names the company and that is not parked kept."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog
from rapidfuzz import fuzz

from compound.modules.leads.lookup.base import QUOTE_MAX, LookupResult, Website, clean_text, quoted
from compound.modules.leads.lookup.page import PageFacts, parked_reason, read_page
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

MAX_CANDIDATES = 12
"""Domains the HTTP lookup tries for one name."""
CONCURRENT_FETCHES = 4
MAX_REDIRECTS = 3
NAME_MATCH = 88.0
"""rapidfuzz ratio (0–100) of a run of title words and the company's key above which the
title names the company: "Kiesel Robotics" names Kiesel Robotik (88.9); the runs are
whole words, so "Foobar" never names Foo."""
USER_AGENT = "CompoundResearch/0.1 (company website lookup)"


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
            return LookupResult(None, [f"{quoted(name)} gives no domain to try"])
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
                        tried.append(f"{domain}: found {quoted(outcome.title)}")
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
            return f"title {quoted(shown)} does not name {clean_text(name, QUOTE_MAX)}"
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
