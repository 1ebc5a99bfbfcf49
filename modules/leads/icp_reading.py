"""Reading an ICP written as a sentence ("AI-first B2B startups: companies whose core product
is built on machine learning or LLMs, selling to businesses") into criteria the fit judge
can weigh one by one: what the product is built on, who it sells to, what it is (the
topic), the stages and regions it names, and what it rules out."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from compound.modules.leads.contract import Stage
from compound.modules.leads.places import region_terms

STAGE_ORDER: tuple[Stage, ...] = (
    Stage.PRE_SEED,
    Stage.SEED,
    Stage.SERIES_A,
    Stage.SERIES_B,
    Stage.GROWTH,
)
_STAGE_WORDS = (
    (Stage.PRE_SEED, r"pre-?\s?seed"),
    (Stage.SEED, r"(?<!pre-)(?<!pre )(?<!pre)seed"),
    (Stage.SERIES_A, r"series\s+a"),
    (Stage.SERIES_B, r"series\s+b"),
    (Stage.GROWTH, r"growth(?:\s+stage)?|series\s+[c-h]|late[- ]stage"),
)
STAGE_MENTION = re.compile(
    "|".join(f"(?P<s{index}>(?<![\\w-])(?:{words})(?![\\w]))" for index, (_, words) in
             enumerate(_STAGE_WORDS)),
    re.IGNORECASE,
)  # fmt: skip
STAGE_RANGE = re.compile(r"^\s*(?:to|through|thru|until|up to|–|-|—)\s*$", re.IGNORECASE)
"""What joins the two ends of a range (`seed to Series A`); `seed or Series A` names two."""

# A clause that rules something out: "not pure software", "(not consumer health apps, not
# biotech)", "excluding agencies", "other than hardware".
EXCLUSION = re.compile(
    r"(?:\bnot\b|\bno\b|\bexcept\b|\bexcluding\b|\bother than\b|\brather than\b|\bnever\b)"
    r"\s+([^,;.()—–]{2,80})",
    re.IGNORECASE,
)
# "built on machine learning", "powered by LLMs", "AI-first", "AI-native": the product rests
# on a technology.
ML_REQUIRED = re.compile(
    r"\b(?:ai|a\.i\.|ml|llms?|machine learning|artificial intelligence|deep learning|"
    r"language models?|generative|genai|neural)\b",
    re.IGNORECASE,
)
BUSINESS_BUYER = re.compile(
    r"\bb2b\b|sell(?:s|ing)? (?:in)?to (?:businesses|companies|enterprises|teams|"
    r"organi[sz]ations)|\benterprise (?:customers|buyers)|\bfor businesses\b",
    re.IGNORECASE,
)
CONSUMER_BUYER = re.compile(r"\bb2c\b|\bconsumers?\b(?! health)|\bdirect[- ]to[- ]consumer\b", re.I)
# Words that frame a criterion rather than say what the companies make: once the ML and buyer
# criteria are cut out of "AI-first B2B startups: companies whose core product is built on
# machine learning or LLMs, selling to businesses", nothing is left for a topic.
FRAME_WORDS = frozenset(
    re.findall(
        r"[\w'-]+",
        "startups startup companies company teams businesses firms whose core product products "
        "is are built on selling sell sells to that which who with a an the or and first "
        "native based powered by driven our we us they their its main primary focused focus "
        "any stage stages early later from in at",
    )
)
TOPIC_WORDS_MIN = 2
LEAD_IN = re.compile(
    r"^(?:we (?:want|look for|sell to|target)|looking for|targets?|ideal customers? (?:are|is))"
    r"\s*:?\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class IcpReading:
    """The criteria a sentence sets; empty fields are criteria it does not set."""

    topic: str
    """What the companies are, in the sentence's words (stages, regions and exclusions cut);
    "" when the sentence says no more than its other criteria ("AI-first B2B startups")."""
    stages: tuple[Stage, ...] = ()
    regions: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    requires_ml: bool = False
    """The product must be built on machine learning (AI-first, built on LLMs, …)."""
    buyer: str = ""
    """`business` or `consumer` when the sentence says whom the companies sell to."""


def _stages(text: str) -> tuple[tuple[Stage, ...], list[tuple[int, int]]]:
    """The stages named, a range (`seed to Series A`) filled in, and where they were said."""
    found: list[tuple[Stage, int, int]] = []
    for match in STAGE_MENTION.finditer(text):
        index = int(next(name for name, value in match.groupdict().items() if value)[1:])
        found.append((_STAGE_WORDS[index][0], match.start(), match.end()))
    if not found:
        return (), []
    named: set[Stage] = set()
    for (first, _, end), (second, start, _) in itertools.pairwise(found):
        between = text[end:start]
        if STAGE_RANGE.match(between):
            low, high = sorted((STAGE_ORDER.index(first), STAGE_ORDER.index(second)))
            named.update(STAGE_ORDER[low : high + 1])
    named.update(stage for stage, _, _ in found)
    spans = [(start, end) for _, start, end in found]
    return tuple(stage for stage in STAGE_ORDER if stage in named), spans


def _regions(text: str) -> tuple[tuple[str, ...], list[tuple[int, int]]]:
    """Region terms the sentence names; short codes (US, EU, UK) only in capitals, so that
    the pronoun "us" is not a region."""
    regions: list[str] = []
    spans: list[tuple[int, int]] = []
    for term in sorted(region_terms(), key=len, reverse=True):
        short = len(term) <= 3
        pattern = rf"(?<![\w.]){re.escape(term.upper() if short else term)}(?![\w])"
        for match in re.finditer(pattern, text, 0 if short else re.IGNORECASE):
            if any(start <= match.start() < end for start, end in spans):
                continue
            spans.append((match.start(), match.end()))
            if term not in regions:
                regions.append(term)
    return tuple(regions), spans


def _criteria_in(text: str) -> list[re.Match[str]]:
    return [
        match
        for pattern in (ML_REQUIRED, BUSINESS_BUYER, CONSUMER_BUYER)
        for match in pattern.finditer(text)
    ]


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    kept, last = [], 0
    for start, end in sorted(spans):
        if start >= last:
            kept.append(text[last:start])
            last = end
    kept.append(text[last:])
    return " ".join("".join(kept).split())


@lru_cache(maxsize=256)
def read_icp(description: str) -> IcpReading:
    """The criteria of an ICP sentence; a description that sets none gives only a topic."""
    text = " ".join(description.split())
    stages, stage_spans = _stages(text)
    regions, region_spans = _regions(text)
    exclusions = tuple(
        match.group(1).strip(" -:") for match in EXCLUSION.finditer(text) if match.group(1).strip()
    )
    exclusion_spans = [(match.start(), match.end()) for match in EXCLUSION.finditer(text)]
    topic = _cut(text, stage_spans + region_spans + exclusion_spans)
    topic = LEAD_IN.sub("", topic).strip(" .,:;—–-()")
    rest = _cut(topic, [(m.start(), m.end()) for m in _criteria_in(topic)])
    content = [w for w in re.findall(r"[\w'-]+", rest.lower()) if w not in FRAME_WORDS]
    if len(content) < TOPIC_WORDS_MIN:
        topic = ""
    business = BUSINESS_BUYER.search(text) is not None
    consumer = CONSUMER_BUYER.search(_cut(text, exclusion_spans)) is not None
    return IcpReading(
        topic=topic,
        stages=stages,
        regions=regions,
        exclusions=exclusions,
        requires_ml=ML_REQUIRED.search(_cut(text, exclusion_spans)) is not None,
        buyer="business" if business else "consumer" if consumer else "",
    )
