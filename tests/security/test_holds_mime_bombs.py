"""What holds: MIME bombs other than a flood of parts (that one is finding 9's). Mail built to
make the parser, the database or the pages do far more work than its size — nesting
thousands deep, one huge header, a hundred thousand headers, a subject of encoded words, an
address list of a hundred thousand, endless RFC 2231 continuations, near-miss boundaries, a
gzip bomb attachment, a body with no line break, HTML nested a hundred thousand deep, a
quote chain ten thousand deep — is posted to /ingest/email, processed as the worker does,
then read on its conversation page and over GraphQL. Each step finishes within a time
budget, what is stored stays within the parser's caps, and nothing is inflated."""

from __future__ import annotations

import base64
import gzip
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import text

from compound.platform.email.parsing import (
    MAX_DEFECTS,
    MAX_HEADER_CHARACTERS,
    MAX_HEADERS,
    MAX_SUBJECT_CHARACTERS,
)
from tests.conftest import EmbeddedServer
from tests.security.compound_site import Browser, Site, open_site

SECONDS = 30.0
"""Per step (ingest, processing, page, GraphQL), on a loaded two-core box; the bombs' cost
is quadratic or worse when a cap is missing, minutes rather than seconds."""
HEAD = (
    "From: Bomb <bomb@outside.example>\r\n"
    "To: hello@compound.localhost\r\n"
    "Date: Mon, 06 Jan 2025 10:00:00 +0000\r\n"
)


def simple(headers: str, body: str, *, subject: str = "A bomb") -> bytes:
    return (HEAD + f"Subject: {subject}\r\n" + headers + "\r\n" + body).encode()


def nested_multipart(levels: int = 3_000) -> bytes:
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'
        for level in range(levels)
    )
    return simple("MIME-Version: 1.0\r\n" + opening, "The bottom.\r\n")


def nested_messages(levels: int = 500) -> bytes:
    inner = "Content-Type: text/plain\r\n\r\nThe bottom.\r\n"
    for level in range(levels):
        inner = f"Content-Type: message/rfc822\r\n\r\nSubject: level {level}\r\n{inner}"
    return simple("MIME-Version: 1.0\r\n", "", subject="Nested").replace(
        b"MIME-Version: 1.0\r\n\r\n", b"MIME-Version: 1.0\r\n" + inner.encode()
    )


def one_huge_header() -> bytes:
    return simple("X-Huge: " + "x" * 3_000_000 + "\r\n", "Hello.\r\n")


def many_headers() -> bytes:
    return simple("".join(f"X-H{number}: {number}\r\n" for number in range(150_000)), "Hi.\r\n")


def encoded_word_subject() -> bytes:
    words = " ".join("=?utf-8?b?w6k=?=" for _ in range(100_000))
    return simple("", "Hello.\r\n", subject=words)


def folded_subject() -> bytes:
    return simple("", "Hello.\r\n", subject="\r\n ".join(["word"] * 200_000))


def address_flood() -> bytes:
    addresses = ", ".join(f"p{number}@flood.example" for number in range(100_000))
    return simple(f"Cc: {addresses}\r\nReply-To: {addresses}\r\n", "Hello.\r\n")


def parameter_continuations() -> bytes:
    parameters = "".join(f";\r\n name*{number}*=x" for number in range(20_000))
    return simple(
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n',
        "--b\r\n"
        f"Content-Type: application/octet-stream{parameters}\r\n"
        f"Content-Disposition: attachment{parameters.replace('name', 'filename')}\r\n"
        "\r\nxyz\r\n--b--\r\n",
    )


def near_miss_boundaries() -> bytes:
    lines = "".join(f"--boundar{number % 10}\r\n" for number in range(200_000))
    return simple(
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="boundary"\r\n',
        "--boundary\r\nContent-Type: text/plain\r\n\r\n" + lines + "--boundary--\r\n",
    )


