"""Walking a parsed message's MIME tree: which parts are the text and HTML bodies and which
are attachments (the way JMAP chooses), what their bytes decode to, and the standard
library's defects of every part."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from dataclasses import dataclass, field, replace
from email import policy
from email.errors import InvalidBase64LengthDefect, MessageDefect
from email.generator import BytesGenerator
from email.message import Message
from io import BytesIO

from compound.platform.email.charsets import decode_text
from compound.platform.email.html_text import html_to_text
from compound.platform.email.parse_context import (
    PARSING_POLICY,
    ParseContext,
    decode_words,
    describe_error,
    normalize_lines,
    read_message_id,
    single_line,
)
from compound.platform.email.part_limit import count_parts, parse_first_parts


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


# Deeper MIME nesting than this is an attack or a loop, not mail.
MAX_NESTING = 60
FORWARDED_FILENAME = "forwarded.eml"

_BODY_TYPES = ("text/plain", "text/html")
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_BODY_ENCODINGS = ("base64", "quoted-printable")
_INLINE_MEDIA = ("image", "audio", "video")
_BOUNDARY_PARAMETER = re.compile(r"""boundary\s*=\s*(?:"([^"]+)"|([^\s;"]+))""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_CAMEL_WORDS = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass
class _Level:
    """One multipart being walked. Each walk gets its own: inside an alternative, a plain or
    HTML part stops the parts after it from joining the other body, and that stop must not
    reach the multipart above."""

    multipart_type: str
    in_alternative: bool
    """Whether this multipart is, or sits inside, a multipart/alternative."""
    text: list[Message] | None
    """Where inline parts join the text body; None once they no longer do."""
    html: list[Message] | None
    depth: int


def _share_alternatives(level: _Level, text_count: int, html_count: int) -> None:
    """An alternative that gave only a text or only an HTML version: it serves as the other,
    too. The counts are the lists' lengths before the alternative was walked."""
    if level.text is None or level.html is None:
        return
    if text_count == len(level.text) and html_count != len(level.html):
        level.text.extend(level.html[html_count:])
    if html_count == len(level.html) and text_count != len(level.text):
        level.html.extend(level.text[text_count:])


def _join_bodies(part: Message, content_type: str, level: _Level) -> None:
    if level.in_alternative:
        # Within an alternative, a plain part marks this branch as the text version: neither
        # it nor what follows it here joins the HTML body. An HTML part, the reverse.
        if content_type == "text/plain":
            level.html = None
        if content_type == "text/html":
            level.text = None
    if level.text is not None:
        level.text.append(part)
    if level.html is not None:
        level.html.append(part)


