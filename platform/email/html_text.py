"""Turning an HTML mail body into plain text that people and agents can read."""

from __future__ import annotations

import html as entities
import re
from html.parser import HTMLParser

MAX_HTML_CHARACTERS = 5_000_000
"""Longer HTML is cut first: newsletters never need more, and the parser is pure Python."""

# Content of these elements is never text a reader sees.
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object"})
# Elements that start on a line of their own.
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
# Elements that stand apart from their neighbours by a blank line.
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"})
_CELLS = frozenset({"td", "th"})
_BULLET = "- "
_MAX_OPEN_LINKS = 8
# Void elements never get an end tag, so they must not open a skipped region.
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr"})
# Invisible characters newsletters use for padding, and soft hyphens that only hint a break.
_INVISIBLE = re.compile("[\u00ad\u034f\u180e\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"\s+")
_TAGS = re.compile(r"<[^>]*>")


class _TextCollector(HTMLParser):
    """Collects lines as (blockquote depth, text) so quoted history keeps its "> " marks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self._line: list[str] = []
        self._line_has_text = False
        self._line_depth = 0
        self._quote_depth = 0
        self._skip_depth = 0
        self._skipping: list[str] = []
        self._preformatted = 0
        # Open links: their href and the text written inside them so far.
        self._links: list[tuple[str | None, list[str]]] = []
        self._pending_blank = False

    # -- structure -----------------------------------------------------------------------

    def _flush(self) -> None:
        text = "".join(self._line).rstrip()
        if not self._preformatted:
            text = _SPACES.sub(" ", text).strip()
        self._line = []
        self._line_has_text = False
        if text.strip():
            if self._pending_blank and self.lines and self.lines[-1][1]:
                self.lines.append((min(self.lines[-1][0], self._line_depth), ""))
            self.lines.append((self._line_depth, text))
            self._pending_blank = False

    def _newline(self, *, blank: bool = False) -> None:
        if "".join(self._line).strip() == _BULLET.strip():
            return  # "<li><p>One</p>": the item's text belongs on the bullet's line
        self._flush()
        if blank:
            self._pending_blank = True

    def _write(self, text: str) -> None:
        if not self._line_has_text:
            self._line_depth = self._quote_depth
            self._line_has_text = bool(text.strip())
        self._line.append(text)

    # -- parser callbacks ----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping:
            if tag in _SKIPPED and tag not in _VOID:
                self._skipping.append(tag)
            elif tag == "body" and self._skipping == ["head"]:
                # An unclosed <head> ends where the body begins.
                self._skipping.clear()
            return
        if tag in _SKIPPED:
            self._skipping.append(tag)
            return
        if tag == "br":
            self._newline()
        elif tag in _PARAGRAPHS:
            self._newline(blank=True)
            if tag == "blockquote":
                self._quote_depth += 1
            elif tag == "pre":
                self._preformatted += 1
        elif tag in _BLOCKS:
            self._newline()
            if tag == "li" and "".join(self._line).strip() != _BULLET.strip():
                self._write(_BULLET)
            elif tag == "hr":
                self._write("---")
                self._newline()
        elif tag in _CELLS:
            self._write(" ")
        elif tag == "a":
            if len(self._links) >= _MAX_OPEN_LINKS:
                del self._links[0]  # unclosed links would make every word cost more
            self._links.append((dict(attrs).get("href"), []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/> and friends: a start tag with nothing inside.
        if tag in _VOID or tag not in _SKIPPED:
            self.handle_starttag(tag, attrs)
            if tag not in _VOID:
                self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.pop()
            elif tag in self._skipping:
                del self._skipping[self._skipping.index(tag) :]
            return
        if tag in _PARAGRAPHS:
            self._newline(blank=True)
            if tag == "blockquote" and self._quote_depth:
                self._quote_depth -= 1
            elif tag == "pre" and self._preformatted:
                self._preformatted -= 1
        elif tag in _BLOCKS:
            self._newline()
        elif tag in _CELLS:
            self._write(" ")
        elif tag == "a" and self._links:
            href, label_parts = self._links.pop()
            self._finish_link(href, "".join(label_parts))

    def _finish_link(self, href: str | None, label: str) -> None:
        if not href:
            return
        label = _SPACES.sub(" ", label).strip()
        url = href.strip()
        if not label or not _shows_a_destination(url):
            return
        if _same_destination(label, url):
            return
        self._write(f" ({url})")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        data = _INVISIBLE.sub("", data)
        if self._preformatted:
            lines = data.replace("\r\n", "\n").split("\n")
            for number, line in enumerate(lines):
                if number:
                    self._newline()
                self._write(line.rstrip())
            return
        text = _SPACES.sub(" ", data)
        if text:
            self._write(text)
            for _href, label_parts in self._links:
                label_parts.append(text)

    def close(self) -> None:
        super().close()
        self._flush()


def _shows_a_destination(url: str) -> bool:
    lowered = url.lower()
    # Anchors, scripts and embedded images tell a reader nothing.
    return not (
        lowered.startswith("#") or lowered.startswith("javascript:") or lowered.startswith("data:")
    )


def _same_destination(label: str, url: str) -> bool:
    def bare(value: str) -> str:
        value = value.strip().lower()
        for prefix in ("mailto:", "tel:", "https://", "http://", "www."):
            if value.startswith(prefix):
                value = value[len(prefix) :]
        return value.rstrip("/")

    return bare(label) == bare(url)


def html_to_text(html: str) -> str:
    """Readable text of `html`: no markup, scripts or styles; blocks on their own lines, list
    items as "- ", links as "text (url)", quoted blocks marked with "> "."""
    html = html[:MAX_HTML_CHARACTERS]
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:
        # A parser bug must not lose the body: fall back to stripping the markup.
        stripped = entities.unescape(_TAGS.sub(" ", html))
        return _SPACES.sub(" ", _INVISIBLE.sub("", stripped)).strip()
    rendered: list[str] = []
    for depth, line in collector.lines:
        prefix = ">" * depth
        if not line:
            rendered.append(prefix)
        else:
            rendered.append(f"{prefix} {line}" if prefix else line)
    return "\n".join(rendered).strip()
