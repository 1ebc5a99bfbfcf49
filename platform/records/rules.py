"""Field rules shared by the record services: trimming, required values, length and characters."""

from __future__ import annotations

import re

from compound.platform.errors import Required, TooLong, ValidationFailed

# Postgres cannot store NUL in text; other control characters in a one-line field are
# garbage from a bad paste or an attack on whoever renders it.
_SINGLE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
_MULTI_LINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check(text: str, *, field: str, max_length: int, multiline: bool) -> str:
    if len(text) > max_length:
        raise TooLong(
            f"{field} is {len(text)} characters long; the limit is {max_length}", field=field
        )
    forbidden = _MULTI_LINE_FORBIDDEN if multiline else _SINGLE_LINE_FORBIDDEN
    match = forbidden.search(text)
    if match:
        raise ValidationFailed(
            f"{field} contains the control character U+{ord(match.group()):04X}", field=field
        )
    return text


def required_text(
    value: str | None, *, field: str, max_length: int, multiline: bool = False
) -> str:
    text = (value or "").strip()
    if not text:
        raise Required(f"{field} is required", field=field)
    return _check(text, field=field, max_length=max_length, multiline=multiline)


def optional_text(
    value: str | None, *, field: str, max_length: int, multiline: bool = False
) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    return _check(text, field=field, max_length=max_length, multiline=multiline)