@dataclass
class MessageBody:
    """Body text, HTML and attachments chosen the way JMAP (RFC 8621 §4.1.4) chooses them."""

    context: ParseContext
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
        self._walk([message], _Level("mixed", False, self.text_parts, self.html_parts, depth=0))

    def _walk(self, parts: list[Message], level: _Level) -> None:
        text_count = len(level.text) if level.text is not None else -1
        html_count = len(level.html) if level.html is not None else -1
        for index, part in enumerate(parts):
            if self._walked >= self.context.max_parts:
                self.context.parts_over(self._walked + len(parts) - index)
                return
            self._walked += 1
            self._walk_part(part, index, level)
        if level.multipart_type == "alternative":
            _share_alternatives(level, text_count, html_count)

    def _walk_part(self, part: Message, index: int, level: _Level) -> None:
        content_type = self._content_type(part)
        if content_type.startswith("multipart/"):
            if isinstance(part.get_payload(), list):
                self._walk_multipart(part, content_type, level)
                return
            if self._recover_boundary(part):
                self._walked -= 1  # walked again below, as the multipart it turned out to be
                self._walk([part], replace(level, depth=level.depth + 1))
                return
            # A multipart without a usable boundary: its content is text someone wrote.
            content_type = "text/plain"
        self._place_single_part(part, content_type, index, level)

    def _walk_multipart(self, part: Message, content_type: str, level: _Level) -> None:
        subtype = content_type.partition("/")[2]
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        self._note_text_outside_parts(part, content_type)
        if level.depth >= MAX_NESTING:
            self.context.defect(f"MIME nesting deeper than {MAX_NESTING}; kept as a file")
            self._attach(part, content_type)
            return
        inner = _Level(
            subtype,
            level.in_alternative or subtype == "alternative",
            level.text,
            level.html,
            depth=level.depth + 1,
        )
        self._walk(children, inner)

    def _place_single_part(
        self, part: Message, content_type: str, index: int, level: _Level
    ) -> None:
        """A part that is not a multipart joins the text or HTML body, or both, when it is
        shown inline; otherwise it is an attachment. Inline media are both."""
        if not self._is_inline(part, content_type, index, level.multipart_type):
            self._attach(part, content_type)
            return
        if level.multipart_type == "alternative":
            self._place_alternative(part, content_type, level)
            return
        _join_bodies(part, content_type, level)
        if content_type.partition("/")[0] in _INLINE_MEDIA:
            self._attach(part, content_type)

    def _is_inline(self, part: Message, content_type: str, index: int, multipart_type: str) -> bool:
        # Both are read whatever the outcome: reading them is what records their defects.
        disposition = self.context.attempt(
            part.get_content_disposition, None, f"{content_type} part: bad Content-Disposition"
        )
        filename = self._filename(part)
        media = content_type.partition("/")[0] in _INLINE_MEDIA
        return (
            disposition != "attachment"
            and (content_type in _BODY_TYPES or media)
            and (index == 0 or (multipart_type != "related" and (media or not filename)))
            and not isinstance(part.get_payload(), list)
        )

    def _place_alternative(self, part: Message, content_type: str, level: _Level) -> None:
        if content_type == "text/plain" and level.text is not None:
            level.text.append(part)
        elif content_type == "text/html" and level.html is not None:
            level.html.append(part)
        else:
            self._attach(part, content_type)

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
            recovered = parse_first_parts(data, budget, PARSING_POLICY)
            children = recovered.root.get_payload()
            if not isinstance(children, list) or not children:
                return False
            if deeper_than(recovered.root, MAX_NESTING):
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
            name = decode_words(name)
        # A path in a name is never wanted: keep the last component only.
        name = re.split(r"[\\/]", single_line(self.context.clean(name)))[-1].strip()
        return name[:1_000] or None

    def _attach(self, part: Message, content_type: str) -> None:
        filename = self._filename(part)
        if filename is None and content_type in ("message/rfc822", "message/global"):
            filename = FORWARDED_FILENAME
        disposition = self.context.attempt(part.get_content_disposition, None, "bad disposition")
        content_id = read_message_id(_raw_header(part, "content-id"), self.context)
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
            self.context.defect(
                f"{content_type} part: undecodable content: {describe_error(error)}"
            )
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
            self._texts[key] = self.context.clean(normalize_lines(decoded))
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


def _serialize(part: Message, context: ParseContext) -> bytes:
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
            context.defect(f"enclosed message rewritten from its text: {describe_error(error)}")
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
        context.defect(f"enclosed message: undecodable {encoding}: {describe_error(error)}")
    return data


def _lenient_base64(encoded: bytes) -> bytes:
    letters = re.sub(rb"[^A-Za-z0-9+/]", b"", encoded)
    if len(letters) % 4 == 1:
        letters = letters[:-1]  # a lone sixth of a byte decodes to nothing
    try:
        return base64.b64decode(letters + b"=" * (-len(letters) % 4))
    except (ValueError, binascii.Error):
        return encoded


def collect_defects(message: Message, context: ParseContext) -> None:
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


def deeper_than(message: Message, limit: int) -> bool:
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
