"""What one parse of a raw message carries along (its defects, whether NULs were removed,
the cap on parts), and the limits and text helpers its header and body stages share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import Message
from typing import TypeVar

from compound.platform.email.charsets import decode_single_byte
from compound.platform.email.part_limit import DEFAULT_MAX_PARTS, count_parts, parse_first_parts

# Here rather than in parsing.py: a part's Content-ID is read like a Message-ID.
MAX_HEADER_CHARACTERS = 10_000
# Past this many, more defects say nothing new and only bloat the stored row.
MAX_DEFECTS = 200

PARSING_POLICY = policy.default
# Every header read as unstructured text: decodes encoded-words without the structured
# parsers that raise on bad address lists or dates.
UNSTRUCTURED = HeaderRegistry(use_default_map=False)
LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_FOLDED_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ANGLE_ID = re.compile(r"<([^<>]*)>")

T = TypeVar("T")


@dataclass
class ParseContext:
    """What one parse collects besides the message: defects, and whether NULs were removed."""

    defects: list[str] = field(default_factory=list)
    nul_removed: bool = False
    newline: str = "\n"
    """The message's own line ending, used when an enclosed message is written back."""
    max_parts: int = DEFAULT_MAX_PARTS
    parts_total: int | None = None
    """Set when the message has more MIME parts than `max_parts`: at least this many."""

    def parts_over(self, total: int) -> None:
        self.parts_total = max(self.parts_total or 0, total)

    def first_parts(self, raw: bytes) -> Message:
        """`raw` parsed up to the cap on parts (the rest is left unread, in the raw message)."""
        first = parse_first_parts(raw, self.max_parts, PARSING_POLICY)
        if first.cut:
            self.parts_over(count_parts(raw, first.root))
        return first.root

    def defect(self, text: str) -> None:
        text = single_line(self.clean(text))[:500]
        if text not in self.defects and len(self.defects) < MAX_DEFECTS:
            self.defects.append(text)

    def clean(self, text: str) -> str:
        """Text Postgres can hold: no NUL characters and no unpaired surrogates."""
        if "\x00" in text:
            self.nul_removed = True
            text = text.replace("\x00", "")
        if _has_surrogates(text):
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return text

    def attempt(self, action: Callable[[], T], fallback: T, failure: str) -> T:
        try:
            return action()
        except Exception as error:
            self.defect(f"{failure}: {describe_error(error)}")
            return fallback


def decode_eight_bit(value: str, name: str, context: ParseContext) -> str:
    """Raw 8-bit header bytes as text: UTF-8 (RFC 6532) when they are, else Windows-1252."""
    if not _has_surrogates(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        context.defect(f"{name}: raw 8-bit text read as windows-1252")
        return decode_single_byte(data)


def read_message_id(raw_value: str | None, context: ParseContext) -> str | None:
    if raw_value is None:
        return None
    value = context.clean(unfold(decode_eight_bit(raw_value, "Message-ID", context)))
    bracketed = ANGLE_ID.search(value)
    candidate = bracketed.group(1) if bracketed else value
    candidate = re.sub(r"\s+", "", candidate)
    return candidate[:MAX_HEADER_CHARACTERS] or None


# -- small text helpers ----------------------------------------------------------------------


def decode_words(text: str) -> str:
    """Encoded-words decoded leniently (unknown charsets and bad base64 become U+FFFD)."""
    if "=?" not in text:
        return text
    try:
        return str(UNSTRUCTURED("x", unfold(text)))
    except Exception:
        return text


def unfold(value: str) -> str:
    return "".join(LINE_BREAKS.split(value))


def single_line(text: str) -> str:
    text = _FOLDED_BREAKS.sub(" ", text).replace("\t", " ")
    return _CONTROL_CHARACTERS.sub("", text)


def normalize_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= character <= "\udfff" for character in text)


def describe_error(error: BaseException) -> str:
    detail = str(error)[:200]
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
