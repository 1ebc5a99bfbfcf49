"""Parsing raw MIME with the standard library into what Compound stores and agents read."""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.errors import InvalidBase64LengthDefect, MessageDefect
from email.generator import BytesGenerator
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from io import BytesIO
from typing import TypeVar

from compound.platform.email.charsets import decode_single_byte, decode_text
from compound.platform.email.html_text import html_to_text
from compound.platform.email.part_limit import (
    DEFAULT_MAX_PARTS,
    count_parts,
    parse_first_parts,
    parts_left_out,
)
from compound.platform.errors import ValidationFailed


class UnparseableMessage(ValidationFailed):
    """Not even the headers could be read; the raw message is kept with this error."""

    code = "UNPARSEABLE_MESSAGE"


@dataclass(frozen=True)
class Address:
    address: str
    """Lower-cased when it is a valid address; as written otherwise (kept, never dropped)."""
    name: str | None = None
    valid: bool = True


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str | None
    content_type: str
    content: bytes
    inline: bool = False
    content_id: str | None = None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    from_address: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    date: datetime | None
    """Timezone-aware; None when missing or unreadable."""
    text: str
    """The plain-text body; the HTML body converted to readable text when there is no plain part."""
    html: str | None
    attachments: tuple[ParsedAttachment, ...]
    headers: tuple[tuple[str, str], ...]
    defects: tuple[str, ...] = field(default=())
    is_bulk: bool = False
    """List-Id, List-Unsubscribe or Precedence: bulk/list/junk."""
    auto_submitted: bool = False
    """Auto-Submitted other than `no` (out-of-office replies, notifications), or X-Autoreply."""


MAX_HEADERS = 500
MAX_HEADER_CHARACTERS = 10_000
MAX_SUBJECT_CHARACTERS = 2_000
MAX_ADDRESSES_PER_HEADER = 1_000
MAX_ADDRESS_HEADER_CHARACTERS = 200_000
MAX_ADDRESS_CHARACTERS = 1_000
# The standard library re-parses Content-* headers each time it reads one, slowly for huge
# ones; no real Content-* header comes near this.
MAX_CONTENT_HEADER_CHARACTERS = 8_192
# Past this many, more defects say nothing new and only bloat the stored row.
MAX_DEFECTS = 200
# Deeper MIME nesting than this is an attack or a loop, not mail.
MAX_NESTING = 60
EARLIEST_PLAUSIBLE_DATE = datetime(1980, 1, 1, tzinfo=UTC)
FUTURE_DATE_TOLERANCE = timedelta(days=2)
FORWARDED_FILENAME = "forwarded.eml"

_PARSING_POLICY = policy.default
# Every header read as unstructured text: decodes encoded-words without the structured
# parsers that raise on bad address lists or dates.
_UNSTRUCTURED = HeaderRegistry(use_default_map=False)
_BODY_TYPES = ("text/plain", "text/html")
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_BODY_ENCODINGS = ("base64", "quoted-printable")
_INLINE_MEDIA = ("image", "audio", "video")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_FOLDED_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\r?\n)+")
_HEADER_BLOCK_END = re.compile(rb"\r?\n\r?\n")
_BLANK_BEFORE_COLON = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
# A Content-* header with its continuation lines, anywhere (parts have headers too).
_CONTENT_HEADER = re.compile(rb"(?im)^content-[a-z0-9-]*[ \t]*:(?:[^\r\n]|\r?\n[ \t])*")
_JUNK_SEARCH_LINES = 20
_JUNK_SEARCH_BYTES = 8_192
_BOUNDARY_PARAMETER = re.compile(r"""boundary\s*=\s*(?:"([^"]+)"|([^\s;"]+))""", re.IGNORECASE)
_ANGLE_ID = re.compile(r"<([^<>]*)>")
_BARE_IDS = re.compile(r"[^\s<>,]+")
_ADDR_SPEC = re.compile(
    r'^(?:"[^"]*"|[^\s"@<>()\[\],;:\\]+)@(?:\[[^\]\s]+\]|[^\s"@<>()\[\],;:\\]+)$'
)
_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+)\s*>")
_BARE_ADDRESS = re.compile(r"[^\s<>()\",;:@]+@[^\s<>()\",;:@]+")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_CAMEL_WORDS = re.compile(r"(?<!^)(?=[A-Z])")

T = TypeVar("T")


