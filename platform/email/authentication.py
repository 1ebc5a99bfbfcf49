"""What we believe about a sender: Authentication-Results are trusted only from our own
relays and only when they carry our server id — anyone can write that header."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from compound.platform.normalize import registrable_domain

_METHOD_RESULT = re.compile(r"\b(spf|dkim|dmarc|arc)\s*=\s*([a-z]+)", re.IGNORECASE)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class SenderAuthentication:
    spf: str = UNKNOWN
    dkim: str = UNKNOWN
    dmarc: str = UNKNOWN
    source: str = "none"
    """`submission` (SMTP AUTH), `trusted-header` (a trusted relay's Authentication-Results),
    `dns` (our own DKIM/DMARC check), or `none`."""

    @property
    def authenticated(self) -> bool:
        return self.source == "submission" or self.dmarc == "pass"

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
        }


def evaluate(
    headers: Sequence[tuple[str, str]],
    *,
    submitted_by: str | None,
    via_trusted_relay: bool,
    authserv_id: str,
) -> SenderAuthentication:
    if submitted_by:
        return SenderAuthentication(spf="none", dkim="none", dmarc="none", source="submission")
    if not via_trusted_relay:
        # From anywhere else an Authentication-Results header is just text the sender wrote.
        return SenderAuthentication()
    for name, value in headers:
        if name.lower() != "authentication-results":
            continue
        server, _, results = value.partition(";")
        if server.strip().split()[0:1] != [authserv_id]:
            continue
        return _from_results(results, source="trusted-header")
    return SenderAuthentication()


def _from_results(results: str, *, source: str) -> SenderAuthentication:
    found: dict[str, str] = {}
    for method, result in _METHOD_RESULT.findall(results):
        found.setdefault(method.lower(), result.lower())
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
