"""Separating what a reply says from the history it quotes and the sender's signature."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Attribution lines that introduce quoted history, by their first word; a client may wrap
# them over up to three lines, so they are matched against a window of joined lines.
_ATTRIBUTIONS = (
    re.compile(r"^On\s.{0,400}\bwrote:$", re.IGNORECASE),  # English
    re.compile(r"^Am\s.{0,400}\bschrieb\b.{0,300}:$", re.IGNORECASE),  # German
    re.compile(r"^Le\s.{0,400}\ba\s+écrit\s*:$", re.IGNORECASE),  # French
    re.compile(r"^El\s.{0,400}\bescribió\s*:$", re.IGNORECASE),  # Spanish
    re.compile(r"^(Em|No dia)\s.{0,400}\bescreveu\s*:$", re.IGNORECASE),  # Portuguese
    re.compile(r"^Op\s.{0,400}\bschreef\b.{0,300}:$", re.IGNORECASE),  # Dutch
    re.compile(r"^Il (giorno )?.{0,400}\bha scritto\s*:$", re.IGNORECASE),  # Italian
    # "Ana Lima <ana@example.com> wrote:" and its translations, without a date.
    re.compile(r"^.{1,200}\s(wrote|schrieb|a\s+écrit|escribió|escreveu)\s*:$", re.IGNORECASE),
)
_ATTRIBUTION_START = re.compile(r"^(On|Am|Le|El|Em|No dia|Op|Il)\s", re.IGNORECASE)
_ATTRIBUTION_WINDOW = 3
_ATTRIBUTION_MAX_CHARACTERS = 1_000
_DATE_OR_ADDRESS = re.compile(r"\d|@")

_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|"
    r"Mensaje original|Mensagem original|Messaggio originale|Oorspronkelijk bericht)"
    r"\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FORWARD_MARKERS = (
    # Gmail and its translations, Thunderbird.
    re.compile(
        r"^\s*-{2,}\s*(Forwarded message|Forwarded Message|Weitergeleitete Nachricht|"
        r"Message transféré|Mensaje reenviado|Mensagem encaminhada|Messaggio inoltrato|"
        r"Doorgestuurd bericht)\s*-{2,}\s*$",
        re.IGNORECASE,
    ),
    # Apple Mail.
    re.compile(
        r"^\s*(Begin forwarded message|Anfang der weitergeleiteten Nachricht|"
        r"Début du message réexpédié|Inicio del mensaje reenviado|"
        r"Início da mensagem reencaminhada)\s*:\s*$",
        re.IGNORECASE,
    ),
)
# The first prefix decides: "Re: Fwd: …" answers a forward, "Fwd: Re: …" forwards a reply.
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|wg|tr|rv|enc|doorst)\s*:", re.IGNORECASE)
# Outlook's header block: "From:" followed closely by "Sent:"/"Date:", "To:", "Subject:".
_HEADER_FROM = re.compile(r"^\s*\*?(From|Von|De|Da|Van)\s*\*?\s*:\s*\S", re.IGNORECASE)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(Sent|Date|To|Cc|Subject|Gesendet|Datum|An|Betreff|Envoyé|À|Objet|Enviado|"
    r"Fecha|Para|Asunto|Data|Assunto|Inviato|Oggetto|Verzonden|Aan|Onderwerp)\s*\*?\s*:",
    re.IGNORECASE,
)
_SEPARATOR_LINE = re.compile(r"^\s*[_=-]{10,}\s*$")

_SIGNATURE_DELIMITER = "--"
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(Sent from my \w.{0,40}|Sent from (Outlook|Mail|Yahoo Mail|ProtonMail|Proton Mail)"
    r"\b.{0,40}|Get Outlook for \w.{0,20}|Sent with Proton Mail.{0,40}|"
    r"Von meinem \w.{0,30} gesendet|Gesendet von meinem \w.{0,30}|Envoyé de mon \w.{0,30}|"
    r"Enviado desde mi \w.{0,30}|Enviado do meu \w.{0,30}|Inviato da(l mio)? \w.{0,30})\s*$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^\s*(best|best regards|best wishes|kind regards|warm regards|warmest regards|regards|"
    r"many thanks|thanks|thanks again|thank you|thx|cheers|sincerely|yours sincerely|"
    r"yours truly|all the best|take care|talk soon|warmly|br|"
    r"viele grüße|viele grüsse|beste grüße|beste grüsse|liebe grüße|liebe grüsse|"
    r"mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|grüße|gruß|lg|vg|"
    r"cordialement|bien cordialement|bien à vous|merci|merci beaucoup|bonne journée|"
    r"amicalement|saludos|un saludo|saludos cordiales|atentamente|gracias|muchas gracias|"
    r"abraços|abraço|atenciosamente|obrigado|obrigada|cumprimentos)\s*[,.!]*\s*$",
    re.IGNORECASE,
)
_SIGNATURE_MAX_LINES = 6
_SIGNATURE_LINE_MAX_CHARACTERS = 80
# The line after a sign-off is a name ("Ana", "Ana Lima", "-- A."), not a sentence.
_NAME_MAX_WORDS = 5
_SENTENCE_MIN_WORDS = 3
# After a bare "--" (without the trailing space) only a short block counts as a signature:
# a longer one is more likely a divider inside the text.
_BARE_DELIMITER_MAX_LINES = 10


@dataclass(frozen=True)
class ReplyParts:
    new_text: str
    quoted: str
    signature: str


def split_reply(text: str, *, subject: str | None = None) -> ReplyParts:
    """Split a plain-text body into what the sender wrote now, the history it quotes and the
    sender's signature. A forwarded message is content the sender wants read, so it stays
    in `new_text`; `new_text` is never empty when `text` is not.

    Outlook forwards look exactly like its replies in the text (a "From: … Sent: …" block);
    pass the message's `subject` and a "FW:"/"Fwd:" subject makes that block a forward."""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = normalized.split("\n")
    forward = _first_forward_marker(lines)
    history = _first_history_header(lines, before=forward)
    if history is not None and subject is not None and _FORWARD_SUBJECT.match(subject):
        forward, history = history, None
    if history is not None:
        own, quoted = _split_at_history(lines, history)
        tail: list[str] = []
    elif forward is not None:
        own, quoted = _split_quote_marks(lines[:forward])
        tail = lines[forward:]
    else:
        own, quoted = _split_quote_marks(lines)
        tail = []
    own, signature = _split_signature(own)
    new_lines = _trim_blank(own)
    if tail:
        new_lines = [*new_lines, "", *tail] if new_lines else tail
    new_text = "\n".join(_trim_blank(new_lines))
    if not new_text.strip():
        # Everything looked quoted or like a signature: better to show it all than nothing.
        return ReplyParts(new_text=normalized.strip("\n") or text, quoted="", signature="")
    return ReplyParts(
        new_text=new_text,
        quoted="\n".join(_trim_blank(quoted)),
        signature="\n".join(_trim_blank(signature)),
    )


