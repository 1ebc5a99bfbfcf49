"""What happens to a triaged message, as one pure rule: routed to its module, asked about,
filed, or reported to a person. Routing follows it and the triage eval measures it, so the
share of outside mail that reaches the Inbox is measured on the rule the product runs."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from compound.agents.triage.contract import TriageKind

CONFIDENT = 0.5
"""Below this, the triage verdict is not a route: a question for a colleague's own mail,
filing for outside mail."""
COMMANDS = frozenset({TriageKind.DEAL_FLOW, TriageKind.INTERNAL_ASK})
"""Kinds that make Compound act on its own (import a list, do a colleague's ask): only an
authenticated sender on an internal domain may start them; from anyone else they are
outside mail a person looks at first."""


class Disposition(StrEnum):
    ROUTE = "route"
    """Handed to the module registered for the kind."""
    ASK = "ask"
    """A colleague's mail triage is unsure of: the colleague's team is asked what it is."""
    FILE_UNSURE = "file_unsure"
    """Outside mail triage is unsure of: filed as `other` with the reason, visible in
    Conversations; a question in the Inbox for every unclear notification buries the work."""
    REFUSE = "refuse"
    """A command from someone who is not an authenticated colleague: reported, not done."""
    UNROUTED = "unrouted"
    """No installed module handles the kind: reported so that a person handles it."""

    @property
    def reaches_inbox(self) -> bool:
        return self in (Disposition.ASK, Disposition.REFUSE, Disposition.UNROUTED)


def dispose(
    kind: TriageKind,
    confidence: float,
    *,
    sender_is_internal: bool,
    handled: Collection[TriageKind],
) -> Disposition:
    """The rule for one verdict; `handled` are the kinds some module takes."""
    if confidence < CONFIDENT:
        return Disposition.ASK if sender_is_internal else Disposition.FILE_UNSURE
    if kind in COMMANDS and not sender_is_internal:
        return Disposition.REFUSE
    if kind not in handled:
        return Disposition.UNROUTED
    return Disposition.ROUTE
