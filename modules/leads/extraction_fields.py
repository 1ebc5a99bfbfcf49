"""One list entry of a deal-flow email cut into pieces, and each piece put in its field
(website, stage, sector, place, one-liner); the stage and sector a label names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from compound.modules.leads.contract import LOCATION_MAX, ONE_LINER_MAX, Sector, Stage
from compound.modules.leads.extraction_vocabulary import (
    ABBREVIATIONS,
    BULLET,
    BUYER,
    CAPITALIZED_RUN,
    CONNECTORS,
    FILE_EXTENSIONS,
    LINK_LABELS,
    MARKDOWN_LINK,
    NAME_WORDS_MAX,
    NON_SPACE,
    NOT_A_SITE,
    NOT_A_SITE_PHRASE,
    NOT_NAMES,
    PARENTHESES,
    PLACE_CONNECTORS,
    PROFILE_HOSTS,
    PRONOUN_LEAD,
    REFERRAL,
    SECTOR_LABELS,
    SECTOR_PATTERNS,
    STAGE,
    STAGE_TOKEN,
    STRONG_SEPARATOR,
    TOKEN_MAX,
    URL,
    WIDE_SPACE,
)
from compound.platform.errors import ValidationFailed
from compound.platform.normalize import (
    LEGAL_SUFFIXES,
    company_name_key,
    normalize_domain,
    registrable_domain,
)

# -- small helpers ------------------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    return text.split()


def stage_of(text: str, *, growth_word: bool = True) -> Stage | None:
    """The funding stage a label or phrase states ("Series C" → growth), or None."""
    for match in STAGE.finditer(text):
        if match.group("pre"):
            return Stage.PRE_SEED
        if match.group("seed"):
            return Stage.SEED
        letter = match.group("series")
        if letter:
            letter = letter.lower()
            return {"a": Stage.SERIES_A, "b": Stage.SERIES_B}.get(letter, Stage.GROWTH)
        if match.group("growth") and growth_word:
            return Stage.GROWTH
    return None


def sector_label(text: str) -> Sector | None:
    """The sector a label names ("Dev Tools", "AI Infra", "Food"), or None."""
    plain = " ".join(re.sub(r"[^\w&/ -]", " ", text.casefold()).replace("&", "and").split())
    if plain in SECTOR_LABELS:
        return SECTOR_LABELS[plain]
    for part in re.split(r"\s*[/,]\s*|\s+and\s+", plain):
        if part in SECTOR_LABELS:
            return SECTOR_LABELS[part]
    return None


def heading_sector(heading: str) -> Sector | None:
    """The sector a heading names as a whole (`HEALTH`, `ENERGIA`); a heading grouping several
    (`FOOD & RETAIL`) labels nothing."""
    plain = " ".join(re.sub(r"[^\w&/ -]", " ", heading.casefold()).split())
    return SECTOR_LABELS.get(plain.strip("-_ "))


def judge_sector(one_liner: str) -> Sector | None:
    """The sector a one-liner's words point to; OTHER when none does, None when it is empty."""
    if not one_liner.strip():
        return None
    text = one_liner[:ONE_LINER_MAX]
    # What is sold ("phishing simulation") says more than who buys it ("for dental clinics").
    buyer = BUYER.search(text)
    product_end = buyer.start() if buyer else len(text)
    scores: dict[Sector, tuple[int, int]] = {}
    for sector, weight, pattern in SECTOR_PATTERNS:
        for match in pattern.finditer(text):
            points = weight * (2 if match.start() < product_end else 1)
            score, first = scores.get(sector, (0, match.start()))
            scores[sector] = (score + points, min(first, match.start()))
    if not scores:
        return Sector.OTHER
    # Equal scores: the sector named first in the one-liner, then the table's order.
    return max(scores, key=lambda sector: (scores[sector][0], -scores[sector][1]))


def is_not_a_site(text: str) -> bool:
    plain = " ".join(text.casefold().strip(" .()").split())
    return plain in NOT_A_SITE


