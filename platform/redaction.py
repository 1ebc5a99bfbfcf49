"""URLs without the credentials they can carry: the one way a URL is printed, shown or logged."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

MASK = "***"
# A query parameter whose name says it holds a secret: api-key, access_token, client_secret,
# password/passwd/pwd, sig/signature (pre-signed URLs), auth…; more masked than needed is fine.
_SECRET_NAME = re.compile(r"key|token|secret|pass|pwd|sig|auth|credential|session|cookie")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
# host[:port], an [IPv6] host, or libpq's list of them (h1:5432,h2:5432); an empty host too
# (a unix socket). Anything else where the host goes is part of a mangled password.
_ONE_HOST = r"(?:\[[0-9A-Za-z:.%_-]*\]|[^:\[\]@/,]*)(?::[0-9]*)?"
_PLAUSIBLE_HOSTS = re.compile(rf"{_ONE_HOST}(?:,{_ONE_HOST})*")


def redact_url(url: str) -> str:
    """`url` with its userinfo (user:password@) masked, the values of query parameters named
    like a secret masked, and any fragment masked. The scheme, host, port and path stay, so
    the URL still says where it points. Never raises; for text that is not quite a URL it
    masks more rather than less."""
    rest, hash_mark, fragment = url.partition("#")
    rest, question_mark, query = rest.partition("?")
    scheme, separator, location = rest.partition("://")
    if not separator:
        scheme, location = "", rest  # "user:password@host:5432", a path, or not a URL at all
    # The last "@" ends the userinfo, even past a "/": a pasted password may hold an
    # unencoded "@" or "/" of its own (a path with an "@" gets masked too: better too much).
    _userinfo, at, location = location.rpartition("@")
    hosts, slash, path = location.partition("/")
    if separator and not _PLAUSIBLE_HOSTS.fullmatch(hosts):
        hosts = MASK  # "u:pa?ss@host": the "?" cut the password, whose start sits here
    return (
        f"{scheme}{separator}{MASK + at if at else ''}{hosts}{slash}{path}"
        + _masked_query(question_mark, query)
        + _masked_fragment(hash_mark, fragment)
    )


def redact_urls(text: str) -> str:
    """`text` with every URL in it redacted (log lines, error messages)."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda found: redact_url(found.group(0)), text)


def _masked_query(question_mark: str, query: str) -> str:
    if not question_mark:
        return ""
    pieces = []
    for piece in re.split(r"([&;])", query):
        name, equals, _value = piece.partition("=")
        if piece in ("&", ";", ""):
            pieces.append(piece)
        elif not equals or "@" in name:
            # A bare value ("?sk-…") may be the key itself; an "@" in a name, the rest of
            # a password cut at a "?".
            pieces.append(MASK)
        elif _SECRET_NAME.search(unquote_plus(name).lower()):
            pieces.append(f"{name}={MASK}")
        else:
            pieces.append(piece)
    return "?" + "".join(pieces)


def _masked_fragment(hash_mark: str, fragment: str) -> str:
    # A fragment never reaches a server, but OAuth puts access tokens there.
    return f"#{MASK}" if hash_mark and fragment else hash_mark