def _first_forward_marker(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if line.startswith(">"):
            continue
        if any(marker.match(line) for marker in _FORWARD_MARKERS):
            return index
    return None


def _first_history_header(lines: list[str], *, before: int | None) -> int | None:
    """Index of the first line that introduces quoted history (before a forward marker)."""
    end = len(lines) if before is None else before
    for index in range(end):
        line = lines[index].strip()
        if not line or line.startswith(">"):
            continue
        if _ORIGINAL_MESSAGE.match(line):
            return index
        if _is_attribution(lines, index, end):
            return index
        if _HEADER_FROM.match(line) and _is_header_block(lines, index, end):
            if index and _SEPARATOR_LINE.match(lines[index - 1]):
                return index - 1
            return index
    return None


def _is_attribution(lines: list[str], index: int, end: int) -> bool:
    line = lines[index].strip()
    if len(line) > _ATTRIBUTION_MAX_CHARACTERS:
        return False
    if not _ATTRIBUTION_START.match(line) and not line.endswith(":"):
        return False
    window: list[str] = []
    for offset in range(_ATTRIBUTION_WINDOW):
        if index + offset >= end:
            break
        part = lines[index + offset].strip()
        if not part or part.startswith(">"):
            break
        window.append(part)
        joined = " ".join(window)[:_ATTRIBUTION_MAX_CHARACTERS]
        if joined.endswith(":") and any(pattern.match(joined) for pattern in _ATTRIBUTIONS):
            # A date or an address makes it a client's attribution line; without either,
            # "On Monday I wrote:" is only believed when quoted lines follow.
            dated = _ATTRIBUTION_START.match(line) is not None and _DATE_OR_ADDRESS.search(joined)
            return bool(dated) or _quote_follows(lines, index + offset + 1)
    return False


def _quote_follows(lines: list[str], start: int) -> bool:
    """A dateless "… wrote:" only counts when quoted lines come right after it."""
    for line in lines[start : start + 3]:
        if line.strip():
            return line.startswith(">")
    return False


def _is_header_block(lines: list[str], index: int, end: int) -> bool:
    found = 0
    for line in lines[index + 1 : min(end, index + 6)]:
        if not line.strip():
            # Outlook puts no blank line inside the block; one may follow it.
            break
        if _HEADER_OTHER.match(line):
            found += 1
    return found >= 2


def _split_at_history(lines: list[str], header: int) -> tuple[list[str], list[str]]:
    """Own text before the header; after it, everything is history unless the history is
    marked with ">" and the sender answered below or between the quoted lines."""
    own, quoted = _split_quote_marks(lines[:header])
    rest = lines[header:]
    first_content = next((line for line in rest[1:] if line.strip()), "")
    if not first_content.startswith(">"):
        return own, [*quoted, *rest]
    below_own, below_quoted = _split_quote_marks(rest[1:])
    if not any(line.strip() for line in below_own):
        return own, [*quoted, *rest]
    return [*own, *below_own], [*quoted, rest[0], *below_quoted]


def _split_quote_marks(lines: list[str]) -> tuple[list[str], list[str]]:
    own: list[str] = []
    quoted: list[str] = []
    in_quote = False
    for line in lines:
        if line.startswith(">"):
            quoted.append(line)
            in_quote = True
        elif in_quote and not line.strip():
            # A blank line inside (or right after) a quoted block belongs to it.
            quoted.append(line)
        else:
            own.append(line)
            in_quote = False
    return own, quoted


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    if not end:
        return lines, []
    for index in range(end - 1, 0, -1):
        line = lines[index]
        if line.rstrip() == _SIGNATURE_DELIMITER:
            block = lines[index + 1 : end]
            if line == "-- " or len(block) <= _BARE_DELIMITER_MAX_LINES:
                return lines[:index], block
            break
    start = max(0, end - _SIGNATURE_MAX_LINES - 2)
    for index in range(start, end - 1):
        if _SIGN_OFF.match(lines[index]) and _is_short_block(lines[index + 1 : end]):
            return lines[: index + 1], lines[index + 1 : end]
    for index in range(max(1, end - 3), end):
        if _MOBILE_SIGNATURE.match(lines[index]):
            return lines[:index], lines[index:end]
    return lines, []


def _is_short_block(lines: list[str]) -> bool:
    """1–6 short lines that open with something name-like, not with a sentence."""
    content = [line.strip() for line in lines if line.strip()]
    if not 1 <= len(content) <= _SIGNATURE_MAX_LINES:
        return False
    if any(len(line) > _SIGNATURE_LINE_MAX_CHARACTERS for line in content):
        return False
    first = content[0]
    words = first.split()
    if len(words) > _NAME_MAX_WORDS or first.endswith(("?", ":")):
        return False
    return not (first.endswith((".", "!")) and len(words) >= _SENTENCE_MIN_WORDS)


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]
