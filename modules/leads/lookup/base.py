"""What every company-website lookup answers (Website, LookupResult) and promises
(WebLookup), and the text cleaning the lookups share."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Protocol

TITLE_MAX = 300
DESCRIPTION_MAX = 1000

# Only for the person reading `tried`: a page's own words are quoted this short.
QUOTE_MAX = 80


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


def quoted(text: str) -> str:
    return repr(clean_text(text, QUOTE_MAX))


_WORD = re.compile(r"[^\W_]+")
_STOP_WORDS = frozenset(
    re.findall(
        r"\w+",
        "and the for with from that this into our your are was were has have its their "
        "who what which all any can will more most than then them they you not but",
    )
)


def folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(character for character in text if not unicodedata.combining(character))


def distinctive_words(text: str) -> set[str]:
    """Distinctive words, for telling apart descriptions: folded, ≥ 3 letters, no stop words."""
    return {
        word for word in _WORD.findall(folded(text)) if len(word) >= 3 and word not in _STOP_WORDS
    }
