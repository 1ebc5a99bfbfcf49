"""What holds: no SMTP header injection through what Compound sends. A colleague's mail comes
in over real SMTP (AUTH, Compound's own listener) with a subject that decodes to CR/LF (or
another line break), `Bcc:`, `Cc:` and a blank line; the triage agent acknowledges it by
mail through a real relay. The acknowledgement is delivered to the colleague alone (the
relay's envelope, not only the headers: aiosmtplib would strip a `Bcc` from what is kept),
its header block holds only the headers Compound writes, and the subject is one line."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from compound.platform.auth import service as auth
from compound.platform.config import get_settings
from compound.platform.email import processing
from compound.platform.email.smtp_server import IngressHandler, smtp_factory
from tests.conftest import EmbeddedServer, free_port
from tests.security.compound_site import PASSWORD, SETUP, Site, open_site

ATTACKER = "evil@attacker.example"
WRITTEN_BY_COMPOUND = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "auto-submitted",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


@dataclass
class Delivery:
    mail_from: str
    recipients: list[str]
    content: bytes


@dataclass
class RecordingRelay:
    """The outbound relay: keeps each delivery with its SMTP envelope."""

    deliveries: list[Delivery] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.deliveries.append(
            Delivery(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or b"")
        )
        return "250 2.0.0 Ok"


@pytest.fixture(scope="module")
def relay() -> Iterator[RecordingRelay]:
    recording = RecordingRelay()
    port = free_port()
    controller = Controller(recording, hostname="127.0.0.1", port=port)
    controller.start()
    previous = os.environ.get("COMPOUND_OUTBOUND_SMTP_PORT")
    os.environ["COMPOUND_OUTBOUND_SMTP_PORT"] = str(port)
    get_settings.cache_clear()
    yield recording
    controller.stop()
    if previous is None:
        os.environ.pop("COMPOUND_OUTBOUND_SMTP_PORT", None)
    else:
        os.environ["COMPOUND_OUTBOUND_SMTP_PORT"] = previous
    get_settings.cache_clear()


@dataclass
class Listener:
    site: Site
    port: int


async def listen(site: Site) -> tuple[asyncio.Server, int]:
    """Compound's SMTP listener (`compound smtp`'s handler and protocol) in this event loop,
    on the site's database, on a free loopback port."""
    handler = IngressHandler(site.settings, site.database)
    port = free_port()
    server = await asyncio.get_running_loop().create_server(
        lambda: smtp_factory(handler, site.settings, host="127.0.0.1", context=None),
        host="127.0.0.1",
        port=port,
    )
    return server, port


@pytest.fixture(scope="module")
async def listener(
    embedded_server: EmbeddedServer, relay: RecordingRelay
) -> AsyncIterator[Listener]:
    site = await open_site(embedded_server, "holds_smtp_headers")
    server, port = await listen(site)
    yield Listener(site, port)
    server.close()
    await server.wait_closed()
    await site.close()


async def colleague(site: Site) -> str:
    email = f"ana-{uuid.uuid4().hex[:8]}@compound.localhost"
    async with site.database.session() as session:
        await auth.create_user(session, SETUP, email=email, role="member", password=PASSWORD)
    return email


def raw_mail(sender: str, subject_header: str, from_name: str, message_id: str) -> bytes:
    return (
        f"From: {from_name} <{sender}>\r\n"
        f"To: hello@compound.localhost\r\n"
        f"Subject: {subject_header}\r\n"
        f"Message-ID: <{message_id}>\r\n"
        "Date: Mon, 06 Jan 2025 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Please have a look.\r\n"
    ).encode()


# Each decodes to a subject (and a sender's name) carrying a line break and new headers.
SUBJECTS = {
    "base64 CRLF": "=?utf-8?b?SGVsbG8NCkJjYzogZXZpbEBhdHRhY2tlci5leGFtcGxlDQpYLUluamVjdGVkOiB5ZXM=?=",
    "quoted-printable CRLF": "=?utf-8?q?Hello=0D=0ABcc:_evil@attacker.example=0D=0A=0D=0Abody?=",
    "bare LF": "=?utf-8?q?Hello=0ACc:_evil@attacker.example?=",
    "bare CR": "=?utf-8?q?Hello=0DBcc:_evil@attacker.example?=",
    "unicode separators": "Hello\u2028Bcc: evil@attacker.example\u0085Cc: evil@attacker.example",
    "folded": "Hello\r\n Bcc: evil@attacker.example",
    "NUL": "=?utf-8?q?Hello=00=0D=0ABcc:_evil@attacker.example?=",
}
FROM_NAME = "Ana Lima"
"""A display name that decodes to a line break makes the From unreadable, and the mail no
colleague's (nothing is acknowledged); Compound writes no display name into what it sends."""


async def submit(listener: Listener, sender: str, raw: bytes) -> None:
    """Over SMTP with AUTH as the colleague: the way their own mail counts as theirs."""
    await aiosmtplib.send(
        raw,
        sender=sender,
        recipients=["hello@compound.localhost"],
        hostname="127.0.0.1",
        port=listener.port,
        username=sender,
        password=PASSWORD,
        start_tls=False,
        timeout=30,
    )


def header_lines(content: bytes) -> list[str]:
    head = content.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    return head.split("\n")


@pytest.mark.parametrize("case", sorted(SUBJECTS))
async def test_a_subject_from_mail_never_becomes_a_header_of_what_compound_sends(
    listener: Listener, relay: RecordingRelay, case: str
) -> None:
    site = listener.site
    sender = await colleague(site)
    message_id = f"{uuid.uuid4().hex}@colleague.example"
    delivered = len(relay.deliveries)

    await submit(listener, sender, raw_mail(sender, SUBJECTS[case], FROM_NAME, message_id))
    async with site.database.engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT id FROM message WHERE internet_message_id = :id"), {"id": message_id}
        )
    assert stored is not None, "the listener did not keep the message"
    async with site.database.session() as session:
        message = await processing.process_message(session, stored, settings=site.settings)
        assert message is not None and message.sender_authenticated
        subject = message.subject
    await site.drive()

    deliveries = relay.deliveries[delivered:]
    for delivery in deliveries:
        assert delivery.recipients == [sender], f"delivered to {delivery.recipients}"
        assert ATTACKER.encode() not in b"".join(
            line.encode()
            for line in header_lines(delivery.content)
            if not line.lower().startswith("subject")
        )
        for line in header_lines(delivery.content):
            if line[:1] in (" ", "\t"):
                continue  # a folded continuation of the header above
            name = line.split(":", 1)[0].strip().lower()
            assert name in WRITTEN_BY_COMPOUND, f"a header Compound does not write: {line!r}"
        sent = message_from_bytes(delivery.content, policy=default)
        assert sent["Bcc"] is None and sent["Cc"] is None and sent["X-Injected"] is None
        assert "\n" not in str(sent["Subject"]) and "\r" not in str(sent["Subject"])
    if "\x00" in subject or case == "NUL":
        return  # refused before anything was written, or sent without the NUL: both hold
    assert deliveries, "no acknowledgement was sent: the check above proved nothing"
    acknowledgement = message_from_bytes(deliveries[-1].content, policy=default)
    assert "Bcc: evil@attacker.example" in str(acknowledgement["Subject"]) or (
        "Cc: evil@attacker.example" in str(acknowledgement["Subject"])
    ), acknowledgement["Subject"]
