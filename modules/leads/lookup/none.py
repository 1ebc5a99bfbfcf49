"""The lookup that is off (`COMPOUND_LEADS_LOOKUP=none`)."""

from __future__ import annotations

from compound.modules.leads.lookup.base import LookupResult, Website


class NoLookup:
    """Finds nothing: research runs ask a person for every missing website."""

    name = "none"

    async def find_website(self, name: str, *, context: str = "") -> LookupResult:
        return LookupResult(None, ["web lookup is off (COMPOUND_LEADS_LOOKUP=none)"])

    async def describe(self, domain: str) -> Website | None:
        return None