def gzip_bomb() -> bytes:
    bomb = gzip.compress(b"\0" * 200_000_000, compresslevel=9)
    encoded = base64.encodebytes(bomb).decode().replace("\n", "\r\n")
    return simple(
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n',
        "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        "--b\r\nContent-Type: application/gzip\r\nContent-Encoding: gzip\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="zeros.gz"\r\n\r\n' + encoded + "--b--\r\n",
    )


def one_line_body() -> bytes:
    return simple("", "word " * 1_000_000)


def nested_html() -> bytes:
    depth = 100_000
    return simple(
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n",
        "<div>" * depth + "deep" + "</div>" * depth + "\r\n",
    )


def quote_chain() -> bytes:
    body = "".join(">" * depth + " said\r\n" for depth in range(1, 2_000)) + (">" * 10_000) + "\r\n"
    return simple("", "My answer.\r\n\r\nOn Monday someone wrote:\r\n" + body)


BOMBS: dict[str, Callable[[], bytes]] = {
    "nested multipart": nested_multipart,
    "nested messages": nested_messages,
    "one huge header": one_huge_header,
    "many headers": many_headers,
    "encoded-word subject": encoded_word_subject,
    "folded subject": folded_subject,
    "address flood": address_flood,
    "parameter continuations": parameter_continuations,
    "near-miss boundaries": near_miss_boundaries,
    "gzip bomb": gzip_bomb,
    "one-line body": one_line_body,
    "nested html": nested_html,
    "quote chain": quote_chain,
}
MESSAGE = """query($id: ID!) { message(id: $id) {
  state subject defects textBody newText quotedText headers { name value }
  attachments { filename size } to cc replyTo participants { address } } }"""


@pytest.fixture(scope="module")
async def site(embedded_server: EmbeddedServer) -> AsyncIterator[Site]:
    opened = await open_site(embedded_server, "holds_mime_bombs")
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
async def reader(site: Site) -> Browser:
    return await site.signed_in("viewer")


def timed(started: float, step: str) -> None:
    spent = time.monotonic() - started
    assert spent < SECONDS, f"{step} took {spent:.1f} s"


@pytest.mark.parametrize("bomb", sorted(BOMBS))
async def test_a_mime_bomb_costs_no_more_than_its_size(
    site: Site, reader: Browser, bomb: str
) -> None:
    raw = BOMBS[bomb]()
    assert len(raw) < site.settings.mail_max_bytes, "the bomb must fit the size limit"

    started = time.monotonic()
    message_id = await site.ingest(raw)  # posted, then processed as the worker does
    timed(started, "ingesting and processing")

    async with site.database.engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT state, conversation_id, length(subject), "
                    "(SELECT count(*) FROM attachment a WHERE a.message_id = m.id), "
                    "(SELECT coalesce(sum(length(a.content)), 0) FROM attachment a "
                    " WHERE a.message_id = m.id), "
                    "length(coalesce(text_body, '')) "
                    "FROM message m WHERE id = :id"
                ),
                {"id": message_id},
            )
        ).one()
    state, conversation_id, subject_length, attachments, attachment_bytes, text_length = row
    assert state in ("processed", "unparseable"), state
    assert (subject_length or 0) <= MAX_SUBJECT_CHARACTERS
    assert attachment_bytes <= len(raw), "an attachment was inflated"
    assert text_length <= len(raw)

    started = time.monotonic()
    body = await site.execute(MESSAGE, {"id": str(message_id)}, token=site.tokens["read_only"])
    timed(started, "reading it over GraphQL")
    message: dict[str, Any] = body["message"]
    assert len(message["headers"]) <= MAX_HEADERS
    assert all(len(header["value"]) <= MAX_HEADER_CHARACTERS for header in message["headers"])
    assert len(message["defects"]) <= MAX_DEFECTS
    assert len(message["subject"]) <= MAX_SUBJECT_CHARACTERS

    if conversation_id is not None:
        started = time.monotonic()
        page = await reader.client.get(f"/conversations/{conversation_id}")
        timed(started, "the conversation page")
        assert page.status_code == 200, page.text[:2000]
        assert len(page.content) <= 3 * len(raw) + 200_000, "the page is far bigger than the mail"
    assert attachments <= 500
