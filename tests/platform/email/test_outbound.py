"""Sending replies through a real SMTP relay (our sink), threaded with In-Reply-To and
References; bad recipients and a dead relay are clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from compound.platform.config import Settings
from compound.platform.email.outbound import OutgoingEmail, send_email
from compound.platform.email.sink import sent_messages, start_sink
from compound.platform.errors import ServiceUnavailable, ValidationFailed
from tests.conftest import free_port


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[Settings, Path]]:
    port = free_port()
    controller = start_sink("127.0.0.1", port, tmp_path / "outbox")
    settings = Settings(_env_file=None, outbound_smtp_port=port)  # type: ignore[call-arg]
    yield settings, tmp_path / "outbox"
    controller.stop()


async def test_a_reply_is_sent_threaded_into_its_conversation(
    relay: tuple[Settings, Path],
) -> None:
    settings, outbox = relay
    message = await send_email(
        settings,
        OutgoingEmail(
            to=["Ana@Example.com"],
            subject="Re: 48 companies added",
            text="Done: 48 added, 2 need you.",
            in_reply_to="<list-1@incubator.example>",
            references=["root-0@incubator.example"],
        ),
    )
    [path] = sent_messages(outbox)
    sent = message_from_bytes(path.read_bytes(), policy=default)
    assert sent["To"] == "ana@example.com"
    assert sent["From"] == "compound@compound.localhost"
    assert sent["In-Reply-To"] == "<list-1@incubator.example>"
    assert sent["References"] == "<root-0@incubator.example> <list-1@incubator.example>"
    assert sent["Message-ID"] == message["Message-ID"]
    assert str(message["Message-ID"]).endswith("@compound.localhost>")
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent.get_content().strip() == "Done: 48 added, 2 need you."


@pytest.mark.parametrize(
    ("outgoing", "field"),
    [
        (OutgoingEmail(to=[], subject="s", text="t"), "to"),
        (OutgoingEmail(to=["not an address"], subject="s", text="t"), "to"),
        (OutgoingEmail(to=["a@example.com"], cc=["b@"], subject="s", text="t"), "cc"),
        (OutgoingEmail(to=[f"a{i}@example.com" for i in range(60)], subject="s", text="t"), "to"),
        (OutgoingEmail(to=["a@example.com"], subject="s", text="x" * 300_000), "text"),
    ],
    ids=["no-recipient", "bad-recipient", "bad-cc", "too-many", "huge-body"],
)
async def test_bad_messages_are_refused_before_anything_is_sent(
    relay: tuple[Settings, Path], outgoing: OutgoingEmail, field: str
) -> None:
    settings, outbox = relay
    with pytest.raises(ValidationFailed) as refused:
        await send_email(settings, outgoing)
    assert refused.value.field == field
    assert sent_messages(outbox) == []


async def test_a_header_injection_in_the_subject_stays_one_line(
    relay: tuple[Settings, Path],
) -> None:
    settings, outbox = relay
    await send_email(
        settings,
        OutgoingEmail(to=["a@example.com"], subject="Hi\r\nBcc: all@evil.example", text="t"),
    )
    [path] = sent_messages(outbox)
    sent = message_from_bytes(path.read_bytes(), policy=default)
    assert sent["Bcc"] is None
    assert sent["Subject"] == "Hi Bcc: all@evil.example"


async def test_a_relay_that_is_down_is_a_clear_error() -> None:
    settings = Settings(_env_file=None, outbound_smtp_port=free_port())  # type: ignore[call-arg]
    with pytest.raises(ServiceUnavailable, match="did not take the message"):
        await send_email(settings, OutgoingEmail(to=["a@example.com"], subject="s", text="t"))


@pytest.mark.parametrize(
    ("outgoing", "field"),
    [
        (OutgoingEmail(to=["v@x.example\r\nBcc: a@evil.example"], subject="s", text="t"), "to"),
        (OutgoingEmail(to=["v@x.example\n"], subject="s", text="t"), "to"),
        (
            OutgoingEmail(to=["a@example.com"], cc=["Eve <e@evil.example>"], subject="s", text="t"),
            "cc",
        ),
        (
            OutgoingEmail(
                to=["a@example.com"], subject="s", text="t", in_reply_to="x@y\r\nBcc: a@evil"
            ),
            "in-reply-to",
        ),
        (
            OutgoingEmail(
                to=["a@example.com"],
                subject="s",
                text="t",
                in_reply_to="x@y",
                references=["r@y>\r\nBcc: <a@evil"],
            ),
            "references",
        ),
    ],
    ids=["crlf-to", "trailing-newline-to", "display-name-cc", "crlf-in-reply-to", "crlf-ref"],
)
async def test_a_line_break_in_any_header_value_is_refused_and_nothing_is_sent(
    relay: tuple[Settings, Path], outgoing: OutgoingEmail, field: str
) -> None:
    settings, outbox = relay
    with pytest.raises(ValidationFailed) as refused:
        await send_email(settings, outgoing)
    assert refused.value.field == field
    assert sent_messages(outbox) == []


async def test_a_configured_from_with_a_line_break_is_refused_too(
    relay: tuple[Settings, Path],
) -> None:
    settings, outbox = relay
    broken = settings.model_copy(update={"mail_from_address": "c@compound.localhost\nBcc: a@evil"})
    with pytest.raises(ValidationFailed, match="From header would contain a line break"):
        await send_email(broken, OutgoingEmail(to=["a@example.com"], subject="s", text="t"))
    assert sent_messages(outbox) == []
