"""Scope checks for GraphQL fields: reads need `read`, mutations need `write`."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from compound.platform.graphql.context import context_of


class _NeedsScope(BasePermission):
    scope = ""

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        actor = context_of(info).actor
        if actor.has_scope(self.scope):
            return True
        granted = ", ".join(sorted(actor.scopes)) or "none"
        self.message = (
            f"missing scope '{self.scope}': this operation needs a token with the "
            f"'{self.scope}' scope (this token has: {granted})"
        )
        return False

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": "PERMISSION_DENIED", "missingScope": self.scope}


class CanRead(_NeedsScope):
    scope = "read"


class CanWrite(_NeedsScope):
    scope = "write"
