"""Canonical forms of the identifiers people type: company web domains and email addresses."""

from __future__ import annotations

import re
import unicodedata

from compound.platform.errors import ValidationFailed

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP_LEVEL = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_EMAIL_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
MAX_DOMAIN_LENGTH = 253
MAX_EMAIL_LENGTH = 254


def _host_to_ascii(host: str, *, field: str, original: str) -> str:
    try:
        # Internationalized names are stored in their ASCII (punycode) form so that
        # "bücher.de" and "xn--bcher-kva.de" are the same company.
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationFailed(f"{original!r} is not a valid domain name", field=field) from None


def _check_host(host: str, *, field: str, original: str) -> str:
    if len(host) > MAX_DOMAIN_LENGTH:
        raise ValidationFailed(f"domain is longer than {MAX_DOMAIN_LENGTH} characters", field=field)
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValidationFailed(f"{original!r} is not a valid domain name", field=field)
    if not _TOP_LEVEL.match(labels[-1]):
        raise ValidationFailed(
            f"{original!r} is not a valid domain name (top-level {labels[-1]!r})", field=field
        )
    return host


def normalize_domain(value: str, *, field: str = "domain") -> str:
    """`https://WWW.Example.com/about?x=1` → `example.com`; ValidationFailed if not a domain."""
    original = value
    text = value.strip().lower()
    if not text:
        raise ValidationFailed("domain is empty", field=field)
    if len(text) > 2048:
        raise ValidationFailed("domain is longer than 2048 characters", field=field)
    if any(character.isspace() for character in text):
        raise ValidationFailed(f"{original!r} is not a valid domain name", field=field)
    if "://" in text:
        scheme, text = text.split("://", 1)
        if scheme not in {"http", "https"}:
            raise ValidationFailed(
                f"{original!r} is not a web address (scheme {scheme!r})", field=field
            )
    elif text.startswith("//"):
        text = text[2:]
    host = re.split(r"[/?#]", text, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]  # drop user:password@
    if host.startswith("["):
        raise ValidationFailed(f"{original!r} is an IP address, not a domain", field=field)
    host = host.split(":", 1)[0].rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if re.fullmatch(r"[0-9.]+", host):
        raise ValidationFailed(f"{original!r} is an IP address, not a domain", field=field)
    host = _host_to_ascii(host, field=field, original=original)
    return _check_host(host, field=field, original=original)


def normalize_email(value: str, *, field: str = "email") -> str:
    """`  Ada.Lovelace@Example.COM ` → `ada.lovelace@example.com`; raises ValidationFailed."""
    original = value
    text = value.strip().lower()
    if not text:
        raise ValidationFailed("email address is empty", field=field)
    if len(text) > MAX_EMAIL_LENGTH:
        raise ValidationFailed(
            f"email address is longer than {MAX_EMAIL_LENGTH} characters", field=field
        )
    if text.count("@") != 1:
        raise ValidationFailed(f"{original!r} is not an email address", field=field)
    local, host = text.split("@")
    if not _EMAIL_LOCAL.match(local) or local.startswith(".") or local.endswith("."):
        raise ValidationFailed(f"{original!r} is not an email address", field=field)
    if ".." in local:
        raise ValidationFailed(f"{original!r} is not an email address", field=field)
    host = _host_to_ascii(host.rstrip("."), field=field, original=original)
    return f"{local}@{_check_host(host, field=field, original=original)}"


def email_domain(email: str) -> str:
    """The domain part of an already-normalized address."""
    return email.rsplit("@", 1)[1]


_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"}


def registrable_domain(domain: str) -> str:
    """mail.eu.acme.io → acme.io; shop.acme.co.uk → acme.co.uk (no public-suffix list:
    the common two-label suffixes are enough to name a company)."""
    labels = domain.lower().strip(".").split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


# Words that name a company's legal form, not the company: "Kestrel Systems GmbH" is
# "Kestrel Systems".
LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "ug",
        "sa",
        "sas",
        "sarl",
        "sasu",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "oy",
        "oyj",
        "as",
        "asa",
        "aps",
        "pty",
        "kk",
        "ltda",
        "sl",
        "sro",
        "doo",
        "pvt",
        "pte",
        "private",
        "ou",
        "dac",
        "lda",
        "spa",
        "sp",
        "zoo",
        "kft",
        "ehf",
    ]
)
# Words people add to or drop from a name at will: "Kestrel AI", "Kestrel Labs", "Kestrel HQ".
NAME_VARIANT_SUFFIXES = frozenset(
    [
        "ai",
        "labs",
        "lab",
        "hq",
        "app",
        "apps",
        "io",
        "technologies",
        "technology",
        "tech",
        "software",
        "group",
        "holdings",
    ]
)
_NOT_A_NAME_CHARACTER = re.compile(r"[^0-9a-z]+")
# Letters NFKD does not take apart: "Søndervig" is written "Sondervig" too.
_FOLDED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ß": "ss", "þ": "th"})
# Dots and slashes inside legal forms: S.p.A., B.V., A/S, Sp. z o.o.
_INSIDE_ABBREVIATIONS = re.compile(r"(?<=\b\w)[./](?=\w\b)|(?<=\b\w)\.(?=\s|$)")


def company_name_key(name: str) -> str:
    """What two spellings of one company name have in common: `Kestrel Systems GmbH`,
    `kestrel-systems` and `Kestrel Systems, Inc.` → `kestrelsystems`; `Northwind AI` and
    `Northwind Labs` → `northwind`. Case, accents, punctuation, spacing, legal forms and
    the AI/Labs/HQ-style suffixes do not count. "" for a name made only of those."""
    text = unicodedata.normalize("NFKD", name.casefold().translate(_FOLDED))
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("&", " and ")
    text = _INSIDE_ABBREVIATIONS.sub("", text)
    words = [w for w in _NOT_A_NAME_CHARACTER.split(text) if w]
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES | NAME_VARIANT_SUFFIXES:
        words.pop()
    return "".join(words)
