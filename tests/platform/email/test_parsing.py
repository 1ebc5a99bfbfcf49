"""Parsing raw MIME: third-party messages with their answer keys, Compound's own corpus of
real-world-shaped mail, and generated malformed MIME that must never crash the parser."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compound.platform.email import parsing
from compound.platform.email.html_text import html_to_text
from compound.platform.email.parsing import (
    MAX_HEADER_CHARACTERS,
    MAX_HEADERS,
    MAX_SUBJECT_CHARACTERS,
    ParsedMessage,
    UnparseableMessage,
    parse_message,
)

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
STALWART = REPOSITORY_ROOT.parent / "shared" / "corpora" / "email" / "stalwart"
STALWART_MESSAGES = sorted(STALWART.glob("*/*.eml"))
CORPUS = REPOSITORY_ROOT / "tests" / "corpora" / "email"
ANSWER_KEY: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())


@functools.cache
def load_generator() -> ModuleType:
    """The corpus generator, a script rather than a package: loaded from its file."""
    name = "compound_tests_email_corpus"
    spec = importlib.util.spec_from_file_location(name, CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def strings_in(parsed: ParsedMessage) -> Iterator[str]:
    """Every string a parse returns, i.e. everything that goes into a Postgres text column."""
    yield parsed.subject
    yield parsed.text
    yield from (parsed.html or "", parsed.message_id or "", parsed.in_reply_to or "")
    yield from parsed.references
    addresses = [parsed.from_address] if parsed.from_address else []
    for address in [*addresses, *parsed.reply_to, *parsed.to, *parsed.cc]:
        yield address.address
        yield address.name or ""
    for name, value in parsed.headers:
        yield name
        yield value
    yield from parsed.defects
    for attachment in parsed.attachments:
        yield from (attachment.filename or "", attachment.content_type, attachment.content_id or "")


def assert_storable(parsed: ParsedMessage) -> None:
    for text in strings_in(parsed):
        assert "\x00" not in text
        text.encode("utf-8")  # raises on unpaired surrogates, which Postgres cannot take


def squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\x00", "")).strip()


# -- the stalwart corpus (third-party messages with answer keys) ---------------------------

# Every stalwart message parses; none is hopeless (malformed/019's "Fro :" first header is
# RFC 5322 obsolete syntax, which the parser tidies). Where the answer key follows stalwart's
# own reading of a broken or unusual structure, the check that differs is skipped here, with
# the reason:
STALWART_DIFFERENCES: dict[str, dict[str, str]] = {
    # Dovecot's boundary torture tests: the standard library and stalwart split nested,
    # unterminated or prefix-sharing boundaries differently. Nothing is lost either way
    # (see test_stalwart_message_loses_no_text), but which part is "body" and which an
    # "attachment" differs.
    "malformed/001": {"attachments": "an empty headerless part counts as a file for stalwart"},
    "malformed/002": {
        "attachments": "stalwart files a boundary-less multipart; we read it as text"
    },
    "malformed/003": {"attachments": "same boundary reused inside: stalwart files the text part"},
    "malformed/004": {"attachments": "unmatched inner boundaries: stalwart files the text part"},
    "malformed/005": {"text": "boundary 'a--' closes at '--a----' for the standard library"},
    "malformed/006": {"attachments": "unterminated nesting: stalwart files the text part"},
    "malformed/007": {"attachments": "an empty headerless part counts as a file for stalwart"},
    "malformed/008": {"attachments": "stalwart files the trailing text/html part"},
    "malformed/009": {"attachments": "stalwart files the last text part"},
    "malformed/011": {"attachments": "stalwart files the last text part"},
    "malformed/012": {"attachments": "we find all three message/rfc822 parts, stalwart two"},
    "malformed/016": {"attachments": "stalwart files the last of four text parts"},
    # A Content-Type header repeated without a blank line: the standard library keeps the
    # first (multipart/alternative), so "Plain Text" lands in its preamble.
    "malformed/020": {"text": "the plain text sits in a preamble for the standard library"},
    "malformed/021": {"text": "the plain text sits in a preamble for the standard library"},
    # Invalid base64: the decoders differ on what garbage after the padding becomes.
    "thirdparty/002": {"attachments": "stalwart files a part whose base64 it cannot decode"},
    # The inner messages' multipart/alternative boundaries are declared but never used;
    # stalwart then swallows the following message/rfc822 parts into the first.
    "thirdparty/015": {"attachments": "we find the three attached messages, stalwart one"},
}
# Converting the test files to CRLF corrupts binary UTF-16 bodies; the crlf answer key
# records the corrupted text.
STALWART_CRLF_DIFFERENCES: dict[str, dict[str, str]] = {
    "thirdparty/005": {"text": "UTF-16 bytes changed by the LF→CRLF conversion"},
}


def stalwart_cases() -> list[Any]:
    return [
        pytest.param(path, variant, id=f"{path.parent.name}/{path.stem}-{variant}")
        for path in STALWART_MESSAGES
        for variant in ("lf", "crlf")
    ]


def header_value(part: dict[str, Any], name: str) -> Any:
    for header in part["headers"]:
        if header["name"] == name:
            return header["value"]
    return None


def test_the_stalwart_corpus_is_beside_the_checkout() -> None:
    assert len(STALWART_MESSAGES) == 53, f"expected the stalwart corpus in {STALWART}"


@pytest.mark.parametrize(("path", "variant"), stalwart_cases())
def test_stalwart_message_agrees_with_its_answer_key(path: Path, variant: str) -> None:
    raw = path.read_bytes()
    if variant == "crlf":
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    key = json.loads(path.with_suffix(".crlf.json" if variant == "crlf" else ".json").read_text())
    name = f"{path.parent.name}/{path.stem}"
    skipped = {**STALWART_DIFFERENCES.get(name, {})}
    if variant == "crlf":
        skipped.update(STALWART_CRLF_DIFFERENCES.get(name, {}))

    parsed = parse_message(raw)

    assert_storable(parsed)
    root = key["parts"][0]
    subject = header_value(root, "subject")
    if subject and "Text" in subject:
        assert parsed.subject == squeezed(subject["Text"])
    for header, ours in (
        ("from", [parsed.from_address] if parsed.from_address else []),
        ("to", list(parsed.to)),
    ):
        value = header_value(root, header)
        if not value or "Address" not in value:
            continue
        expected = value["Address"].get("List") or []
        if header == "from":
            expected = expected[:1]  # we keep the first author
        assert len(ours) == len(expected)
        for address, entry in zip(ours, expected, strict=True):
            if entry["address"] and "@" in entry["address"]:
                assert address.address == entry["address"].lower() and address.valid
            else:
                # No usable address: stalwart splits name and remainder, we keep it as written.
                assert not address.valid
                assert (entry["address"] or entry["name"]) in address.address
    if "text" not in skipped:
        for index in key["text_body"]:
            body = key["parts"][index]["body"]
            if "Text" in body:
                # Up to the first undecodable byte: decoders replace bad bytes differently.
                expected_text = squeezed(body["Text"]).split("\ufffd")[0].strip()
                assert expected_text in squeezed(parsed.text)
    if "attachments" not in skipped:
        assert len(parsed.attachments) == len(key["attachments"])


def text_bodies(key: dict[str, Any]) -> Iterator[str]:
    for part in key["parts"]:
        content_type = header_value(part, "content_type")
        textual = not content_type or content_type["ContentType"]["c_type"] == "text"
        if "Text" in part["body"] and textual:
            yield part["body"]["Text"]
        if "Message" in part["body"]:
            yield from text_bodies(part["body"]["Message"])


MIME_STRUCTURE_LINE = re.compile(r"^(--\S*|[A-Za-z-]+:.*)$")


@pytest.mark.parametrize(
    "path", STALWART_MESSAGES, ids=lambda path: f"{path.parent.name}/{path.stem}"
)
def test_stalwart_message_loses_no_text(path: Path) -> None:
    name = f"{path.parent.name}/{path.stem}"
    key = json.loads(path.with_suffix(".json").read_text())

    parsed = parse_message(path.read_bytes())

    found = squeezed(
        " ".join(
            [
                parsed.text,
                parsed.html or "",
                *(part.content.decode("utf-8", "replace") for part in parsed.attachments),
            ]
        )
    )
    missing = []
    for body in text_bodies(key):
        for line in body.replace("\r", "\n").split("\n"):
            # Where stalwart saw no boundary, its text holds boundary and header lines that
            # we read as structure: only the words people wrote are compared.
            line = squeezed(line).split("\ufffd")[0].strip()
            if line and not MIME_STRUCTURE_LINE.match(line) and line not in found:
                missing.append(line)
    if name in ("malformed/005", "malformed/020"):
        # Text the standard library reads as outside every part is not shown, but named.
        assert any("outside its parts ignored" in defect for defect in parsed.defects)
    elif name == "thirdparty/002":
        assert missing == ["?garbage"]  # invalid base64, decoded (to noise) rather than kept
    else:
        assert missing == []


# -- Compound's corpus ------------------------------------------------------------------------


def check_against_answer_key(parsed: ParsedMessage, expected: dict[str, Any]) -> None:
    assert_storable(parsed)
    if expected["from"] is None:
        assert parsed.from_address is None
    else:
        assert parsed.from_address is not None
        assert parsed.from_address.address == expected["from"]
        assert parsed.from_address.valid == expected.get("sender_valid", True)
        if "sender_name" in expected:
            assert parsed.from_address.name == expected["sender_name"]
    assert parsed.subject == expected["subject"]
    if expected["phrase"]:
        assert expected["phrase"] in parsed.text
    else:
        assert parsed.text == ""
    for phrase in expected.get("also", []):
        assert phrase in parsed.text
    for absent in expected.get("text_lacks", []):
        assert absent not in parsed.text
    if "html" in expected:
        assert (parsed.html is not None) == expected["html"]
    assert len(parsed.attachments) == len(expected["attachments"])
    for attachment, wanted in zip(parsed.attachments, expected["attachments"], strict=True):
        assert attachment.filename == wanted["filename"]
        assert attachment.content_type == wanted["content_type"]
        if "size" in wanted:
            assert attachment.size == wanted["size"]
        if "inline" in wanted:
            assert attachment.inline == wanted["inline"]
        if wanted.get("content_id"):
            assert attachment.content_id == wanted["content_id"]
        if "contains" in wanted:
            assert wanted["contains"].encode() in attachment.content
    for word in expected["defects"]:
        assert any(word in defect for defect in parsed.defects), (word, parsed.defects)
    if expected["clean"]:
        assert parsed.defects == ()
    assert parsed.is_bulk == expected.get("is_bulk", False)
    assert parsed.auto_submitted == expected.get("auto_submitted", False)
    if "date" in expected:
        assert (parsed.date.isoformat() if parsed.date else None) == expected["date"]
    elif not any("Date" in defect for defect in parsed.defects):
        assert parsed.date is not None and parsed.date.tzinfo is not None
    if "message_id" in expected:
        assert parsed.message_id == expected["message_id"]
    if "in_reply_to" in expected:
        assert parsed.in_reply_to == expected["in_reply_to"]
    if "references" in expected:
        assert list(parsed.references) == expected["references"]
    if "to" in expected:
        assert [address.address for address in parsed.to] == expected["to"]
    if "to_valid" in expected:
        assert [address.valid for address in parsed.to] == expected["to_valid"]
    if "to_count" in expected:
        assert len(parsed.to) == expected["to_count"]
    if "cc" in expected:
        assert [address.address for address in parsed.cc] == expected["cc"]
    if "cc_names" in expected:
        assert [address.name for address in parsed.cc] == expected["cc_names"]
    if "reply_to" in expected:
        assert [address.address for address in parsed.reply_to] == expected["reply_to"]


def test_corpus_has_at_least_fifty_small_messages() -> None:
    files = sorted(CORPUS.glob("*.eml"))
    assert len(files) >= 50
    assert sorted(path.name for path in files) == sorted(ANSWER_KEY)
    assert sum(path.stat().st_size for path in files) < 2 * 1024 * 1024


def test_corpus_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    load_generator().write(tmp_path)
    for path in [*CORPUS.glob("*.eml"), CORPUS / "expected.json"]:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    assert {path.name for path in tmp_path.iterdir()} == {
        path.name for path in [*CORPUS.glob("*.eml"), CORPUS / "expected.json"]
    }


@pytest.mark.parametrize("name", sorted(ANSWER_KEY))
def test_corpus_message_matches_its_answer_key(name: str) -> None:
    parsed = parse_message((CORPUS / name).read_bytes())

    check_against_answer_key(parsed, ANSWER_KEY[name])


def test_a_ten_megabyte_attachment_is_kept_whole() -> None:
    raw, expected = load_generator().large_attachment_message()

    parsed = parse_message(raw)

    check_against_answer_key(parsed, expected)
    assert parsed.attachments[0].size == 10 * 1024 * 1024
    assert parsed.attachments[0].content[:256] == bytes(range(256))


# -- focused behaviour ----------------------------------------------------------------------


def simple(headers: str, body: str = "Hello.\n") -> bytes:
    return (headers.strip("\n") + "\n\n" + body).encode()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n\r\n",
        b"\x00\x01\x02binary\xff\xfe garbage",
        b"Just a line of text\nand another\n",
    ],
)
def test_bytes_without_a_header_block_are_unparseable(raw: bytes) -> None:
    with pytest.raises(UnparseableMessage) as caught:
        parse_message(raw)
    assert caught.value.code == "UNPARSEABLE_MESSAGE"


def test_a_junk_line_before_the_headers_is_skipped_not_fatal() -> None:
    parsed = parse_message(b"garbage line\nFrom: ana@x.example\nSubject: Hi\n\nBody\n")

    assert parsed.subject == "Hi" and parsed.text == "Body"
    assert "1 unreadable lines before the headers skipped" in parsed.defects


def test_identifiers_lose_their_angle_brackets_and_references_are_split() -> None:
    parsed = parse_message(
        simple(
            "From: a@x.example\nMessage-ID:  <id-1@x.example> \nIn-Reply-To: <id-0@x.example> (reply)\n"
            "References: <r1@x.example>\n\t<r2@x.example><r3@x.example>"
        )
    )

    assert parsed.message_id == "id-1@x.example"
    assert parsed.in_reply_to == "id-0@x.example"
    assert parsed.references == ("r1@x.example", "r2@x.example", "r3@x.example")


def test_valid_addresses_are_lower_cased_and_names_decoded() -> None:
    parsed = parse_message(simple('From: "=?utf-8?q?Zo=C3=AB?=" <Zoe@Example.COM>'))

    assert parsed.from_address is not None
    assert (parsed.from_address.address, parsed.from_address.name) == ("zoe@example.com", "Zoë")


def test_headers_are_kept_in_order_decoded_and_capped() -> None:
    many = "".join(f"X-Trace-{number}: {number}\n" for number in range(MAX_HEADERS + 20))
    huge = "x" * (MAX_HEADER_CHARACTERS * 2)
    parsed = parse_message(
        simple(f"From: a@x.example\nSubject: =?utf-8?b?w6k=?=\nX-Huge: {huge}\n{many}")
    )

    assert len(parsed.headers) == MAX_HEADERS
    assert parsed.headers[0] == ("From", "a@x.example")
    assert parsed.headers[1] == ("Subject", "é")
    assert len(parsed.headers[2][1]) == MAX_HEADER_CHARACTERS
    assert any("headers; only the first 500 kept" in defect for defect in parsed.defects)


def test_recipients_of_repeated_to_headers_are_all_kept() -> None:
    parsed = parse_message(simple("From: a@x.example\nTo: b@x.example\nTo: C <C@X.example>"))

    assert [address.address for address in parsed.to] == ["b@x.example", "c@x.example"]


def test_nesting_too_deep_for_the_standard_library_keeps_the_text() -> None:
    levels = 2_000
    raw = b"From: a@x.example\n" + b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (level, level)
        for level in range(levels)
    )
    raw += b"\nThe words at the bottom.\n"

    parsed = parse_message(raw)

    assert "The words at the bottom." in parsed.text
    assert any("MIME structure unreadable" in defect for defect in parsed.defects)


def test_a_failure_while_reading_still_keeps_headers_and_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*arguments: object) -> None:
        raise RuntimeError("an input nobody foresaw")

    monkeypatch.setattr(parsing, "_read", broken)

    parsed = parse_message(simple("From: a@x.example\nSubject: Still here", "Body text.\n"))

    assert parsed.subject == "Still here" and parsed.text == "Body text.\n"
    assert ("Subject", "Still here") in parsed.headers
    assert any("only partly readable" in defect for defect in parsed.defects)


def test_a_long_subject_is_cut() -> None:
    parsed = parse_message(simple(f"From: a@x.example\nSubject: {'word ' * 1000}"))

    assert len(parsed.subject) == MAX_SUBJECT_CHARACTERS


def test_attachment_bytes_survive_base64_exactly() -> None:
    payload = bytes(range(256)) * 3
    corpus = load_generator()
    raw = corpus.message(
        corpus.envelope(),
        corpus.multipart(
            "mixed",
            [
                corpus.text_part("See file.\n"),
                corpus.attachment("data.bin", "application/octet-stream", payload),
            ],
            "b",
        ),
    )

    parsed = parse_message(raw)

    assert parsed.attachments[0].content == payload


def test_only_the_html_body_becomes_the_text_when_there_is_no_plain_part() -> None:
    parsed = parse_message(
        simple(
            "From: a@x.example\nContent-Type: text/html; charset=utf-8",
            "<p>Hello <b>there</b></p><p>Second&nbsp;paragraph</p>",
        )
    )

    assert parsed.text == "Hello there\n\nSecond paragraph"
    assert parsed.html is not None and "<b>there</b>" in parsed.html


def test_html_to_text_keeps_structure_and_drops_markup() -> None:
    text = html_to_text(
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<h1>News</h1><p>One<br>Two</p><ul><li>A</li><li>B</li></ul>"
        '<p><a href="https://x.example/a">the deck</a> and <a href="https://x.example">x.example</a></p>'
        "<blockquote><p>quoted</p></blockquote><script>bad()</script></body></html>"
    )

    assert text == (
        "News\n\nOne\nTwo\n\n- A\n- B\n\nthe deck (https://x.example/a) and x.example\n\n> quoted"
    )


def test_html_to_text_caps_its_input() -> None:
    text = html_to_text("<p>" + "a" * 6_000_000 + "</p>")

    assert len(text) == 5_000_000 - len("<p>")


# -- generated malformed MIME ---------------------------------------------------------------

TRICKY_FRAGMENTS = [
    b"=?utf-8?b?w6k=?=",
    b"=?x-unknown?q?=FF=FE?=",
    b"=?utf-8?b?!!!?=",
    b"=?iso-8859-1?q?caf=E9?=",
    b'"unterminated',
    b"<a@b",
    b"a@b@c",
    b"(comment",
    b"\\",
    b",,;:",
    b"\x00",
    b"\xff\xfe\x80",
    "ü€".encode(),
    b"\r\n ",
    b"\n\t",
    b"Mon, 32 Foo 2024 25:61:61 +9999",
    b"Tue, 05 Mar 99999 09:14:00 +0100",
    b"multipart/mixed; boundary=",
    b'boundary="',
    b"charset=utf-16",
    b"filename*=utf-8''%ZZ%C3",
    b"name*0*=x; name*1=y",
    b"<>",
    b"undisclosed-recipients:;",
    b"group: a@b.example, <c@d.example>;",
]
HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Content-ID",
    "MIME-Version",
    "List-Id",
    "Auto-Submitted",
    "Precedence",
]
CONTENT_TYPES = [
    "text/plain",
    "text/html",
    "text/calendar",
    "application/pdf",
    "image/png",
    "message/rfc822",
    "application/octet-stream",
    "bogus",
    "",
    "text/plain; charset=",
    "multipart/mixed",
]
CHARSETS = ["utf-8", "koi8-r", "shift_jis", "utf-16", "x-unknown", "rot13", "base64", "zlib", ""]
ENCODINGS = ["base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "bogus", ""]

header_values = st.lists(
    st.sampled_from(TRICKY_FRAGMENTS) | st.binary(max_size=16), max_size=5
).map(b"".join)


@st.composite
def header_lines(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        choice = draw(st.integers(0, 9))
        if choice == 0:
            lines.append(draw(st.binary(max_size=20)))  # a line that may be no header at all
        elif choice == 1:
            lines.append(b" " + draw(header_values))  # a continuation
        else:
            name = draw(st.sampled_from(HEADER_NAMES) | st.from_regex(r"\A[!-9;-~]{1,10}\Z"))
            lines.append(name.encode() + b": " + draw(header_values))
    return b"\n".join(lines) + (b"\n" if lines else b"")


@st.composite
def entities(draw: st.DrawFn, depth: int = 0) -> bytes:
    kind = draw(st.sampled_from(["leaf", "multipart", "message"] if depth < 4 else ["leaf"]))
    if kind == "multipart":
        boundary = draw(st.sampled_from(["b", "b1", "=_x", "a--", "same"]))
        declared = draw(st.sampled_from([boundary, boundary, "other", ""]))
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "signed", "report"]))
        head = f'Content-Type: multipart/{subtype}; boundary="{declared}"\n'.encode()
        body = draw(st.binary(max_size=10))
        for child in draw(st.lists(entities(depth + 1), max_size=4)):
            body += b"\n--" + boundary.encode() + b"\n" + child
        if draw(st.booleans()):
            body += b"\n--" + boundary.encode() + b"--\n" + draw(st.binary(max_size=10))
        return head + draw(header_lines()) + b"\n" + body
    if kind == "message":
        return (
            b"Content-Type: message/rfc822\n\n"
            + draw(header_lines())
            + b"\n"
            + draw(entities(depth + 1))
        )
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    leaf_head = (
        f"Content-Type: {content_type}; charset={charset}\nContent-Transfer-Encoding: {encoding}\n"
    )
    body = draw(
        st.binary(max_size=60)
        | st.sampled_from(
            [
                b"aGVsbG8gd29ybGQ=\n",
                b"aGVsbG8!!!\n=\n",
                b"caf=E9 =ZZ=\n",
                b"begin 644 x\nbad\nend\n",
            ]
        )
    )
    return leaf_head.encode() + draw(header_lines()) + b"\n" + body


@st.composite
def malformed_messages(draw: st.DrawFn) -> bytes:
    raw = draw(header_lines()) + b"From: a@b.example\n" + draw(header_lines()) + draw(entities())
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]  # truncated in transit
    line_endings = draw(st.sampled_from(["lf", "crlf", "cr", "mixed"]))
    if line_endings == "crlf":
        raw = raw.replace(b"\n", b"\r\n")
    elif line_endings == "cr":
        raw = raw.replace(b"\n", b"\r")
    elif line_endings == "mixed":
        raw = raw.replace(b"\n\n", b"\r\n\n")
    return raw


GENERATED = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@GENERATED
@given(malformed_messages())
def test_generated_malformed_mime_never_crashes_and_stays_storable(raw: bytes) -> None:
    try:
        parsed = parse_message(raw)
    except UnparseableMessage:
        return
    assert_storable(parsed)


@GENERATED
@given(
    st.sampled_from([b"", b"From: a@b.example\n", b"Content-Type: multipart/mixed; boundary=x\n"]),
    st.binary(max_size=2_000),
)
def test_random_bytes_never_crash_the_parser(head: bytes, rest: bytes) -> None:
    raw = head + rest
    try:
        parsed = parse_message(raw)
    except UnparseableMessage:
        return
    assert_storable(parsed)
