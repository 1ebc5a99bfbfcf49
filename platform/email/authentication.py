"""What we believe about a sender. Identity never comes from content: a message is a
colleague's only when the account that logged in (SMTP AUTH) *is* its From (and Sender),
or when the Authentication-Results header our trusted relay (or the mail provider an
ingest token names) put on top says DMARC passed. Anyone can write that header lower
down, with our server id in it (RFC 8601 §5): those are ignored and reported."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from compound.platform.errors import ValidationFailed
from compound.platform.normalize import normalize_email, registrable_domain

_METHOD_RESULT = re.compile(r"(spf|dkim|dmarc|arc)=([a-z]+)", re.IGNORECASE)
_SPACED_EQUALS = re.compile(r"\s*=\s*")
UNKNOWN = "unknown"
MISMATCH_MAX = 300
AUTHENTICATION_RESULTS = "authentication-results"
TRACE_HEADERS = frozenset(
    {
        "received",
        "return-path",
        AUTHENTICATION_RESULTS,
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "received-spf",
        "x-received",
        "delivered-to",
        "x-original-to",
    }
)
"""What relays prepend. A relay's verdict sits among these, above every header the sender
wrote; one below the first other header was written before our relay saw the message."""


@dataclass(frozen=True)
class SenderAuthentication:
    spf: str = UNKNOWN
    dkim: str = UNKNOWN
    dmarc: str = UNKNOWN
    source: str = "none"
    """`submission` (SMTP AUTH), `trusted-header` (the trusted relay's or provider's
    Authentication-Results), `dns` (our own DKIM/DMARC check), or `none`."""
    submitter: str | None = None
    """For a submission: the address of the account that logged in."""
    mismatch: str | None = None
    """For a submission that does not prove its From: why (shown with the message)."""

    @property
    def authenticated(self) -> bool:
        if self.source == "submission":
            return self.mismatch is None
        return self.dmarc == "pass"

    @property
    def checked(self) -> bool:
        """Something vouched for the sender or judged them (not merely `unknown`)."""
        return self.source != "none"

    def as_json(self) -> dict[str, Any]:
        return {
            "spf": self.spf,
            "dkim": self.dkim,
            "dmarc": self.dmarc,
            "source": self.source,
            "authenticated": self.authenticated,
            "submitter": self.submitter,
            "mismatch": self.mismatch,
        }


def _comparable(address: str) -> str:
    try:
        return normalize_email(address)
    except ValidationFailed:
        return address.strip().lower()


def _addresses_of(headers: Sequence[tuple[str, str]], name: str) -> list[list[str] | None]:
    """Each `name` header's addresses, normalized (display names never count); None for
    a header the strict parser finds defective — an address hidden in a malformed header
    proves nothing."""
    found: list[list[str] | None] = []
    for header, value in headers:
        if header.lower() != name:
            continue
        try:
            parsed = policy.default.header_factory(name, value)
        except Exception:  # the header parser on hostile text: unreadable, not a crash
            found.append(None)
            continue
        addresses = getattr(parsed, "addresses", ())
        if parsed.defects or not addresses:
            found.append(None)
            continue
        found.append([_comparable(address.addr_spec) for address in addresses])
    return found


def submission(
    headers: Sequence[tuple[str, str]], *, submitter: str | None, login: str
) -> SenderAuthentication:
    """A message handed in over SMTP AUTH by `submitter` (the account's address; None when
    the account is gone or deactivated): it proves its sender only when one From header
    holds exactly that one address, and so does every Sender header."""
    who = submitter or login

    def refused(reason: str) -> SenderAuthentication:
        return SenderAuthentication(
            spf="none",
            dkim="none",
            dmarc="none",
            source="submission",
            submitter=who,
            mismatch=reason[:MISMATCH_MAX],
        )

    if submitter is None:
        return refused(f"submitted as {login}, an account that is no longer active")
    wanted = _comparable(submitter)
    froms = _addresses_of(headers, "from")
    if len(froms) != 1:
        return refused(f"submitted by {submitter}, with {len(froms)} From headers")
    [from_addresses] = froms
    if from_addresses is None:
        return refused(f"submitted by {submitter}, with a From that cannot be read")
    if from_addresses != [wanted]:
        return refused(f"submitted by {submitter}, but From says {', '.join(from_addresses)}")
    for senders in _addresses_of(headers, "sender"):
        if senders != [wanted]:
            shown = ", ".join(senders) if senders else "something unreadable"
            return refused(f"submitted by {submitter}, but Sender says {shown}")
    return SenderAuthentication(
        spf="none", dkim="none", dmarc="none", source="submission", submitter=submitter
    )


def _authserv_id(value: str) -> str:
    server = value.partition(";")[0].split()
    return server[0].lower() if server else ""


@dataclass(frozen=True)
class HeaderVerdict:
    sender: SenderAuthentication
    ignored: tuple[str, ...] = ()
    """Why headers claiming a trusted id were not believed (stored as defects)."""


def trusted_header(
    headers: Sequence[tuple[str, str]], *, trusted_id: str | None, our_id: str
) -> HeaderVerdict:
    """The verdict of the Authentication-Results header(s) on top: the first one in the
    message, if it carries `trusted_id` (our relay's id, or the ingest token's provider)
    and sits among the trace headers above everything the sender wrote, with those right
    below it carrying the same id. Every other header claiming `trusted_id` or our own id
    was written by someone else: ignored, and said so. No `trusted_id`, nothing believed."""
    trusted = trusted_id.lower() if trusted_id else None
    claimed = {identity.lower() for identity in (trusted_id, our_id) if identity}
    believed: list[str] = []
    ignored = 0
    in_trace = True
    block = "before"  # → "open" while the top block is read → "closed"
    for name, value in headers:
        lowered = name.lower()
        in_trace = in_trace and lowered in TRACE_HEADERS
        if lowered != AUTHENTICATION_RESULTS:
            block = "closed" if block == "open" else block
            continue
        identity = _authserv_id(value)
        if block != "closed" and trusted is not None and identity == trusted and in_trace:
            believed.append(value.partition(";")[2])
            block = "open"
            continue
        # Another server's verdict is an older hop's: below it is history, not a verdict.
        block = "closed"
        if identity in claimed:
            ignored += 1
    notes: tuple[str, ...] = ()
    if ignored:
        plural = "s" if ignored != 1 else ""
        by = "the trusted relay or provider" if trusted else "any trusted relay"
        notes = (
            f"{ignored} Authentication-Results header{plural} claiming "
            f"{' or '.join(sorted(claimed))} not added by {by}: ignored",
        )
    if not believed:
        return HeaderVerdict(SenderAuthentication(), notes)
    return HeaderVerdict(_from_results(believed, source="trusted-header"), notes)


def _results_of(text: str) -> list[str]:
    """The `resinfo` parts of a header value after its authserv-id, with comments and
    quoted strings taken out: a `reason="…"` or an address the sender chose (say
    `smtp.mailfrom=x@dmarc=pass.example`) must not read as a result."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted, escaped = 0, False, False
    for character in text:
        if escaped:
            escaped = False
        elif character == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = character != '"'
        elif character == '"' and not depth:
            quoted = True
            current.append(" ")
        elif character == "(":
            depth += 1
        elif character == ")" and depth:
            depth -= 1
        elif depth:
            continue
        elif character == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    return parts


