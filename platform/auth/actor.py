"""The Actor: who is doing something (a user, a user's API token, the system, an agent)."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from compound.platform.errors import PermissionDenied, ValidationFailed

SOURCE_JSON_MAX = 20_000
"""A source names where a value came from (an id, a URL, a span), it is not the document."""


def _frozen_source(source: Mapping[str, Any]) -> Mapping[str, Any]:
    # A JSON round trip both proves the source can be stored (JSONB) and deep-copies it,
    # so the caller cannot change a cited source after the fact.
    try:
        text = json.dumps(dict(source), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValidationFailed(
            f"a provenance source must be JSON: {error}", field="source"
        ) from None
    if len(text) > SOURCE_JSON_MAX:
        raise ValidationFailed(
            f"a provenance source is at most {SOURCE_JSON_MAX} characters of JSON; "
            "cite the document (an id, a URL, a span), do not copy it",
            field="source",
        )
    return MappingProxyType(json.loads(text))


@dataclass(frozen=True)
class AgentProvenance:
    """Where an agent's write comes from: its run, the tool, the cited source, a confidence."""

    run_id: uuid.UUID
    agent: str
    tool: str | None = None
    # Not hashed: a mapping is not hashable, and the run id already tells writes apart.
    source: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    """JSON-safe keys such as message_id, url, span."""
    confidence: float | None = None
    """0 to 1: how sure the agent is of what it wrote; None when it did not say."""

    def __post_init__(self) -> None:
        if self.confidence is not None and (
            not math.isfinite(self.confidence) or not 0.0 <= self.confidence <= 1.0
        ):
            raise ValidationFailed(
                f"a confidence is between 0 and 1, not {self.confidence}", field="confidence"
            )
        object.__setattr__(self, "source", _frozen_source(self.source))


@dataclass(frozen=True)
class Actor:
    """Every write names its actor; the audit log keeps the label and the ids."""

    label: str
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    provenance: AgentProvenance | None = None
    """Set for an agent: the run (and tool, source) whose writes these are, for undo."""

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(label=f"system:{name}", scopes=frozenset({"read", "write", "ingest"}))

    @property
    def is_system(self) -> bool:
        """Compound itself (the CLI, a job, the seed): no person, token or agent behind it.
        Only our own code makes one; nothing a request or a message carries turns into it."""
        return (
            self.label.startswith("system:")
            and self.user_id is None
            and self.token_id is None
            and self.role is None
            and self.provenance is None
        )

    def citing(
        self, *, source: Mapping[str, Any] | None = None, confidence: float | None = None
    ) -> Actor:
        """This agent, citing where the next writes come from (a tool calls it per write).

        A person's writes carry no provenance (the audit log names them), so for an actor
        that is not an agent this is the actor unchanged.
        """
        if self.provenance is None:
            return self
        return replace(
            self,
            provenance=replace(
                self.provenance,
                source=self.provenance.source if source is None else source,
                confidence=confidence,
            ),
        )

    def in_tool(self, tool: str | None) -> Actor:
        """This agent while `tool` runs: the tool is named on everything it writes."""
        if self.provenance is None:
            return self
        return replace(self, provenance=replace(self.provenance, tool=tool, source={}))

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def require_scope(self, scope: str) -> None:
        if not self.has_scope(scope):
            raise PermissionDenied(
                f"this operation needs the '{scope}' scope; the token has: "
                f"{', '.join(sorted(self.scopes)) or 'none'}"
            )
