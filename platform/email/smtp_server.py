"""`compound smtp`: the aiosmtpd listener that takes mail for our domains into Postgres and
answers 250 only once the raw message and its processing job are committed."""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import logging
import os
import signal
import ssl
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from compound.platform.auth.lockout import SignInPaused
from compound.platform.auth.service import authenticate_password, authenticate_token
from compound.platform.config import Settings
from compound.platform.database import DATABASE_UNAVAILABLE, Database
from compound.platform.email.ingest import Envelope as IngestEnvelope
from compound.platform.email.ingest import ingest_raw
from compound.platform.email.models import Channel
from compound.platform.errors import (
    NotAuthenticated,
    PortInUse,
    TooLong,
    ValidationFailed,
)

logger = structlog.get_logger(__name__)

MAX_RECIPIENTS = 100
"""RCPTs per message; more get 452 (RFC 5321 §4.5.3.1.8: the client sends the rest later)."""
MAX_FAILED_AUTHS = 3
"""Failed AUTH attempts before the connection is closed: guessing passwords gets slow."""
TOKEN_LOGIN = "token"  # noqa: S105 (the AUTH user name that means "the password is an API token")
DATA_TIMEOUT_SECONDS = 120.0
"""Longest the database may take to store one message before the sender is told to retry."""
CONNECT_TIMEOUT_SECONDS = 10

TEMPORARY_FAILURE = "451 4.3.0 temporary failure, try again later"
AUTH_TEMPORARY_FAILURE = "454 4.7.0 temporary authentication failure, try again later"
AUTH_INVALID = "535 5.7.8 authentication credentials invalid"
RELAY_DENIED = "550 5.7.1 relaying denied: this server takes mail only for its own domains"
TOO_MANY_RECIPIENTS = "452 4.5.3 too many recipients; send the rest in another message"


@dataclass(frozen=True)
class Submitter:
    """Who authenticated with SMTP AUTH: stored on each message they hand in."""

    label: str
    user_id: uuid.UUID
    """The account (for a token, its owner): the message is theirs only if its From is."""


def accepts_domain(address: str, domains: Sequence[str]) -> bool:
    """Whether `address` is for one of our domains (exact match, case-insensitive)."""
    _, at, domain = address.rpartition("@")
    if not at:
        return False
    domain = domain.strip().rstrip(".").lower()
    try:
        # A UTF-8 domain (SMTPUTF8) is compared in the ASCII form the settings hold.
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return domain in domains


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _clean(value: str) -> str:
    # Envelope strings may hold undecodable bytes (kept as surrogates) or control
    # characters; the database's text columns take neither.
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(ch for ch in text if ch >= " " and ch != "\x7f")


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:300]


def _peer_host(peer: Any) -> str | None:
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer) if peer else None