@dataclass
class _Context:
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
        first = parse_first_parts(raw, self.max_parts, _PARSING_POLICY)
        if first.cut:
            self.parts_over(count_parts(raw, first.root))
        return first.root

    def defect(self, text: str) -> None:
        text = _single_line(self.clean(text))[:500]
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
            self.defect(f"{failure}: {_describe(error)}")
            return fallback


def parse_message(raw: bytes, *, max_parts: int = DEFAULT_MAX_PARTS) -> ParsedMessage:
    """Parse `raw`; never raises for a damaged message (defects are listed instead), only
    UnparseableMessage when nothing at all can be read. Only its first `max_parts` MIME parts
    are read; past them, a defect says how many there were."""
    context = _Context(max_parts=max_parts)
    prepared = _prepare(raw, context)
    problem: str | None = None
    try:
        message: Message = context.first_parts(prepared)
        if _deeper_than(message, MAX_NESTING):
            # Walking it (or writing a part of it back) would exhaust the stack.
            problem = f"nesting deeper than {MAX_NESTING}"
    except Exception as error:
        problem = _describe(error)
    if problem is not None:
        # The MIME structure defeated the parser (deep nesting): headers and body as text.
        context.defect(f"MIME structure unreadable, body kept as text: {problem}")
        context.parts_total = None  # the body is kept whole, as text
        try:
            message = BytesHeaderParser(policy=_PARSING_POLICY).parsebytes(prepared)
        except Exception:
            return _read_minimal(prepared, context)
    if not message.keys():
        message = _parse_after_leading_junk(prepared, context)
    try:
        return _read(message, context)
    except Exception as error:
        # A bug or a stdlib failure on an input nobody foresaw: keep what can be read safely.
        context.defect(f"message only partly readable: {_describe(error)}")
        return _read_minimal(prepared, context)


def _parse_after_leading_junk(prepared: bytes, context: _Context) -> Message:
    """Lines that are not headers before the first header line ("Hello\nFrom: a@b") end the
    standard library's header block at once; skip a few of them, or give up."""
    lines = prepared[:_JUNK_SEARCH_BYTES].splitlines(keepends=True)[:_JUNK_SEARCH_LINES]
    offset = 0
    for number, line in enumerate(lines):
        if not line.strip():
            break  # the end of whatever header block there was
        if number and _HEADER_LINE.match(line):
            context.defect(f"{number} unreadable lines before the headers skipped")
            try:
                message: Message = context.first_parts(prepared[offset:])
            except Exception:
                message = BytesHeaderParser(policy=_PARSING_POLICY).parsebytes(prepared[offset:])
            if message.keys():
                return message
            break
        offset += len(line)
    raise UnparseableMessage(
        'no header block: the message does not start with "Name: value" header lines'
    )


def _prepare(raw: bytes, context: _Context) -> bytes:
    if not raw.strip():
        raise UnparseableMessage("the message is empty")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
        context.defect("byte order mark before the headers removed")
    stripped = _LEADING_BLANK_LINES.sub(b"", raw, count=1)
    if stripped != raw:
        context.defect("blank lines before the headers skipped")
    if not stripped.strip():
        raise UnparseableMessage("the message is empty")
    first_line_end = stripped.find(b"\n")
    if first_line_end > 0 and stripped[first_line_end - 1 : first_line_end] == b"\r":
        context.newline = "\r\n"
    return _cap_content_headers(_tidy_header_names(stripped, context), context)


def _cap_content_headers(raw: bytes, context: _Context) -> bytes:
    if len(raw) <= MAX_CONTENT_HEADER_CHARACTERS:
        return raw

    def cap(found: re.Match[bytes]) -> bytes:
        header = found.group(0)
        if len(header) <= MAX_CONTENT_HEADER_CHARACTERS:
            return header
        context.defect(f"a {len(header):,}-byte Content header cut to its start")
        return header[:MAX_CONTENT_HEADER_CHARACTERS]

    return _CONTENT_HEADER.sub(cap, raw)


def _tidy_header_names(raw: bytes, context: _Context) -> bytes:
    """RFC 5322's obsolete syntax allows blanks before a header's colon ("Subject : Hi"); the
    standard library ends the header block at such a line, so the blanks are removed."""
    end = _HEADER_BLOCK_END.search(raw)
    head_end = end.start() if end else len(raw)
    head = raw[:head_end]
    tidied, count = _BLANK_BEFORE_COLON.subn(rb"\1:", head)
    if not count:
        return raw
    context.defect("blanks before a header's colon removed")
    return tidied + raw[head_end:]


