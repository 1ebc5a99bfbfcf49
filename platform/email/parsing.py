"""Parsing raw MIME with the standard library into what Compound stores and agents read."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime

from compound.platform.email.mime_walk import (
    FORWARDED_FILENAME,
    MAX_NESTING,
    MessageBody,
    ParsedAttachment,
    collect_defects,
    deeper_than,
)
from compound.platform.email.parse_context import (
    ANGLE_ID,
    LINE_BREAKS,
    MAX_DEFECTS,
    MAX_HEADER_CHARACTERS,
    PARSING_POLICY,
    UNSTRUCTURED,
    ParseContext,
    decode_eight_bit,
    decode_words,
    describe_error,
    normalize_lines,
    read_message_id,
    single_line,
    unfold,
)
from compound.platform.email.part_limit import DEFAULT_MAX_PARTS, parts_left_out
from compound.platform.errors import ValidationFailed

__all__ = [
    "EARLIEST_PLAUSIBLE_DATE",
    "FORWARDED_FILENAME",
    "FUTURE_DATE_TOLERANCE",
    "MAX_ADDRESSES_PER_HEADER",
    "MAX_ADDRESS_CHARACTERS",
    "MAX_ADDRESS_HEADER_CHARACTERS",
    "MAX_CONTENT_HEADER_CHARACTERS",
    "MAX_DEFECTS",
    "MAX_HEADERS",
    "MAX_HEADER_CHARACTERS",
    "MAX_NESTING",
    "MAX_SUBJECT_CHARACTERS",
    "Address",
    "ParsedAttachment",
    "ParsedMessage",
    "UnparseableMessage",
    "parse_message",
]


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
MAX_SUBJECT_CHARACTERS = 2_000
MAX_ADDRESSES_PER_HEADER = 1_000
MAX_ADDRESS_HEADER_CHARACTERS = 200_000
MAX_ADDRESS_CHARACTERS = 1_000
# The standard library re-parses Content-* headers each time it reads one, slowly for huge
# ones; no real Content-* header comes near this.
MAX_CONTENT_HEADER_CHARACTERS = 8_192
EARLIEST_PLAUSIBLE_DATE = datetime(1980, 1, 1, tzinfo=UTC)
FUTURE_DATE_TOLERANCE = timedelta(days=2)

_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\r?\n)+")
_HEADER_BLOCK_END = re.compile(rb"\r?\n\r?\n")
_BLANK_BEFORE_COLON = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
# A Content-* header with its continuation lines, anywhere (parts have headers too).
_CONTENT_HEADER = re.compile(rb"(?im)^content-[a-z0-9-]*[ \t]*:(?:[^\r\n]|\r?\n[ \t])*")
_JUNK_SEARCH_LINES = 20
_JUNK_SEARCH_BYTES = 8_192
_BARE_IDS = re.compile(r"[^\s<>,]+")
_ADDR_SPEC = re.compile(
    r'^(?:"[^"]*"|[^\s"@<>()\[\],;:\\]+)@(?:\[[^\]\s]+\]|[^\s"@<>()\[\],;:\\]+)$'
)
_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+)\s*>")
_BARE_ADDRESS = re.compile(r"[^\s<>()\",;:@]+@[^\s<>()\",;:@]+")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def parse_message(raw: bytes, *, max_parts: int = DEFAULT_MAX_PARTS) -> ParsedMessage:
    """Parse `raw`; never raises for a damaged message (defects are listed instead), only
    UnparseableMessage when nothing at all can be read. Only its first `max_parts` MIME parts
    are read; past them, a defect says how many there were."""
    context = ParseContext(max_parts=max_parts)
    prepared = _prepare(raw, context)
    problem: str | None = None
    try:
        message: Message = context.first_parts(prepared)
        if deeper_than(message, MAX_NESTING):
            # Walking it (or writing a part of it back) would exhaust the stack.
            problem = f"nesting deeper than {MAX_NESTING}"
    except Exception as error:
        problem = describe_error(error)
    if problem is not None:
        # The MIME structure defeated the parser (deep nesting): headers and body as text.
        context.defect(f"MIME structure unreadable, body kept as text: {problem}")
        context.parts_total = None  # the body is kept whole, as text
        try:
            message = BytesHeaderParser(policy=PARSING_POLICY).parsebytes(prepared)
        except Exception:
            return _read_minimal(prepared, context)
    if not message.keys():
        message = _parse_after_leading_junk(prepared, context)
    try:
        return _read(message, context)
    except Exception as error:
        # A bug or a stdlib failure on an input nobody foresaw: keep what can be read safely.
        context.defect(f"message only partly readable: {describe_error(error)}")
        return _read_minimal(prepared, context)


def _parse_after_leading_junk(prepared: bytes, context: ParseContext) -> Message:
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
                message = BytesHeaderParser(policy=PARSING_POLICY).parsebytes(prepared[offset:])
            if message.keys():
                return message
            break
        offset += len(line)
    raise UnparseableMessage(
        'no header block: the message does not start with "Name: value" header lines'
    )


def _prepare(raw: bytes, context: ParseContext) -> bytes:
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


def _cap_content_headers(raw: bytes, context: ParseContext) -> bytes:
    if len(raw) <= MAX_CONTENT_HEADER_CHARACTERS:
        return raw

    def cap(found: re.Match[bytes]) -> bytes:
        header = found.group(0)
        if len(header) <= MAX_CONTENT_HEADER_CHARACTERS:
            return header
        context.defect(f"a {len(header):,}-byte Content header cut to its start")
        return header[:MAX_CONTENT_HEADER_CHARACTERS]

    return _CONTENT_HEADER.sub(cap, raw)


def _tidy_header_names(raw: bytes, context: ParseContext) -> bytes:
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


def _read(message: Message, context: ParseContext) -> ParsedMessage:
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
    body = MessageBody(context)
    context.attempt(lambda: body.read(message), None, "body structure unreadable")
    text, html = body.text(), body.html()
    # Last: decoding the parts above is what reveals bad base64 and quoted-printable.
    collect_defects(message, context)
    return _finish(
        ParsedMessage(
            message_id=read_message_id(first("message-id"), context),
            in_reply_to=read_message_id(first("in-reply-to"), context),
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


def _finish(parsed: ParsedMessage, context: ParseContext) -> ParsedMessage:
    if context.nul_removed:
        context.defect("NUL characters removed (a database cannot store them)")
    if context.parts_total is not None:
        # First, so that no list of defects cut short for display hides it.
        context.defects.insert(0, parts_left_out(context.max_parts, context.parts_total))
    return replace(parsed, defects=tuple(context.defects))


def _read_minimal(prepared: bytes, context: ParseContext) -> ParsedMessage:
    """Headers as written and the body as text, read without the email package."""
    separator = re.search(rb"\r?\n\r?\n", prepared)
    head = prepared[: separator.start()] if separator else prepared
    body = prepared[separator.end() :] if separator else b""
    headers: list[tuple[str, str]] = []
    for line in LINE_BREAKS.split(head.decode("utf-8", "replace")):
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
            subject=" ".join(single_line(subject).split())[:MAX_SUBJECT_CHARACTERS],
            date=None,
            text=context.clean(normalize_lines(body.decode("utf-8", "replace"))),
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


def _header_text(name: str, raw_value: str, context: ParseContext) -> str:
    """The decoded, unfolded value of one header; as written when it cannot be decoded."""
    value = unfold(decode_eight_bit(raw_value, name, context))[: MAX_HEADER_CHARACTERS * 4]
    try:
        decoded = str(UNSTRUCTURED(name, value))
    except Exception as error:
        context.defect(f"{name}: unreadable header, kept as written: {describe_error(error)}")
        decoded = value
    return context.clean(decoded)


def _subject(raw_value: str, context: ParseContext) -> str:
    decoded = _header_text("Subject", raw_value, context)
    # Folding leaves runs of blanks ("about the\r\n  robots"); a subject is one line of words.
    return " ".join(single_line(decoded).split())[:MAX_SUBJECT_CHARACTERS]


def _references(raw_value: str, context: ParseContext) -> tuple[str, ...]:
    value = context.clean(unfold(decode_eight_bit(raw_value, "References", context)))
    bracketed = [re.sub(r"\s+", "", found) for found in ANGLE_ID.findall(value)]
    found = [item for item in bracketed if item] if bracketed else _BARE_IDS.findall(value)
    return tuple(item[:MAX_HEADER_CHARACTERS] for item in found[:MAX_HEADERS])


def _date(raw_value: str, context: ParseContext) -> datetime | None:
    value = single_line(context.clean(unfold(decode_eight_bit(raw_value, "Date", context)))).strip()
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


def _addresses(name: str, raw_value: str | None, context: ParseContext) -> tuple[Address, ...]:
    if raw_value is None:
        return ()
    value = context.clean(unfold(decode_eight_bit(raw_value, name, context)))
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


def _address(token: str, header: str, context: ParseContext) -> Address | None:
    if len(token) > MAX_ADDRESS_CHARACTERS:
        # No real address is this long, and the parsers below slow down badly on it.
        written = single_line(token)[:MAX_HEADER_CHARACTERS]
        context.defect(f"{header}: invalid address kept as written ({written[:100]})")
        return Address(address=written, name=None, valid=False)
    try:
        parsed = PARSING_POLICY.header_factory("to", token)
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
            return Address(address=spec.lower(), name=_name(decode_words(rest), context))
    written = single_line(decode_words(token)).strip()
    if not written:
        return None
    context.defect(f"{header}: invalid address kept as written ({written[:100]})")
    return Address(address=written, name=None, valid=False)


def _single(matches: Iterable[re.Match[str]]) -> re.Match[str] | None:
    found = list(matches)
    return found[0] if len(found) == 1 else None


def _name(display_name: str | None, context: ParseContext) -> str | None:
    if not display_name:
        return None
    cleaned = single_line(context.clean(display_name)).strip().strip('"').strip()
    return cleaned or None


# -- body and attachments ------------------------------------------------------------------


def _title(name: str) -> str:
    return "-".join(piece.capitalize() for piece in name.split("-")).replace("Id", "ID")
