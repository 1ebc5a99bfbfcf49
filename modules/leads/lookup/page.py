"""What a home page says about itself: title, descriptions, some visible text, and whether
it is a parked domain. Web pages are untrusted input: only short, cleaned strings are taken
from them, and nothing a page says is acted on."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

import structlog

from compound.modules.leads.lookup.base import DESCRIPTION_MAX, TITLE_MAX, clean_text, folded

logger = structlog.get_logger(__name__)

# Whatever a page puts before the end of its <title> is capped at this much raw text.
_RAW_FIELD_MAX = 4000
# Visible text kept to look for parked-domain wording.
_VISIBLE_TEXT_MAX = 5000
_OPEN_TAGS_MAX = 256
_VOID_TAGS = frozenset({"meta", "link", "br", "img", "input", "hr", "source", "wbr", "area"})


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
    heading = folded(" ".join([facts.title, facts.og_title, facts.description]))
    for cue in _PARKED_IN_TITLE:
        if cue in heading:
            return f"looks parked ({cue!r})"
    everything = folded(" ".join([heading, facts.og_description, facts.visible_text]))
    for cue in _PARKED_ANYWHERE:
        if cue in everything:
            return f"looks parked ({cue!r})"
    return None