@lru_cache(maxsize=16_384)
def url_token(token: str) -> str | None:
    """The token itself when it is a web address written in an email, else None."""
    token = token.strip("<>()[]'\".,;:!")
    if not token or len(token) > TOKEN_MAX or "@" in token:
        return None
    if not URL.fullmatch(token):
        return None
    lowered = token.lower()
    explicit = lowered.startswith(("http://", "https://", "www."))
    without_scheme = re.sub(r"^https?://", "", token, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", without_scheme, maxsplit=1)[0]
    top = host.rsplit(".", 1)[-1]
    if top.lower() in FILE_EXTENSIONS and not explicit:
        return None
    # "founders.They" is a missing space, not a domain.
    if not explicit and not (top.islower() or top.isupper()):
        return None
    return token


@dataclass
class _Site:
    host: str = ""
    note: str = ""
    present: bool = False
    """The email wrote something in the website place (a site or a non-site)."""


def site_from(text: str, own_domains: frozenset[str]) -> _Site | None:
    """What a website field says: a host, a non-site with a note, or None when the text is
    neither (or a tracking link of the sender, which says nothing about the company)."""
    value = text.strip()
    if is_not_a_site(value):
        return _Site(note=f"url {value!r} is not a website", present=True)
    token = url_token(value)
    if token is None:
        return None
    try:
        host = normalize_domain(token, field="url")
    except ValidationFailed:
        return _Site(note=f"url {value!r} is not a website", present=True)
    registrable = registrable_domain(host)
    if registrable in own_domains:
        return None
    if registrable in PROFILE_HOSTS:
        return _Site(note=f"url {value!r} is a profile page, not a website", present=True)
    return _Site(host=host, present=True)


def clean_markup(text: str) -> str:
    def link(match: re.Match[str]) -> str:
        label, href = match.group(1), match.group(2)
        return label if url_token(label) else f"{label} ({href})"

    text = MARKDOWN_LINK.sub(link, text)
    return text.replace("**", "").replace("__", "").replace("`", "")


def _strip_piece(text: str) -> str:
    return text.strip(" \t,;:|-–—·•/").strip()


def clean_name(text: str) -> str:
    name = BULLET.sub("", text, count=1) if BULLET.match(text) else text
    name = _strip_piece(name).strip("\"'“”‘’*_")
    name = LINK_LABELS.sub("", name).strip()
    if name.endswith(".") and not name.endswith(".."):
        last = name[:-1].rsplit(" ", 1)[-1].casefold().replace(".", "")
        if last not in LEGAL_SUFFIXES:
            name = name[:-1].rstrip()
    return name


def starts_upper(word: str) -> bool:
    word = word.lstrip("(\"'“‘")
    if word[:2].lower() in ("d'", "l'", "d’", "l’"):
        word = word[2:]
    return bool(word) and (word[0].isupper() or word[0].isdigit())


def valid_name(name: str) -> bool:
    words = words_of(name)
    if not words or len(words) > NAME_WORDS_MAX or not name[0].isalnum():
        return False
    plain = name.casefold().strip(" .:")
    if plain in NOT_NAMES or "@" in name or url_token(name):
        return False
    if words[0].casefold().strip(".:()") in {"tbd", "tba", "n/a", "unknown", "unnamed", "?"}:
        return False
    if len(words) == 1:
        return any(character.isalpha() for character in name) and len(name) <= 40
    for word in words:
        if word.casefold() in CONNECTORS or word.startswith("("):
            continue
        if not starts_upper(word):
            return False
    return True


def looks_like_place(text: str) -> bool:
    text = text.strip()
    words = words_of(text.replace(",", " "))
    if not 1 <= len(words) <= 5 or len(text) > 60:
        return False
    if any(character.isdigit() for character in text) or url_token(text):
        return False
    if stage_of(text) or sector_label(text) or is_not_a_site(text):
        return False
    if words[0] in PLACE_CONNECTORS:
        return False
    return all(word in PLACE_CONNECTORS or starts_upper(word) for word in words)


def _is_region_code(text: str) -> bool:
    text = text.strip()
    return 2 <= len(text) <= 3 and text.isalpha() and text.isupper()


def descriptive(text: str) -> bool:
    return len(words_of(text)) >= 2 and any(character.isalpha() for character in text)


# -- splitting a list entry into pieces ---------------------------------------------------------


def split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in re.finditer(r"[.!?]\s+", text):
        before = text[start : match.start()].rsplit(" ", 1)[-1].casefold().strip("(")
        if match.group().startswith(".") and (
            before in ABBREVIATIONS or (len(before) == 1 and before.isalpha())
        ):
            continue
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _split_parentheses(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in PARENTHESES.finditer(text):
        content = match.group(1).strip()
        if not (
            url_token(content)
            or is_not_a_site(content)
            or stage_of(content)
            or looks_like_place(content)
        ):
            continue
        pieces.extend([text[start : match.start()], content])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _split_tokens(text: str) -> list[str]:
    """Cut web addresses, non-site phrases and capitalized stage words out of a piece."""
    pieces: list[str] = []
    start = 0
    for match in NON_SPACE.finditer(text):
        if url_token(match.group()):
            pieces.extend([text[start : match.start()], match.group()])
            start = match.end()
    pieces.append(text[start:])
    result: list[str] = []
    for piece in pieces:
        if url_token(piece.strip()):
            result.append(piece)
            continue
        for part in _cut(piece, NOT_A_SITE_PHRASE):
            result.extend(_cut_stage(part) if len(words_of(part)) >= 3 else [part])
    return result


def _cut_stage(text: str) -> list[str]:
    """`… employers Seed Bend, OR` → the description, the stage and the place (a table row
    whose cells were joined with spaces); a stage inside a sentence stays where it is."""
    for match in STAGE_TOKEN.finditer(text):
        before, after = text[: match.start()], text[match.end() :].strip(" ,")
        if before.strip() and (not after or looks_like_place(after)):
            return [before, match.group(), after]
    return [text]


def _cut(text: str, pattern: re.Pattern[str]) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        pieces.extend([text[start : match.start()], match.group()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


@lru_cache(maxsize=4_096)
def entry_pieces(text: str) -> tuple[str, ...]:
    """A list entry cut at its separators: `Name (url) — what. Stage · City` → five pieces."""
    text = WIDE_SPACE.sub("  ", REFERRAL.sub("", clean_markup(text)))
    pieces: list[str] = []
    for index, segment in enumerate(STRONG_SEPARATOR.split(text)):
        for part in _split_parentheses(segment):
            for token_piece in _split_tokens(part):
                first = not pieces and index == 0
                colon = token_piece.find(": ")
                if colon > 0 and len(words_of(token_piece[:colon])) <= (6 if first else 4):
                    halves = [token_piece[:colon], token_piece[colon + 2 :]]
                else:
                    halves = [token_piece]
                for half in halves:
                    for sentence in [half] if first else split_sentences(half):
                        sentence = _strip_piece(sentence)
                        if sentence:
                            pieces.append(sentence)
                    first = False
    return tuple(pieces)


# -- reading the fields of an entry -------------------------------------------------------------


@dataclass
class Draft:
    name: str
    start: int
    end: int
    url: str = ""
    one_liner: str = ""
    sector: Sector | None = None
    stage: Stage | None = None
    location: str = ""
    notes: list[str] = field(default_factory=list)
    site_present: bool = False
    structured: bool = True

    def fill(self, other: Draft) -> None:
        """Take what this draft lacks from another mention of the same company."""
        if not self.url and other.url:
            self.url = other.url
        self.one_liner = self.one_liner or other.one_liner
        self.sector = self.sector if self.sector not in (None, Sector.OTHER) else other.sector
        self.stage = self.stage or other.stage
        self.location = self.location or other.location
        for note in other.notes:
            if note not in self.notes and not (self.url and note.startswith("url ")):
                self.notes.append(note)


@dataclass
class Fields:
    url: str = ""
    site_present: bool = False
    notes: list[str] = field(default_factory=list)
    one_liner: str = ""
    label: Sector | None = None
    stage: Stage | None = None
    stage_present: bool = False
    location: str = ""

    def take(self, role: str, text: str, own: frozenset[str]) -> bool:
        """Record `text` in `role`; False when it does not fit there."""
        text = text.strip()
        if not text:
            return False
        if role == "url":
            site = site_from(text, own)
            if site is None:
                return False
            if not self.site_present:
                self.url, self.site_present = site.host, True
                if site.note:
                    self.notes.append(site.note)
            return True
        if role == "stage":
            if not self.stage_present:
                self.stage, self.stage_present = stage_of(text), True
            return True
        if role == "sector":
            self.label = self.label or sector_label(text)
            return True
        if role == "location":
            self.location = self.location or text[:LOCATION_MAX]
            return True
        if role == "one_liner":
            self.one_liner = self.one_liner or PRONOUN_LEAD.sub("", text)[:ONE_LINER_MAX]
            return True
        return False

    def classify(self, piece: str, own: frozenset[str]) -> None:
        """Put a piece of a list entry where it belongs, peeling `…, Seed, Denver, CO` off
        the end of a descriptive piece."""
        if self._simple(piece, own):
            return
        parts = [(m.start(), m.end()) for m in re.finditer(r"[^,]+", piece)]
        tail: list[tuple[str, str]] = []
        while len(parts) > 1:
            last = piece[parts[-1][0] : parts[-1][1]].strip()
            before = piece[parts[-2][0] : parts[-2][1]].strip()
            # "Denver, CO" and "Córdoba, Argentina" are one place.
            if (
                _is_region_code(last) or (len(parts) == 2 and looks_like_place(last))
            ) and looks_like_place(before):
                tail.insert(0, ("location", piece[parts[-2][0] : parts[-1][1]].strip()))
                parts = parts[:-2]
                continue
            kind = self._kind(last)
            if kind is None:
                break
            tail.insert(0, (kind, last))
            parts.pop()
        head = _strip_piece(piece[: parts[-1][1]]) if parts else ""
        if tail and head:
            if not self._simple(head, own) and descriptive(head):
                self.take("one_liner", head, own)
        elif descriptive(piece) and not re.match(r"^stage\b", piece, re.IGNORECASE):
            self.take("one_liner", piece, own)
        for kind, text in tail:
            if kind != "junk":
                self.take(kind, text, own)

    def _kind(self, piece: str) -> str | None:
        if url_token(piece) or is_not_a_site(piece):
            return "url"
        if len(words_of(piece)) <= 3 and "," not in piece and stage_of(piece):
            return "stage"
        # "raising their Series A", "at seed"
        if (
            len(words_of(piece)) <= 6
            and re.match(r"^(?:raising|closing|opening|at)\b", piece, re.IGNORECASE)
            and stage_of(piece)
        ):
            return "stage"
        if re.match(r"^(?:stage\b|\?+$)", piece, re.IGNORECASE):
            return "junk"
        if sector_label(piece):
            return "sector"
        if looks_like_place(piece):
            return "location"
        return None

    def _simple(self, piece: str, own: frozenset[str]) -> bool:
        kind = self._kind(piece)
        if kind == "junk":
            return True
        if kind is None:
            return False
        if kind == "location" and self.location:
            return True  # a second place-like piece (a trailing remark) adds nothing
        return self.take(kind, piece, own) or kind != "url"


def entry_from_pieces(
    pieces: list[str], roles: list[str] | None, own: frozenset[str]
) -> tuple[str, Fields] | None:
    """The name and fields of one list entry, or None when it is not a company entry."""
    fields = Fields()
    if roles is not None and len(roles) == len(pieces):
        name = ""
        for role, piece in zip(roles, pieces, strict=True):
            if role == "name":
                name = name or piece
            else:
                fields.take(role, piece, own)
        name = clean_name(name)
        return (name, fields) if valid_name(name) else None
    if not pieces:
        return None
    rest = list(pieces)
    head = rest.pop(0)
    if (url_token(head) or is_not_a_site(head)) and rest and not _dotted_name(head):
        fields.take("url", head, own)
        head = rest.pop(0)
    name = clean_name(head)
    if _dotted_name(head):
        name = head.strip()
    elif not valid_name(name):
        # "3Loop is worth a look too: 3loop.co — …": the capitalized words that open the
        # piece are the name when the entry's website spells them.
        hosts = [url_token(piece) for piece in rest[:2]]
        keys = {company_name_key(host.split("//")[-1].split(".")[0]) for host in hosts if host}
        keys.discard("")
        runs = (match.group() for match in CAPITALIZED_RUN.finditer(head[:300]))
        name = next((run for run in runs if keys and company_name_key(run) in keys), "")
        if not valid_name(name):
            return None
    for piece in rest:
        fields.classify(piece, own)
    return name, fields


def _dotted_name(text: str) -> bool:
    """`Tenfold.ai`, `Nodewell.io`: a capitalized bare host written as a company's name."""
    text = text.strip()
    return (
        bool(text[:1].isupper())
        and "/" not in text
        and not text.lower().startswith("www.")
        and url_token(text) == text
    )


def is_entry(fields: Fields, *, list_item: bool, name: str, listed: bool = False) -> bool:
    """A company entry has a website place or a stage, and something besides; or it is one
    of a list of lines shaped alike (extraction_shapes.py) and says what the company does."""
    anchors = int(fields.site_present) + int(fields.stage_present)
    others = sum(bool(value) for value in (fields.one_liner, fields.location, fields.label))
    if listed and fields.one_liner:
        return True
    if anchors == 0:
        return False
    if anchors + others >= 2:
        return True
    # `Acme (acme.io)` alone is an entry when it is a list item or a short name.
    return bool(fields.url) and (list_item or len(words_of(name)) <= 4)
