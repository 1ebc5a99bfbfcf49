"""What we believe about a sender: Authentication-Results are trusted only from our own
relays and only when they carry our server id — anyone can write that header."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_METHOD_RESULT = re.compile(r"\b(spf|dkim|dmarc|arc)\s*=\s*([a-z]+)", re.IGNORECASE)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class SenderAuthentication:
    spf: str = UNKNOWN
    dkim: str = UNKNOWN
    dmarc: str = UNKNOWN
    source: str = "none"
    """`submission` (SMTP AUTH / an ingest token), `trusted-header`, or `none`."""

    @property
    def authenticated(self) -> bool:
        return self.source == "submission" or self.dmarc == "pass"

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
        found: dict[str, str] = {}
        for method, result in _METHOD_RESULT.findall(results):
            found.setdefault(method.lower(), result.lower())
        return SenderAuthentication(
            spf=found.get("spf", UNKNOWN),
            dkim=found.get("dkim", UNKNOWN),
            dmarc=found.get("dmarc", UNKNOWN),
            source="trusted-header",
        )
    return SenderAuthentication()
