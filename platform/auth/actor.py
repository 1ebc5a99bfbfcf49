"""The Actor: who is doing something (a user, a user's API token, the system, an agent)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from compound.platform.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    """Every write names its actor; the audit log keeps the label and the ids."""

    label: str
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    run_id: uuid.UUID | None = None
    """Set for an agent: the run whose writes these are (provenance, undo)."""

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(label=f"system:{name}", scopes=frozenset({"read", "write", "ingest"}))

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def require_scope(self, scope: str) -> None:
        if not self.has_scope(scope):
            raise PermissionDenied(
                f"this operation needs the '{scope}' scope; the token has: "
                f"{', '.join(sorted(self.scopes)) or 'none'}"
            )