def _from_results(results: Sequence[str], *, source: str) -> SenderAuthentication:
    found: dict[str, str] = {}
    # The topmost header is the newest: its result for a method wins.
    for text in results:
        for part in _results_of(text):
            # resinfo = method "=" result [reason] *propspec: only its first word.
            words = _SPACED_EQUALS.sub("=", part).split()
            matched = _METHOD_RESULT.fullmatch(words[0]) if words else None
            if matched:
                found.setdefault(matched[1].lower(), matched[2].lower())
    return SenderAuthentication(
        spf=found.get("spf", UNKNOWN),
        dkim=found.get("dkim", UNKNOWN),
        dmarc=found.get("dmarc", UNKNOWN),
        source=source,
    )


DnsLookup = Callable[..., bytes | None]
"""dkimpy's DNS function: (name, timeout=…) → the TXT record's bytes, or None."""


def dns_lookup(timeout: float) -> DnsLookup:
    """TXT lookups through dnspython, each bounded by `timeout` seconds."""
    import dns.exception
    import dns.resolver

    resolver = dns.resolver.Resolver()
    resolver.lifetime = timeout

    def lookup(name: bytes | str, timeout: float = timeout) -> bytes | None:
        try:
            answer = resolver.resolve(name.decode() if isinstance(name, bytes) else name, "TXT")
        except dns.exception.DNSException:
            return None
        return b"".join(b"".join(record.strings) for record in answer)

    return lookup


def verify_with_dns(raw: bytes, *, authserv_id: str, lookup: DnsLookup) -> SenderAuthentication:
    """Check the DKIM signature (dkimpy) and DMARC alignment ourselves: DMARC passes when a
    valid signature's domain has the From domain's organizational domain and that domain
    publishes a DMARC record. SPF stays `unknown` (it needs the sending server's address,
    which a relay hides); so does whatever DNS could not answer. Never raises: hostile
    mail is just unverified.

    (authheaders would do this too, but its From-domain parser stops at a hyphen:
    `ana@north-wind.example` was checked as `north`.)"""
    import dkim

    head = raw[: 256 * 1024]
    from_domain = _from_domain(head)
    signed = b"dkim-signature:" in head.lower()
    dkim_result, signer = UNKNOWN, None
    if signed:
        verifier = dkim.DKIM(raw)
        try:
            passed = verifier.verify(dnsfunc=lookup)
            signer = verifier.domain.decode("ascii", "replace").lower() if verifier.domain else None
            dkim_result = "pass" if passed else "fail"
        except dkim.KeyFormatError:
            dkim_result = UNKNOWN  # no key published, or DNS did not answer
        except Exception:  # a malformed signature or message
            dkim_result = "fail"
    dmarc = UNKNOWN
    if from_domain and _publishes_dmarc(from_domain, lookup):
        aligned = (
            dkim_result == "pass"
            and signer is not None
            and registrable_domain(signer) == registrable_domain(from_domain)
        )
        dmarc = "pass" if aligned else "fail"
    return SenderAuthentication(spf=UNKNOWN, dkim=dkim_result, dmarc=dmarc, source="dns")


def _from_domain(head: bytes) -> str | None:
    """The domain of the one From address, or None (absent, several, unreadable)."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(head)
        addresses = getaddresses([str(value) for value in headers.get_all("From") or []])
    except Exception:
        return None
    domains = {address.rpartition("@")[2].lower() for _, address in addresses if "@" in address}
    return domains.pop() if len(domains) == 1 else None


def _publishes_dmarc(domain: str, lookup: DnsLookup) -> bool:
    for candidate in dict.fromkeys([domain, registrable_domain(domain)]):
        try:
            record = lookup(f"_dmarc.{candidate}.".encode())
        except Exception:
            record = None
        if record and record.lstrip().lower().startswith(b"v=dmarc1"):
            return True
    return False
