"""Sending mail through the configured relay, threaded into the conversation it answers."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from compound.platform.config import Settings
from compound.platform.email.addresses import header_is_one_line, recipient_address
from compound.platform.errors import ServiceUnavailable, ValidationFailed

SEND_TIMEOUT_SECONDS = 30.0
MAX_RECIPIENTS = 50
MAX_BODY_CHARS = 200_000


@dataclass(frozen=True)
class OutgoingEmail:
    to: Sequence[str]
    subject: str
    text: str
    cc: Sequence[str] = ()
    in_reply_to: str | None = None
    """The Message-ID (without brackets) this answers; References follow from it."""
    references: Sequence[str] = field(default=())


def build_message(settings: Settings, outgoing: OutgoingEmail) -> EmailMessage:
    """The MIME message, checked: valid recipients, one-line subject, a bounded body, and no
    header value with a line break in it."""
    recipients = [recipient_address(address, field="to") for address in outgoing.to]
    copies = [recipient_address(address, field="cc") for address in outgoing.cc]
    if not recipients:
        raise ValidationFailed("a message needs at least one recipient", field="to")
    if len(recipients) + len(copies) > MAX_RECIPIENTS:
        raise ValidationFailed(f"at most {MAX_RECIPIENTS} recipients", field="to")
    subject = " ".join(outgoing.subject.split())[:500]
    if len(outgoing.text) > MAX_BODY_CHARS:
        raise ValidationFailed(f"the body is over {MAX_BODY_CHARS:,} characters", field="text")
    domain = settings.mail_from_address.rpartition("@")[2] or "compound.localhost"
    headers = [
        ("From", settings.mail_from_address),
        ("To", ", ".join(recipients)),
        *([("Cc", ", ".join(copies))] if copies else []),
        ("Subject", subject),
        ("Date", formatdate(localtime=False)),
        ("Message-ID", make_msgid(domain=domain)),
    ]
    if outgoing.in_reply_to:
        parent = outgoing.in_reply_to.strip("<>")
        chain = [ref.strip("<>") for ref in outgoing.references if ref.strip("<>")]
        if parent not in chain:
            chain.append(parent)
        headers.append(("In-Reply-To", f"<{parent}>"))
        headers.append(("References", " ".join(f"<{ref}>" for ref in chain[-20:])))
    headers.append(("Auto-Submitted", "auto-generated"))
    message = EmailMessage()
    for name, value in headers:
        # The last line of defence, whatever a caller passed (a Message-ID from stored mail,
        # a configured From): no value may carry a line break that would start a header.
        message[name] = header_is_one_line(name, value)
    message.set_content(outgoing.text)
    return message


async def send_email(settings: Settings, outgoing: OutgoingEmail) -> EmailMessage:
    """Send through the relay; returns the message as sent (its Message-ID is new)."""
    message = build_message(settings, outgoing)
    password = (
        settings.outbound_smtp_password.get_secret_value()
        if settings.outbound_smtp_password
        else None
    )
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.outbound_smtp_host,
            port=settings.outbound_smtp_port,
            username=settings.outbound_smtp_username,
            password=password,
            start_tls=settings.outbound_smtp_starttls,
            tls_context=ssl.create_default_context() if settings.outbound_smtp_starttls else None,
            timeout=SEND_TIMEOUT_SECONDS,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        raise ServiceUnavailable(
            f"the outbound relay {settings.outbound_smtp_host}:{settings.outbound_smtp_port} "
            f"did not take the message: {type(error).__name__}: {error}"
        ) from error
    return message