# -- the whole message ----------------------------------------------------------------------


def _read(message: Message, context: _Context) -> ParsedMessage:
    raw_headers = _raw_headers(message)
    headers = tuple(
        (context.clean(name), _header_text(name, value, context)[:MAX_HEADER_CHARACTERS])
        for name, value in raw_headers[:MAX_HEADERS]
    )
    if len(raw_headers) > MAX_HEADERS:
        context.defect(f"{len(raw_headers)} headers; only the first {MAX_HEADERS} kept")

    def first(name: str) -> str | None:
        values = [value for key, value in raw_headers if key.lower() == name]
        if len(values) > 1 and name in ("from", "subject", "date", "message-id"):
            context.defect(f"{_title(name)}: {len(values)} headers, the first is used")
        return values[0] if values else None

    def joined(name: str) -> str | None:
        # Recipients from a repeated To or Cc are all kept: nobody is dropped.
        values = [value for key, value in raw_headers if key.lower() == name]
        return ", ".join(values) if values else None

    from_value = first("from")
    from_addresses = _addresses("From", from_value, context)
    if from_value is not None and not from_addresses:
        context.defect("From: no address")
    subject_value = first("subject")
    subject = _subject(subject_value, context) if subject_value is not None else ""
    date_value = first("date")
    if date_value is None:
        context.defect("no Date header")
    references_value = first("references")
    body = _Body(context)
    context.attempt(lambda: body.read(message), None, "body structure unreadable")
    text, html = body.text(), body.html()
    # Last: decoding the parts above is what reveals bad base64 and quoted-printable.
    _collect_defects(message, context)
    return _finish(
        ParsedMessage(
            message_id=_message_id(first("message-id"), context),
            in_reply_to=_message_id(first("in-reply-to"), context),
            references=_references(references_value, context) if references_value else (),
            from_address=from_addresses[0] if from_addresses else None,
            reply_to=_addresses("Reply-To", joined("reply-to"), context),
            to=_addresses("To", joined("to"), context),
            cc=_addresses("Cc", joined("cc"), context),
            subject=subject,
            date=_date(date_value, context) if date_value is not None else None,
            text=text,
            html=html,
            attachments=tuple(body.attachments),
            headers=headers,
            is_bulk=_is_bulk(raw_headers),
            auto_submitted=_is_auto_submitted(raw_headers),
        ),
        context,
    )


def _finish(parsed: ParsedMessage, context: _Context) -> ParsedMessage:
    if context.nul_removed:
        context.defect("NUL characters removed (a database cannot store them)")
    if context.parts_total is not None:
        # First, so that no list of defects cut short for display hides it.
        context.defects.insert(0, parts_left_out(context.max_parts, context.parts_total))
    return replace(parsed, defects=tuple(context.defects))


def _read_minimal(prepared: bytes, context: _Context) -> ParsedMessage:
    """Headers as written and the body as text, read without the email package."""
    separator = re.search(rb"\r?\n\r?\n", prepared)
    head = prepared[: separator.start()] if separator else prepared
    body = prepared[separator.end() :] if separator else b""
    headers: list[tuple[str, str]] = []
    for line in _LINE_BREAKS.split(head.decode("utf-8", "replace")):
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + line)
        elif ":" in line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    headers = [
        (context.clean(name), context.clean(value)[:MAX_HEADER_CHARACTERS])
        for name, value in headers[:MAX_HEADERS]
    ]
    subject = next((value for name, value in headers if name.lower() == "subject"), "")
    return _finish(
        ParsedMessage(
            message_id=None,
            in_reply_to=None,
            references=(),
            from_address=None,
            reply_to=(),
            to=(),
            cc=(),
            subject=" ".join(_single_line(subject).split())[:MAX_SUBJECT_CHARACTERS],
            date=None,
            text=context.clean(_normalize_lines(body.decode("utf-8", "replace"))),
            html=None,
            attachments=(),
            headers=tuple(headers),
        ),
        context,
    )


# -- headers ---------------------------------------------------------------------------------


def _raw_headers(message: Message) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for name, value in message.raw_items():
        # raw_items holds the source text; a header already parsed is an object with a name.
        headers.append((str(name), str(value)))
    return headers


