"""Reading body text in the charset a message declares, as mail clients and browsers read
it: aliases for labels Python names otherwise, supersets for what senders really use, and
lenient fallbacks (each one reported) for labels that lie."""

from __future__ import annotations

import codecs
from collections.abc import Callable

# Labels that mail software writes for a charset Python knows by another name, or where the
# real-world encoding is a superset of the declared one (as browsers read them too).
_CHARSET_ALIASES = {
    "gb2312": "gbk",
    "x-gbk": "gbk",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "x-mac-roman": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "ascii",
}
# Codecs that are not a way of writing text: they would turn a body into something else.
_REFUSED_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem"}
)


def decode_text(data: bytes, charset: str | None, where: str, defect: Callable[[str], None]) -> str:
    """`data` as text in its declared `charset`, leniently: a wrong or unknown label falls back
    to UTF-8, then Windows-1252, and each fallback is reported through `defect`."""
    label = (charset or "").strip().strip("\"'").lower()
    if not label or label in ("ascii", "us-ascii", "ansi_x3.4-1968"):
        if data.isascii():
            return data.decode("ascii")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            defect(f"{where}: 8-bit text without a charset, read as windows-1252")
            return decode_single_byte(data)
        if label:
            defect(f"{where}: declared {label} but has 8-bit bytes, read as utf-8")
        return text
    codec = _codec(label)
    if codec is None:
        try:
            text = data.decode("utf-8")
            defect(f"{where}: unknown charset {label!r}, read as utf-8")
        except UnicodeDecodeError:
            text = decode_single_byte(data)
            defect(f"{where}: unknown charset {label!r}, read as windows-1252")
        return text
    if codec == "cp1252":
        return decode_single_byte(data)
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        pass
    if codec != "utf-8":
        try:
            text = data.decode("utf-8")
            defect(f"{where}: declared {label} but is utf-8")
            return text
        except UnicodeDecodeError:
            pass
    defect(f"{where}: invalid {label} bytes replaced")
    try:
        return data.decode(codec, errors="replace")
    except Exception:
        return data.decode("utf-8", errors="replace")


def _codec(label: str) -> str | None:
    name = _CHARSET_ALIASES.get(label, label)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if info.name in _REFUSED_CODECS or info.name.replace("-", "_") in _REFUSED_CODECS:
        return None
    try:
        "".encode(info.name)
        b"".decode(info.name)
    except Exception:
        return None  # a bytes-to-bytes codec such as base64 or zlib
    return _CHARSET_ALIASES.get(info.name, info.name)


def decode_single_byte(data: bytes) -> str:
    """Windows-1252, as browsers read Latin-1; its five undefined bytes as Latin-1."""
    return data.decode("cp1252", errors=_LATIN1_FALLBACK)


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    undefined = error.object[error.start : error.end]
    return "".join(chr(byte) for byte in undefined), error.end


_LATIN1_FALLBACK = "compound-latin1-fallback"
codecs.register_error(_LATIN1_FALLBACK, _latin1_fallback)
