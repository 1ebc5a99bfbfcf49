"""Finding a company's website when an email names the company without one: a local company
directory (offline), the web over HTTP (guessed domains, home pages read through the
platform's web fetcher, `compound.platform.web_fetch`, and checked), or nothing at all,
chosen by `COMPOUND_LEADS_LOOKUP`: one file per provider (`directory.py`, `http.py`,
`none.py`), what they answer in `base.py`.

Web pages are untrusted input: `page.py` only extracts short, cleaned strings from them
(title, description) and nothing acts on what a page says."""

from __future__ import annotations

from compound.modules.leads.lookup.base import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    LookupResult,
    WebLookup,
    Website,
    clean_text,
)
from compound.modules.leads.lookup.directory import (
    DIRECTORY_MAX_BYTES,
    SAMPLE_DIRECTORY,
    DirectoryEntry,
    DirectoryLookup,
)
from compound.modules.leads.lookup.http import (
    CONCURRENT_FETCHES,
    MAX_CANDIDATES,
    MAX_REDIRECTS,
    NAME_MATCH,
    USER_AGENT,
    HttpLookup,
    candidate_domains,
    name_keys,
    names_company,
)
from compound.modules.leads.lookup.none import NoLookup
from compound.modules.leads.lookup.page import PageFacts, parked_reason, read_page
from compound.modules.leads.settings import LeadsSettings

__all__ = [
    "CONCURRENT_FETCHES",
    "DESCRIPTION_MAX",
    "DIRECTORY_MAX_BYTES",
    "MAX_CANDIDATES",
    "MAX_REDIRECTS",
    "NAME_MATCH",
    "SAMPLE_DIRECTORY",
    "TITLE_MAX",
    "USER_AGENT",
    "DirectoryEntry",
    "DirectoryLookup",
    "HttpLookup",
    "LookupResult",
    "NoLookup",
    "PageFacts",
    "WebLookup",
    "Website",
    "candidate_domains",
    "clean_text",
    "name_keys",
    "names_company",
    "parked_reason",
    "read_page",
    "web_lookup",
]


def web_lookup(settings: LeadsSettings) -> WebLookup:
    """The lookup `COMPOUND_LEADS_LOOKUP` asks for."""
    if settings.lookup == "directory":
        return DirectoryLookup(settings.directory_path or SAMPLE_DIRECTORY)
    if settings.lookup == "http":
        return HttpLookup(settings)
    return NoLookup()
