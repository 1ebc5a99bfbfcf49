"""UNSET: tells "leave this field alone" apart from "set it to None" in update operations."""

from __future__ import annotations

from enum import Enum
from typing import Final, Literal, TypeAlias


class _UnsetType(Enum):
    UNSET = "UNSET"

    def __bool__(self) -> Literal[False]:
        return False


UNSET: Final = _UnsetType.UNSET
Unset: TypeAlias = Literal[_UnsetType.UNSET]