class IngressHandler:
    """aiosmtpd hooks: relay control on RCPT, SMTP AUTH against our users and tokens, and
    DATA into `ingest_raw` in one unit of work."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.trusted_relays = [
            ipaddress.ip_network(network, strict=False) for network in settings.mail_trusted_relays
        ]
        # Per connection (an aiosmtpd Session), forgotten with it.
        self.failed_auths: weakref.WeakKeyDictionary[Session, int] = weakref.WeakKeyDictionary()
        self.submitters: weakref.WeakKeyDictionary[Session, Submitter] = weakref.WeakKeyDictionary()

    def is_trusted_relay(self, host: str | None) -> bool:
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.trusted_relays)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd names its hooks)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not accepts_domain(address, self.settings.mail_domains):
            # Checked for every sender, authenticated or not: we deliver nowhere else.
            return RELAY_DENIED
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        peer = _peer_host(session.peer)
        submitter = self.submitters.get(session)
        ingress = IngestEnvelope(
            channel=Channel.SMTP,
            mail_from=_clean(envelope.mail_from or "") or None,
            recipients=tuple(_clean(address) for address in envelope.rcpt_tos),
            peer=peer,
            submitted_by=submitter.label if submitter else None,
            submitter_user_id=submitter.user_id if submitter else None,
            # Only a relay the operator set up may vouch for a sender, with our server id.
            trusted_authserv_id=self.settings.mail_authserv_id
            if self.is_trusted_relay(peer)
            else None,
        )
        log = logger.bind(peer=peer, size=len(raw), recipients=len(envelope.rcpt_tos))
        try:
            async with asyncio.timeout(DATA_TIMEOUT_SECONDS), self.database.session() as db:
                ingested = await ingest_raw(
                    db, raw, ingress, max_bytes=self.settings.mail_max_bytes
                )
        except TooLong as error:
            return f"552 5.3.4 {error.message}"
        except ValidationFailed as error:
            return f"554 5.6.0 {error.message}"
        except DATABASE_UNAVAILABLE as error:
            # The sending server keeps the message and tries again: nothing is lost.
            log.warning("smtp.database_unavailable", error=_first_line(error))
            return TEMPORARY_FAILURE
        except Exception as error:
            # Whatever went wrong, a temporary answer keeps the message at the sender. No
            # traceback: the console renderer would print its locals, the message included.
            log.error("smtp.ingest_failed", error=f"{type(error).__name__}: {_first_line(error)}")
            return TEMPORARY_FAILURE
        log.info("smtp.accepted", message_id=str(ingested.message_id), duplicate=ingested.duplicate)
        return f"250 2.0.0 Ok: queued as {ingested.message_id}"

    async def handle_AUTH(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, args: list[str]
    ) -> str | None:
        """PLAIN and LOGIN, checked against users' passwords or (user `token`) ingest tokens.

        aiosmtpd's own mechanisms call a synchronous authenticator; ours needs the
        database, so the hook does the exchange itself. None = the answer was already sent.
        """
        mechanism = args[0].upper()
        credentials = await _read_credentials(server, mechanism, args[1:])
        if credentials is None:
            return None
        login, password = credentials
        refusal = AUTH_INVALID
        try:
            async with self.database.session() as db:
                submitter = await self._authenticate(db, login, password)
        except SignInPaused as paused:
            # Locked address or spent budget (the web sign-in's too): refused unchecked, and
            # counted below like a failure, so hammering still closes the connection.
            submitter, refusal = None, f"454 4.7.0 {paused.message}"
        except DATABASE_UNAVAILABLE as error:
            logger.warning("smtp.auth_database_unavailable", error=_first_line(error))
            return AUTH_TEMPORARY_FAILURE
        except Exception as error:
            # No traceback: its locals would hold the password.
            logger.error("smtp.auth_failed", error=f"{type(error).__name__}: {_first_line(error)}")
            return AUTH_TEMPORARY_FAILURE
        if submitter is None:
            failures = self.failed_auths.get(session, 0) + 1
            self.failed_auths[session] = failures
            if failures >= MAX_FAILED_AUTHS:
                await server.push(refusal)
                await server.push("421 4.7.0 too many failed authentications, goodbye")
                if server.transport is not None:
                    server.transport.close()
                return None
            return refusal
        session.authenticated = True
        self.submitters[session] = submitter
        return "235 2.7.0 Authentication successful"

    async def _authenticate(
        self, db: AsyncSession, login: bytes, password: bytes
    ) -> Submitter | None:
        try:
            user = login.decode("utf-8").strip()
            secret = password.decode("utf-8")
        except UnicodeDecodeError:
            return None
        try:
            if user.lower() == TOKEN_LOGIN:
                actor = await authenticate_token(db, secret)
                if not actor.has_scope("ingest"):
                    return None
                if actor.user_id is None:  # pragma: no cover — every token has an owner
                    return None
                return Submitter(label=actor.label, user_id=actor.user_id)
            account = await authenticate_password(db, user, secret)
        except NotAuthenticated:
            return None
        return Submitter(label=f"user:{account.email}", user_id=account.id)

    async def handle_exception(self, error: Exception) -> str:
        # Any other command that fails unexpectedly: temporary, so the sender keeps the mail.
        logger.error("smtp.command_failed", error=f"{type(error).__name__}: {_first_line(error)}")
        return TEMPORARY_FAILURE


async def _read_credentials(
    server: SMTP, mechanism: str, initial: list[str]
) -> tuple[bytes, bytes] | None:
    """(login, password) from a PLAIN or LOGIN exchange, or None after answering the error."""

    def decode(blob: str) -> bytes | None:
        try:
            return base64.b64decode(blob.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            return None

    async def challenge(prompt: str) -> bytes | None:
        answer = await server.challenge_auth(prompt)  # answers 501 itself when it is bad
        return None if answer is MISSING else answer

    if mechanism == "PLAIN":
        blob = decode(initial[0]) if initial else await challenge("")
        if blob is None:
            if initial:
                await server.push("501 5.5.2 cannot decode base64")
            return None
        parts = blob.split(b"\x00")
        if len(parts) != 3:  # authzid NUL authcid NUL passwd (RFC 4616)
            await server.push("501 5.5.2 cannot split the credentials")
            return None
        return parts[1], parts[2]
    if mechanism == "LOGIN":
        login = decode(initial[0]) if initial else await challenge("Username:")
        if login is None:
            if initial:
                await server.push("501 5.5.2 cannot decode base64")
            return None
        password = await challenge("Password:")
        if password is None:
            return None
        return login, password
    await server.push("504 5.5.4 unrecognized authentication type")
    return None


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """STARTTLS when a certificate and key are configured; both or neither."""
    certificate, key = settings.smtp_tls_certificate, settings.smtp_tls_key
    if certificate is None and key is None:
        return None
    if certificate is None or key is None:
        raise ValidationFailed(
            "set both COMPOUND_SMTP_TLS_CERTIFICATE and COMPOUND_SMTP_TLS_KEY, or neither",
            field="smtp_tls_certificate",
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certificate, key)
    except (OSError, ssl.SSLError) as error:
        raise ValidationFailed(
            f"cannot load the SMTP TLS certificate {certificate}: {error}",
            field="smtp_tls_certificate",
        ) from None
    return context


def connect_database(url: str, *, pool_size: int) -> Database:
    """The listener's one pool. Unlike the web app it pings each connection before use: after
    a database restart the first message must be stored, not answered 451 on a dead socket."""
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=30,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    return Database(engine, async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False))


def smtp_factory(
    handler: IngressHandler, settings: Settings, *, host: str, context: ssl.SSLContext | None
) -> SMTP:
    return SMTP(
        handler,
        data_size_limit=settings.mail_max_bytes,
        enable_SMTPUTF8=True,
        hostname=settings.mail_authserv_id,
        ident="Compound ESMTP",
        tls_context=context,
        # Passwords and tokens cross the wire in the clear only on this machine.
        auth_require_tls=not is_loopback_host(host),
        loop=asyncio.get_running_loop(),
    )


async def run_smtp(
    settings: Settings,
    database_url: str,
    *,
    host: str,
    port: int,
    on_listening: Callable[[], None] | None = None,
) -> None:
    """Listen until SIGINT or SIGTERM; a message mid-DATA is then rolled back, unanswered, and
    its sender tries again."""
    context = tls_context(settings)
    database = connect_database(database_url, pool_size=settings.database_pool_size)
    handler = IngressHandler(settings, database)
    loop = asyncio.get_running_loop()
    try:
        try:
            server = await loop.create_server(
                lambda: smtp_factory(handler, settings, host=host, context=context),
                host=host,
                port=port,
            )
        except OSError as error:
            # asyncio's message repeats the address; the errno's text is the news.
            reason = os.strerror(error.errno) if error.errno else str(error)
            raise PortInUse(f"cannot listen on {host}:{port}: {reason}") from None
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if on_listening is not None:
            on_listening()
        async with server:
            await stop.wait()
            server.close()
    finally:
        await database.dispose()


def serve_smtp(
    settings: Settings,
    database_url: str,
    *,
    host: str | None = None,
    port: int | None = None,
    on_listening: Callable[[], None] | None = None,
) -> None:
    """Run the listener in this process until Ctrl-C or SIGTERM."""
    # aiosmtpd logs every command at INFO, addresses included; we log what matters ourselves.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    asyncio.run(
        run_smtp(
            settings,
            database_url,
            host=host or settings.smtp_host,
            port=port or settings.smtp_port,
            on_listening=on_listening,
        )
    )