def _header_text(name: str, raw_value: str, context: _Context) -> str:
    """The decoded, unfolded value of one header; as written when it cannot be decoded."""
    value = _unfold(_eight_bit(raw_value, name, context))[: MAX_HEADER_CHARACTERS * 4]
    try:
        decoded = str(_UNSTRUCTURED(name, value))
    except Exception as error:
        context.defect(f"{name}: unreadable header, kept as written: {_describe(error)}")
        decoded = value
    return context.clean(decoded)


def _eight_bit(value: str, name: str, context: _Context) -> str:
    """Raw 8-bit header bytes as text: UTF-8 (RFC 6532) when they are, else Windows-1252."""
    if not _has_surrogates(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        context.defect(f"{name}: raw 8-bit text read as windows-1252")
        return decode_single_byte(data)


def _subject(raw_value: str, context: _Context) -> str:
    decoded = _header_text("Subject", raw_value, context)
    # Folding leaves runs of blanks ("about the\r\n  robots"); a subject is one line of words.
    return " ".join(_single_line(decoded).split())[:MAX_SUBJECT_CHARACTERS]


def _message_id(raw_value: str | None, context: _Context) -> str | None:
    if raw_value is None:
        return None
    value = context.clean(_unfold(_eight_bit(raw_value, "Message-ID", context)))
    bracketed = _ANGLE_ID.search(value)
    candidate = bracketed.group(1) if bracketed else value
    candidate = re.sub(r"\s+", "", candidate)
    return candidate[:MAX_HEADER_CHARACTERS] or None


def _references(raw_value: str, context: _Context) -> tuple[str, ...]:
    value = context.clean(_unfold(_eight_bit(raw_value, "References", context)))
    bracketed = [re.sub(r"\s+", "", found) for found in _ANGLE_ID.findall(value)]
    found = [item for item in bracketed if item] if bracketed else _BARE_IDS.findall(value)
    return tuple(item[:MAX_HEADER_CHARACTERS] for item in found[:MAX_HEADERS])


def _date(raw_value: str, context: _Context) -> datetime | None:
    value = _single_line(context.clean(_unfold(_eight_bit(raw_value, "Date", context)))).strip()
    parsed: datetime | None = None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        context.defect(f"Date: unreadable ({value[:100]!r})")
        return None
    if parsed.tzinfo is None:
        if "-0000" not in value:
            context.defect("Date: no known time zone, UTC assumed")
        parsed = parsed.replace(tzinfo=UTC)
    try:
        implausible = (
            parsed < EARLIEST_PLAUSIBLE_DATE or parsed > datetime.now(UTC) + FUTURE_DATE_TOLERANCE
        )
    except OverflowError:
        # 31 Dec 9999 west of Greenwich is after the last moment Python can hold in UTC.
        context.defect(f"Date: out of range ({value[:100]!r})")
        return None
    if implausible:
        # Kept: the caller decides which time to sort by.
        context.defect(f"Date: implausible ({parsed.isoformat()})")
    return parsed


def _is_bulk(headers: list[tuple[str, str]]) -> bool:
    for name, value in headers:
        key = name.lower()
        if key in ("list-id", "list-unsubscribe"):
            return True
        if key == "precedence" and value.strip().lower() in ("bulk", "list", "junk"):
            return True
    return False


def _is_auto_submitted(headers: list[tuple[str, str]]) -> bool:
    for name, value in headers:
        key = name.lower()
        setting = value.split(";", 1)[0].strip().lower()
        if key == "auto-submitted" and setting not in ("", "no"):
            return True
        if key in ("x-autoreply", "x-autorespond") and setting != "no":
            return True
    return False


# -- addresses -------------------------------------------------------------------------------


def _addresses(name: str, raw_value: str | None, context: _Context) -> tuple[Address, ...]:
    if raw_value is None:
        return ()
    value = context.clean(_unfold(_eight_bit(raw_value, name, context)))
    if len(value) > MAX_ADDRESS_HEADER_CHARACTERS:
        context.defect(f"{name}: {len(value):,} characters; only the first part read")
        value = value[:MAX_ADDRESS_HEADER_CHARACTERS]
    tokens = _split_address_list(value)
    if len(tokens) > MAX_ADDRESSES_PER_HEADER:
        context.defect(
            f"{name}: {len(tokens)} addresses; the first {MAX_ADDRESSES_PER_HEADER} kept"
        )
    addresses: list[Address] = []
    for token in tokens[:MAX_ADDRESSES_PER_HEADER]:
        address = _address(token, name, context)
        if address is not None:
            addresses.append(address)
    return tuple(addresses)


def _split_address_list(value: str) -> list[str]:
    """Split at top-level commas (and group ends), leaving quoted strings, comments,
    angle brackets and encoded-words whole; a group's name is dropped."""
    tokens: list[str] = []
    current: list[str] = []
    has_at = False
    quoted = False
    angle = False
    comment_depth = 0
    index = 0
    while index < len(value):
        character = value[index]
        if quoted:
            current.append(character)
            if character == "\\" and index + 1 < len(value):
                current.append(value[index + 1])
                index += 1
            elif character == '"':
                quoted = False
        elif comment_depth:
            current.append(character)
            if character == "(":
                comment_depth += 1
            elif character == ")":
                comment_depth -= 1
        elif character == "=" and value.startswith("=?", index):
            word = _ENCODED_WORD.match(value, index)
            end = word.end() if word else index + 1
            current.append(value[index:end])
            index = end
            continue
        elif character == '"':
            quoted = True
            current.append(character)
        elif character == "(":
            comment_depth = 1
            current.append(character)
        elif character == "<":
            angle = True
            current.append(character)
        elif character == ">":
            angle = False
            current.append(character)
        elif character in ",;" and not angle:
            tokens.append("".join(current))
            current, has_at = [], False
        elif character == ":" and not angle and not has_at:
            current = []  # a group's display name ("undisclosed-recipients:")
        else:
            current.append(character)
            has_at = has_at or character == "@"
        index += 1
    tokens.append("".join(current))
    return [token.strip() for token in tokens if token.strip()]


def _address(token: str, header: str, context: _Context) -> Address | None:
    if len(token) > MAX_ADDRESS_CHARACTERS:
        # No real address is this long, and the parsers below slow down badly on it.
        written = _single_line(token)[:MAX_HEADER_CHARACTERS]
        context.defect(f"{header}: invalid address kept as written ({written[:100]})")
        return Address(address=written, name=None, valid=False)
    try:
        parsed = _PARSING_POLICY.header_factory("to", token)
        candidates = list(getattr(parsed, "addresses", ()))
    except Exception:
        candidates = []
    if len(candidates) == 1:
        candidate = candidates[0]
        spec = context.clean(candidate.addr_spec)
        # The parser quotes a local part with spaces ("Ana Lima ana"@x): only believe quotes
        # that were written.
        written_quotes = not spec.startswith('"') or '"' in token
        if candidate.username and candidate.domain and written_quotes and _ADDR_SPEC.match(spec):
            return Address(address=spec.lower(), name=_name(candidate.display_name, context))
    # Broken syntax around a usable address ("Ana Lima ana@example.com"): take the address.
    found = _ANGLE_ADDRESS.search(token) or _single(_BARE_ADDRESS.finditer(token))
    if found is not None:
        spec = found.group(1) if found.re is _ANGLE_ADDRESS else found.group(0)
        if _ADDR_SPEC.match(spec):
            rest = (token[: found.start()] + " " + token[found.end() :]).strip().strip('"').strip()
            context.defect(f"{header}: address in broken syntax read as {spec.lower()}")
            return Address(address=spec.lower(), name=_name(_decode_words(rest), context))
    written = _single_line(_decode_words(token)).strip()
    if not written:
        return None
    context.defect(f"{header}: invalid address kept as written ({written[:100]})")
    return Address(address=written, name=None, valid=False)


def _single(matches: Iterable[re.Match[str]]) -> re.Match[str] | None:
    found = list(matches)
    return found[0] if len(found) == 1 else None


def _name(display_name: str | None, context: _Context) -> str | None:
    if not display_name:
        return None
    cleaned = _single_line(context.clean(display_name)).strip().strip('"').strip()
    return cleaned or None


# -- body and attachments ------------------------------------------------------------------


@dataclass
class _Body:
    """Body text, HTML and attachments chosen the way JMAP (RFC 8621 §4.1.4) chooses them."""

    context: _Context
    text_parts: list[Message] = field(default_factory=list)
    html_parts: list[Message] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    _texts: dict[int, str] = field(default_factory=dict)
    _content_types: dict[int, str] = field(default_factory=dict)
    _walked: int = 0
    """Parts walked so far; none past the context's `max_parts` (a boundary recovered below
    parses more of the message than the parser did)."""

    def read(self, message: Message) -> None:
        # A single-part message is read as a multipart/mixed holding that one part.
        self._walk(
            [message], "mixed", in_alternative=False, text=self.text_parts, html=self.html_parts
        )

    def _walk(
        self,
        parts: list[Message],
        multipart_type: str,
        *,
        in_alternative: bool,
        text: list[Message] | None,
        html: list[Message] | None,
        depth: int = 0,
    ) -> None:
        text_count = len(text) if text is not None else -1
        html_count = len(html) if html is not None else -1
        for index, part in enumerate(parts):
            if self._walked >= self.context.max_parts:
                self.context.parts_over(self._walked + len(parts) - index)
                return
            self._walked += 1
            content_type = self._content_type(part)
            maintype, _, subtype = content_type.partition("/")
            if maintype == "multipart" and isinstance(part.get_payload(), list):
                children = [child for child in part.get_payload() if isinstance(child, Message)]
                self._note_text_outside_parts(part, content_type)
                if depth >= MAX_NESTING:
                    self.context.defect(f"MIME nesting deeper than {MAX_NESTING}; kept as a file")
                    self._attach(part, content_type)
                    continue
                self._walk(
                    children,
                    subtype,
                    in_alternative=in_alternative or subtype == "alternative",
                    text=text,
                    html=html,
                    depth=depth + 1,
                )
                continue
            if maintype == "multipart" and self._recover_boundary(part):
                self._walked -= 1  # walked again below, as the multipart it turned out to be
                self._walk(
                    [part],
                    multipart_type,
                    in_alternative=in_alternative,
                    text=text,
                    html=html,
                    depth=depth + 1,
                )
                continue
            if maintype == "multipart":
                # A multipart without a usable boundary: its content is text someone wrote.
                content_type = "text/plain"
                maintype, subtype = "text", "plain"
            disposition = self.context.attempt(
                part.get_content_disposition, None, f"{content_type} part: bad Content-Disposition"
            )
            filename = self._filename(part)
            media = maintype in _INLINE_MEDIA
            inline = (
                disposition != "attachment"
                and (content_type in _BODY_TYPES or media)
                and (index == 0 or (multipart_type != "related" and (media or not filename)))
                and not isinstance(part.get_payload(), list)
            )
            if not inline:
                self._attach(part, content_type)
                continue
            if multipart_type == "alternative":
                if content_type == "text/plain" and text is not None:
                    text.append(part)
                elif content_type == "text/html" and html is not None:
                    html.append(part)
                else:
                    self._attach(part, content_type)
                continue
            if in_alternative:
                if content_type == "text/plain":
                    html = None
                if content_type == "text/html":
                    text = None
            if text is not None:
                text.append(part)
            if html is not None:
                html.append(part)
            if media:
                self._attach(part, content_type)
        if multipart_type == "alternative" and text is not None and html is not None:
            # Only one of the alternatives was found: it serves as the other, too.
            if text_count == len(text) and html_count != len(html):
                text.extend(html[html_count:])
            if html_count == len(html) and text_count != len(text):
                html.extend(text[text_count:])

    def _note_text_outside_parts(self, part: Message, content_type: str) -> None:
        # Mail clients ignore a multipart's preamble and epilogue, and so does Compound; but
        # broken boundaries can push real content there, so say so (the raw message keeps it).
        epilogue = (part.epilogue or "").strip()
        preamble = (part.preamble or "").strip() if part.defects else ""
        if epilogue or preamble:
            self.context.defect(
                f"{content_type} part: {len(epilogue) + len(preamble)} characters outside its "
                "parts ignored"
            )

    def _recover_boundary(self, part: Message) -> bool:
        """A boundary the standard library missed ("multipart/mixed boundary=x" without the
        semicolon): parse the body again with it, so its parts are not read as one text."""
        found = _BOUNDARY_PARAMETER.search(_raw_header(part, "content-type") or "")
        payload = part.get_payload()
        if found is None or not isinstance(payload, str):
            return False
        boundary = found.group(1) or found.group(2)
        subtype = self._content_type(part).partition("/")[2] or "mixed"
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n'
        data = head.encode("ascii", "replace") + payload.encode("utf-8", "surrogateescape")
        # As many parts as the cap leaves, this one (the recovered root) included.
        budget = self.context.max_parts - self._walked + 1
        try:
            recovered = parse_first_parts(data, budget, _PARSING_POLICY)
            children = recovered.root.get_payload()
            if not isinstance(children, list) or not children:
                return False
            if _deeper_than(recovered.root, MAX_NESTING):
                return False  # hostile, as in parse_message: read as text
            part.set_payload(children)
        except Exception:
            return False
        if recovered.cut:
            self.context.parts_over(self._walked - 1 + count_parts(data, recovered.root))
        self.context.defect(f"multipart/{subtype} boundary read despite broken syntax")
        return True

    def _content_type(self, part: Message) -> str:
        key = id(part)
        if key not in self._content_types:
            self._content_types[key] = self._read_content_type(part)
        return self._content_types[key]

    def _read_content_type(self, part: Message) -> str:
        content_type = self.context.attempt(
            part.get_content_type, "application/octet-stream", "bad Content-Type"
        )
        # "multipart/mixed boundary=x" (a missing semicolon) comes back whole: keep the type.
        found = _MEDIA_TYPE.match(content_type.strip().lower())
        return found.group(0) if found else "application/octet-stream"

    def _filename(self, part: Message) -> str | None:
        def read() -> str | None:
            name = part.get_filename() or part.get_param("name")
            if isinstance(name, tuple):
                name = str(name[2])
            return name if isinstance(name, str) else None

        name = self.context.attempt(read, None, "unreadable attachment name")
        if not name:
            return None
        if "=?" in name:
            name = _decode_words(name)
        # A path in a name is never wanted: keep the last component only.
        name = re.split(r"[\\/]", _single_line(self.context.clean(name)))[-1].strip()
        return name[:1_000] or None

    def _attach(self, part: Message, content_type: str) -> None:
        filename = self._filename(part)
        if filename is None and content_type in ("message/rfc822", "message/global"):
            filename = FORWARDED_FILENAME
        disposition = self.context.attempt(part.get_content_disposition, None, "bad disposition")
        content_id = _message_id(_raw_header(part, "content-id"), self.context)
        self.attachments.append(
            ParsedAttachment(
                filename=filename,
                content_type=content_type,
                content=self._content(part, content_type),
                inline=disposition == "inline" or (not disposition and content_id is not None),
                content_id=content_id,
            )
        )

    def _content(self, part: Message, content_type: str) -> bytes:
        payload = part.get_payload()
        if isinstance(payload, list):
            return _serialize(part, self.context)
        try:
            data = part.get_payload(decode=True)
        except Exception as error:
            self.context.defect(f"{content_type} part: undecodable content: {_describe(error)}")
            data = None
        if any(isinstance(defect, InvalidBase64LengthDefect) for defect in part.defects):
            # The standard library gives up and returns the base64 text itself; a lenient
            # decode recovers all but the damaged end.
            return _lenient_base64(str(payload).encode("ascii", "replace"))
        if isinstance(data, bytes):
            return data
        return str(payload).encode("utf-8", "surrogateescape")

    def _decoded_text(self, part: Message) -> str:
        key = id(part)
        if key not in self._texts:
            content_type = self._content_type(part)
            data = self._content(part, content_type)
            charset = self.context.attempt(part.get_content_charset, None, "bad charset")
            if charset is None and content_type == "text/html":
                declared = _META_CHARSET.search(data[:4096])
                charset = declared.group(1).decode("ascii", "replace") if declared else None
            decoded = decode_text(data, charset, f"{content_type} part", self.context.defect)
            self._texts[key] = self.context.clean(_normalize_lines(decoded))
        return self._texts[key]

    def text(self) -> str:
        pieces: list[str] = []
        for part in self.text_parts:
            content_type = self._content_type(part)
            if content_type == "text/html":
                pieces.append(self._html_as_text(part))
            elif content_type == "text/plain" or content_type.startswith("multipart/"):
                pieces.append(self._decoded_text(part))
        text = "\n\n".join(piece.strip("\n") for piece in pieces if piece.strip())
        if not text.strip():
            html = self.html()
            if html:
                # An empty plain alternative next to real HTML says nothing; read the HTML.
                return self.context.clean(html_to_text(html))
        return text

    def _html_as_text(self, part: Message) -> str:
        return self.context.clean(html_to_text(self._decoded_text(part)))

    def html(self) -> str | None:
        pieces = [
            self._decoded_text(part)
            for part in self.html_parts
            if self._content_type(part) == "text/html"
        ]
        joined = "\n".join(piece for piece in pieces if piece.strip())
        return joined or None


def _serialize(part: Message, context: _Context) -> bytes:
    """The bytes of an enclosed message (message/rfc822), written back as they were read."""
    children = part.get_payload()
    targets = [child for child in children if isinstance(child, Message)] or [part]
    pieces: list[bytes] = []
    for target in targets:
        buffer = BytesIO()
        try:
            # compat32 with 8-bit output writes headers and bodies back unchanged.
            generator = BytesGenerator(
                buffer,
                mangle_from_=False,
                policy=policy.compat32.clone(
                    cte_type="8bit", max_line_length=0, linesep=context.newline
                ),
            )
            generator.flatten(target)
            pieces.append(buffer.getvalue())
        except Exception as error:
            context.defect(f"enclosed message rewritten from its text: {_describe(error)}")
            pieces.append(str(target).encode("utf-8", "surrogateescape"))
    data = context.newline.encode().join(pieces)
    encoding = (_raw_header(part, "content-transfer-encoding") or "").strip().lower()
    # RFC 2046 forbids encoding message/rfc822, but some mailers do; the parser then
    # sees the encoded text as a body, so it is decoded here.
    try:
        if encoding == "base64":
            return _lenient_base64(data)
        if encoding == "quoted-printable":
            return quopri.decodestring(data)
    except (ValueError, binascii.Error) as error:
        context.defect(f"enclosed message: undecodable {encoding}: {_describe(error)}")
    return data


def _lenient_base64(encoded: bytes) -> bytes:
    letters = re.sub(rb"[^A-Za-z0-9+/]", b"", encoded)
    if len(letters) % 4 == 1:
        letters = letters[:-1]  # a lone sixth of a byte decodes to nothing
    try:
        return base64.b64decode(letters + b"=" * (-len(letters) % 4))
    except (ValueError, binascii.Error):
        return encoded


def _collect_defects(message: Message, context: _Context) -> None:
    """The standard library's defects of the message and of every part, enclosed ones too."""
    pending: list[tuple[Message, int]] = [(message, 0)]
    while pending:
        part, depth = pending.pop()
        where = "message" if depth == 0 else f"{_safe_content_type(part)} part"
        for defect in getattr(part, "defects", ()):
            context.defect(f"{where}: {_defect_text(defect)}")
        payload = part.get_payload()
        encoding = (_raw_header(part, "content-transfer-encoding") or "").strip().lower()
        encoded = encoding in _BODY_ENCODINGS
        # An encoded message/rfc822 was parsed as if it were plain: its "defects" are noise.
        if isinstance(payload, list) and depth < MAX_NESTING and not encoded:
            pending.extend(
                (child, depth + 1) for child in reversed(payload) if isinstance(child, Message)
            )


def _deeper_than(message: Message, limit: int) -> bool:
    pending: list[tuple[Message, int]] = [(message, 0)]
    while pending:
        part, depth = pending.pop()
        if depth > limit:
            return True
        payload = part.get_payload()
        if isinstance(payload, list):
            pending.extend((child, depth + 1) for child in payload if isinstance(child, Message))
    return False


def _raw_header(part: Message, name: str) -> str | None:
    """A header's source text, read without the parsers that may raise on it."""
    for key, value in part.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def _safe_content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "unreadable"


def _defect_text(defect: MessageDefect) -> str:
    name = type(defect).__name__.removesuffix("Defect")
    words = _CAMEL_WORDS.sub(" ", name).lower()
    detail = str(defect)
    return f"{words} ({detail})" if detail and detail.lower() != words else words


# -- small text helpers ----------------------------------------------------------------------


def _decode_words(text: str) -> str:
    """Encoded-words decoded leniently (unknown charsets and bad base64 become U+FFFD)."""
    if "=?" not in text:
        return text
    try:
        return str(_UNSTRUCTURED("x", _unfold(text)))
    except Exception:
        return text


def _unfold(value: str) -> str:
    return "".join(_LINE_BREAKS.split(value))


def _single_line(text: str) -> str:
    text = _FOLDED_BREAKS.sub(" ", text).replace("\t", " ")
    return _CONTROL_CHARACTERS.sub("", text)


def _normalize_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= character <= "\udfff" for character in text)


def _title(name: str) -> str:
    return "-".join(piece.capitalize() for piece in name.split("-")).replace("Id", "ID")


def _describe(error: BaseException) -> str:
    detail = str(error)[:200]
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
