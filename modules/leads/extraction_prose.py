"""Companies pitched in prose paragraphs rather than lists: a capitalized name followed by
what it does, with the stage and place said around it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from compound.modules.leads.contract import ONE_LINER_MAX, DealFlowEmail
from compound.modules.leads.extraction_fields import (
    Draft,
    Fields,
    judge_sector,
    looks_like_place,
    site_from,
    split_sentences,
    stage_of,
    starts_upper,
    valid_name,
    words_of,
)
from compound.modules.leads.extraction_layouts import Line, Reader, email_lines
from compound.modules.leads.extraction_vocabulary import (
    BULLET,
    CAPITALIZED_RUN,
    CONNECTORS,
    DESCRIPTION_END,
    DOES,
    IS_DESCRIPTION,
    LINE_MAX,
    MAX_CANDIDATES,
    NAME_DOES,
    PRONOUN_DOES,
    RAISING,
    SENTENCE_STARTERS,
    SUPPORT_ORG,
    TRAILING_PLACE,
)
from compound.platform.normalize import company_name_key


def _prose_name(text: str) -> tuple[str, str]:
    """The capitalized words a sentence opens with, and the rest of it."""
    words = text.split(" ")
    taken: list[str] = []
    for position, word in enumerate(words[:8]):
        plain = word.rstrip(",:;")
        lowered = plain.casefold()
        if not plain:
            break
        joins = lowered in ("&", "de", "of", "and") and taken and position + 1 < len(words)
        if not (starts_upper(plain) or joins):
            break
        taken.append(plain)
        if plain != word:
            break
    while taken and taken[-1].casefold() in CONNECTORS:
        taken.pop()
    name = " ".join(taken)
    return name, text[len(name) :].lstrip(" ,:;")


def _prose_place(paragraph: str, name: str) -> str:
    for pattern in (
        r"\bbased in ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)",
        r"\bout of ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)",
        r"\b([A-Z][\w'’]+(?: [A-Z][\w'’]+)?)-based\b",
        r"(?:\bis|,) an? ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) (?:[\w-]+ )?(?:company|startup|team)\b",
    ):
        match = re.search(pattern, paragraph)
        if match and match.group(1) not in name:
            words = match.group(1).split()
            if len(words) > 1 and words[0].casefold() in SENTENCE_STARTERS:
                words = words[1:]  # "The Dublin-based team"
            return " ".join(words)
    for sentence in split_sentences(paragraph):
        if not stage_of(sentence, growth_word=False):
            continue
        for fragment in re.split(r",\s*|\s+[—–]\s+", sentence):
            fragment = fragment.strip(" .")
            if looks_like_place(fragment) and fragment not in name:
                return fragment
    return ""


def _prose_mention(paragraph: str, *, strict: bool) -> tuple[str, Fields] | None:
    """`Sorrel Systems builds scheduling software …; Dublin; seed` from a prose paragraph."""
    text = " ".join(BULLET.sub("", paragraph, count=1).split())[:LINE_MAX]
    first = split_sentences(text)[0]
    colon = first.find(": ")
    if 0 < colon < 60 and not valid_name(first[:colon]):
        text = text[colon + 2 :]  # "Finally, a later-stage one: Castellan …"
    name, rest = _prose_name(text)
    if not name or not valid_name(name) or len(words_of(name)) > 6:
        return None
    if name.split()[0].casefold() in SENTENCE_STARTERS:
        return None
    if rest.startswith(("based in", "out of", "a ", "an ", "the ")) and "," in rest[:80]:
        rest = rest.split(",", 1)[1].lstrip()  # ", based in Madrid, is raising …"
    sentence = re.split(r"(?<=[a-z0-9)])[.!?]\s|\s[—–]\s|;\s", rest, maxsplit=1)[0]
    fields = Fields()
    verb = DOES.search(sentence)
    before = sentence[: verb.start()] if verb else ""
    if verb and len(words_of(before)) <= 10 and not re.search(r"\b(?:was|were|has|had)\b", before):
        liner = sentence[verb.end() :]
    elif not strict and IS_DESCRIPTION.match(sentence):
        liner = IS_DESCRIPTION.sub("", sentence)
    else:
        return None
    liner = liner.strip(" .,")
    trailing_place = TRAILING_PLACE.search(liner)
    if trailing_place:
        liner = liner[: trailing_place.start()]
    fields.one_liner = liner[:ONE_LINER_MAX]
    fields.stage = stage_of(text, growth_word=False)
    fields.stage_present = fields.stage is not None
    fields.location = _prose_place(text, name) or (
        trailing_place.group(1) if trailing_place else ""
    )
    if strict and (
        not (fields.stage or RAISING.search(text)) or SUPPORT_ORG.search(name) or not liner
    ):
        return None
    return name, fields


def _prose_units(lines: list[Line], used: set[int]) -> Iterator[tuple[int, int, str]]:
    """Paragraphs (and each list item on its own) of lines that were not list entries."""
    current: list[int] = []
    for index, line in enumerate([*lines, Line(0, 0, "")]):
        item = bool(BULLET.match(line.body)) and not line.decoration
        if line.blank or index in used or item or line.decoration:
            if current:
                yield (
                    lines[current[0]].start,
                    lines[current[-1]].end,
                    " ".join(lines[i].body.strip() for i in current),
                )
            current = [index] if item and index not in used else []
            continue
        current.append(index)


def same_company(draft: Draft, name: str) -> bool:
    key = company_name_key(name)
    if not key:
        return False
    if company_name_key(draft.name) == key:
        return True
    # "Ortolan" in a note means the list's "Ortolan Health".
    first = company_name_key(draft.name.split()[0])
    return len(words_of(name)) == 1 and first == key and len(key) >= 4


def _described(after: str, following: str) -> str | None:
    """What a company does, from the words after its name in a sentence (`, which has built
    …`, ` makes …`, `, a Porto company working on …`) or from the next sentence when this one
    ends on the name (`… is Quillon Robotics. They make …`)."""
    if after.strip(" .!:") == "" and following:
        match = PRONOUN_DOES.match(following)
    else:
        match = NAME_DOES.match(after)
    if match is None:
        return None
    what = match.group("what") or match.groupdict().get("what2") or ""
    liner = DESCRIPTION_END.split(what, maxsplit=1)[0]
    return liner.strip(" .,;:") or None


@dataclass(frozen=True)
class _Pitch:
    """A company a prose sentence names and says what it does."""

    position: int
    """The index of the sentence that names it."""
    name: str
    liner: str
    offset: int
    """Where the name starts in its sentence."""
    url: str
    """What the parentheses after the name hold (`Pinewood Labs (pinewood.ai)`), or ""."""


def _prose_sentences(text: str) -> list[tuple[str, Fields]]:
    """Every company a prose paragraph pitches, sentence by sentence: a capitalized name
    followed by what it does, with the stage and place said before the next company."""
    sentences = [sentence.strip() for sentence in split_sentences(text[:LINE_MAX])]
    pitches = _pitches(sentences)
    mentions: list[tuple[str, Fields]] = []
    for number, pitch in enumerate(pitches):
        end = pitches[number + 1].position if number + 1 < len(pitches) else len(sentences)
        # From the name to the sentence before the next company: its stage and place.
        parts = [sentences[pitch.position][pitch.offset :], *sentences[pitch.position + 1 : end]]
        fields = _pitch_fields(pitch, ". ".join(parts))
        if fields is not None:
            mentions.append((pitch.name, fields))
    return mentions


def _pitches(sentences: list[str]) -> list[_Pitch]:
    """The first company each sentence describes, once per company."""
    found: list[_Pitch] = []
    for position, sentence in enumerate(sentences[:100]):
        following = sentences[position + 1] if position + 1 < len(sentences) else ""
        pitch = _sentence_pitch(sentence, position, following)
        if pitch is not None and not any(
            company_name_key(pitch.name) == company_name_key(known.name) for known in found
        ):
            found.append(pitch)
    return found


def _sentence_pitch(sentence: str, position: int, following: str) -> _Pitch | None:
    for run in CAPITALIZED_RUN.finditer(sentence[:1_000]):
        name = _run_name(run.group())
        if name is None:
            continue
        after = sentence[run.end() : run.end() + 1_000]
        site = re.match(r"\s*\(([^()]{1,120})\)", after)  # `Pinewood Labs (pinewood.ai) builds`
        if site:
            after = after[site.end() :]
        liner = _described(after, following)
        # "…, which makes seed investments": an investor describing itself.
        if liner is None or re.search(r"\binvest", liner, re.IGNORECASE):
            continue
        return _Pitch(position, name, liner, run.start(), site.group(1) if site else "")
    return None


def _run_name(run: str) -> str | None:
    """The company name a run of capitalized words spells once the words that open any
    sentence are dropped (`Then Marlinspike`), or None when it spells none."""
    words = run.split(" ")
    while words and words[0].casefold().strip("'’") in SENTENCE_STARTERS:
        words.pop(0)
    name = " ".join(words)
    if (
        not name
        or len(words) > 5
        or not valid_name(name)
        or SUPPORT_ORG.search(name)
        or (len(name) < 3 and not name[:1].isdigit())
    ):
        return None
    return name


def _pitch_fields(pitch: _Pitch, segment: str) -> Fields | None:
    """The fields of a pitched company from its segment of the paragraph; None when the
    segment says nothing of a round (a company mentioned, not offered)."""
    stage = stage_of(segment, growth_word=False)
    if stage is None and not RAISING.search(segment):
        return None
    fields = Fields(stage=stage, stage_present=stage is not None)
    website = site_from(pitch.url, frozenset()) if pitch.url else None
    fields.url = website.host if website else ""
    liner = pitch.liner
    trailing = TRAILING_PLACE.search(liner)
    if trailing:
        liner = liner[: trailing.start()]
    fields.one_liner = liner[:ONE_LINER_MAX]
    fields.location = _prose_place(segment, pitch.name) or (trailing.group(1) if trailing else "")
    return fields


def _prose_draft(name: str, fields: Fields, start: int, end: int) -> Draft:
    return Draft(
        name=name,
        start=start,
        end=end,
        url=fields.url,
        one_liner=fields.one_liner,
        sector=judge_sector(fields.one_liner),
        stage=fields.stage,
        location=fields.location,
        structured=False,
    )


def read_prose(email: DealFlowEmail, reader: Reader) -> None:
    lines = email_lines(email.text)
    for start, end, text in _prose_units(lines, reader.used):
        if len(reader.drafts) >= MAX_CANDIDATES:
            return
        # A paragraph that pitches several companies is read sentence by sentence.
        several = _prose_sentences(text) if len(text) > 40 else []
        if len(several) >= 2 or (several and _prose_mention(text, strict=False) is None):
            _add_pitched(reader, several, start, end)
        else:
            _add_mentioned(reader, text, start, end)


def _known(reader: Reader, name: str) -> Draft | None:
    return next((draft for draft in reader.drafts if same_company(draft, name)), None)


def _add_pitched(reader: Reader, mentions: list[tuple[str, Fields]], start: int, end: int) -> None:
    for name, fields in mentions:
        mention = _prose_draft(name, fields, start, end)
        known = _known(reader, name)
        if known is not None:
            known.fill(mention)
        elif len(reader.drafts) < MAX_CANDIDATES:
            reader.drafts.append(mention)


def _add_mentioned(reader: Reader, text: str, start: int, end: int) -> None:
    # A paragraph that reads like a pitch is a candidate of its own; a looser mention
    # ("Ortolan is shift swapping for …") only adds to a company the list names.
    found = _prose_mention(text, strict=True)
    standalone = found is not None
    found = found or _prose_mention(text, strict=False)
    if found is None:
        return
    name, fields = found
    mention = _prose_draft(name, fields, start, end)
    known = _known(reader, name)
    if known is not None:
        known.fill(mention)
    elif standalone:
        reader.drafts.append(mention)
