"""DKIM and DMARC checked by us (authheaders over dkimpy) when no trusted relay vouches:
a real RSA signature, DNS answered by a table instead of the network."""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import dkim
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.email import authentication, processing
from compound.platform.email.ingest import Envelope, ingest_raw
from compound.platform.email.models import Channel, Message
from tests.platform.email.test_processing import MAX, SETTINGS, mail

SELECTOR = b"s1"


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """A fresh 2048-bit RSA key: the PEM private key and the DKIM record's `p=` value."""
    folder = tmp_path_factory.mktemp("dkim")
    private = folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            str(private),
        ],
        check=True,
        capture_output=True,
    )
    public = subprocess.run(
        ["openssl", "pkey", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return Path(private).read_bytes(), base64.b64encode(public).decode()


def dns_table(domain: str, public_key: str, policy: str = "reject") -> Callable[..., bytes | None]:
    records = {
        f"{SELECTOR.decode()}._domainkey.{domain}.": f"v=DKIM1; k=rsa; p={public_key}",
        f"_dmarc.{domain}.": f"v=DMARC1; p={policy}",
    }

    def lookup(name: bytes | str, timeout: float = 5) -> bytes | None:
        key = name.decode() if isinstance(name, bytes) else name
        found = records.get(key if key.endswith(".") else key + ".")
        return found.encode() if found else None

    return lookup


def signed(raw: bytes, domain: str, private_key: bytes) -> bytes:
    signature = dkim.sign(
        raw, SELECTOR, domain.encode(), private_key, include_headers=[b"from", b"subject"]
    )
    return bytes(signature) + raw


async def processed(
    session: AsyncSession, raw: bytes, lookup: Callable[..., bytes | None]
) -> Message:
    ingested = await ingest_raw(session, raw, Envelope(channel=Channel.SMTP), max_bytes=MAX)
    message = await processing.process_message(
        session, ingested.message_id, settings=SETTINGS, dns=lookup
    )
    assert message is not None
    return message


async def test_a_valid_aligned_signature_authenticates_the_sender(
    session: AsyncSession, key_pair: tuple[bytes, str]
) -> None:
    domain = f"signed-{uuid.uuid4().hex[:8]}.example"
    private_key, public_key = key_pair
    raw = signed(mail(sender=f"ana@{domain}"), domain, private_key)
    message = await processed(session, raw, dns_table(domain, public_key))
    assert message.authentication["dkim"] == "pass"
    assert message.authentication["dmarc"] == "pass"
    assert message.authentication["source"] == "dns"
    assert message.sender_authenticated


async def test_a_tampered_or_unaligned_message_does_not(
    session: AsyncSession, key_pair: tuple[bytes, str]
) -> None:
    private_key, public_key = key_pair
    domain = f"signed-{uuid.uuid4().hex[:8]}.example"
    tampered = signed(mail(sender=f"ana@{domain}"), domain, private_key).replace(
        b"Demo next week?", b"Wire the money"
    )
    message = await processed(session, tampered, dns_table(domain, public_key))
    assert message.authentication["dkim"] == "fail"
    assert message.authentication["dmarc"] == "fail"
    assert not message.sender_authenticated
    # Signed by a domain that is not the From's: a valid signature proves nothing about From.
    other = f"other-{uuid.uuid4().hex[:8]}.example"
    unaligned = signed(mail(sender=f"ceo@{domain}"), other, private_key)
    lookup = dns_table(other, public_key)
    message = await processed(session, unaligned, lookup)
    assert message.authentication["dkim"] == "pass"
    assert message.authentication["dmarc"] != "pass"
    assert not message.sender_authenticated


async def test_without_dns_answers_everything_stays_unknown(session: AsyncSession) -> None:
    domain = f"nodns-{uuid.uuid4().hex[:8]}.example"
    message = await processed(session, mail(sender=f"ana@{domain}"), lambda *_a, **_k: None)
    assert message.authentication["dkim"] == "unknown"
    assert message.authentication["dmarc"] == "unknown"
    assert not message.sender_authenticated


@pytest.mark.parametrize(
    "raw",
    [
        b"DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s1; b=!!!; bh=???\r\n"
        b"From: a@x.example\r\n\r\nbody\r\n",
        b"DKIM-Signature: " + b"A" * 50_000 + b"\r\nFrom: a@x.example\r\n\r\nbody\r\n",
        b"\x00\xff not mail",
    ],
    ids=["garbage-signature", "huge-signature", "binary"],
)
def test_hostile_signatures_are_unverified_not_a_crash(raw: bytes) -> None:
    result = authentication.verify_with_dns(
        raw, authserv_id="compound.localhost", lookup=lambda *_a, **_k: None
    )
    assert not result.authenticated
    assert result.dmarc in ("unknown", "fail")
