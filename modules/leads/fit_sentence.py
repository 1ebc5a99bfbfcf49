"""Judging a candidate against an ICP given as a sentence (icp_reading.py): each criterion
the sentence sets is met, missed or unknown, with the words of the one-liner that show it
("built on ML: 'LLM scribe'; sells to businesses: 'for in-house legal teams'")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compound.modules.leads.contract import ExtractedCompany, Sector
from compound.modules.leads.extraction_fields import judge_sector
from compound.modules.leads.icp_reading import IcpReading
from compound.modules.leads.places import in_region

WEIGHTS = {"topic": 0.35, "ml": 0.3, "buyer": 0.2, "stage": 0.075, "region": 0.075}
UNKNOWN = 0.5
MISMATCH = 0.6
"""A stage or region known to be outside the sentence's multiplies the score by this."""
EXCLUDED = 0.4
"""A candidate that is what the sentence rules out ("not pure software") keeps this share."""
ON_TOPIC, OFF_TOPIC = 0.5, 0.15
"""Cosine of the one-liner and the sentence's topic: met at or above ON_TOPIC, missed at or
below OFF_TOPIC, linearly between."""
EXCLUSION_MATCH = 0.55
"""Cosine above which a one-liner is what an exclusion names."""

# Words that show a product is built on machine learning, in the ways one-liners say it.
ML_EVIDENCE = re.compile(
    r"\b(?:ai|a\.i\.|ai-(?:powered|driven|native|first|based)|artificial intelligence|"
    r"machine[- ]learning|ml|llms?|gpt\w*|genai|generative|neural|deep[- ]learning|"
    r"computer[- ]vision|machine[- ]vision|vision (?:ai|models?)|nlp|natural[- ]language|"
    r"language models?|foundation models?|copilots?|ai agents?|agentic|agents? that|"
    r"predictive|prediction models?|models? trained|trained on|learns? from|chatbots?|"
    r"voice ai|speech[- ]recognition|recommendation engine|autonomous|self-driving|"
    r"intelligence artificielle|inteligencia artificial|intelig[eê]ncia artificial|"
    r"künstliche intelligenz|maschinelles lernen|aprendizaje automático|modelo de ia|"
    r"(?:unser|notre|nuestro|nosso) (?:modell|modèle|modelo))\b",
    re.IGNORECASE,
)
ML_CAPITALS = re.compile(r"\b(?:KI|IA)\b")
"""`KI` (German), `IA` (French, Spanish): only in capitals, where they are not words."""
_ORGANISATIONS = (
    r"teams?|compan(?:y|ies)|firms?|businesses|enterprises?|brokers?|carriers?|retailers?|"
    r"merchants?|manufacturers?|factories|plants|warehouses?|clinics?|hospitals?|practices|"
    r"providers?|insurers?|banks?|lenders?|credit unions?|lawyers?|accountants?|agencies|"
    r"operators?|fleets?|utilities|developers?|engineers?|recruiters?|marketers?|landlords?|"
    r"property managers?|restaurants?|hotels?|schools?|universities|labs?|suppliers?|"
    r"distributors?|shippers?|contractors?|builders?|farms?|growers?|municipalities|cities|"
    r"governments?|smbs?|smes?|startups?|brands?|publishers?|dealers(?:hips)?|airlines?|"
    r"telcos?|departments?|organi[sz]ations|offices?|stores?|shops?|sellers?|vendors?|"
    r"employers?|payers?|physicians|doctors|dentists|pharmacies|nurses|radiologists|"
    r"underwriters|adjusters|freight forwarders|ports?|mines?|refineries|grid operators|"
    r"installers?|technicians|analysts|auditors|procurement|finance|legal|sales|support|hr"
)
BUSINESS_EVIDENCE = re.compile(
    rf"\b(?:for|to|helps|lets)\s+(?:[\w'-]+\s+){{0,3}}(?:{_ORGANISATIONS})\b|\bb2b\b|"
    r"\bsaas\b|\bapis?\b|\benterprise\b|\bin-house\b|\bback[- ]office\b|\bcompliance\b|"
    r"\binvoic\w+|\bpayroll\b|\bcrm\b|\berp\b|\bprocurement\b|\bworkflows?\b|\bb2b2c\b",
    re.IGNORECASE,
)
_PEOPLE = (
    r"people|parents|kids|children|families|students|travell?ers|couples|singles|pet owners|"
    r"dog owners|cat owners|runners|gamers|fans|teens|seniors|moms|dads|shoppers|home cooks|"
    r"renters|homeowners|patients at home|individuals|consumers|you|everyone"
)
CONSUMER_EVIDENCE = re.compile(
    rf"\b(?:app|apps|game|platform|marketplace|service|subscription)?\s*for\s+"
    rf"(?:[\w'-]+\s+){{0,2}}(?:{_PEOPLE})\b|\bconsumers?\b|\bdating\b|\bpersonal finance\b|"
    r"\bat home\b|\byour (?:own|dog|cat|kids|skin|sleep|health|money|home|pet)\b|"
    r"\bsubscription box\b|\bdirect[- ]to[- ]consumer\b|\bd2c\b|\bdtc\b|\bfitness app\b|"
    r"\bmeditation\b|\bmobile game\b|\bsocial app\b",
    re.IGNORECASE,
)
SAYS_NOTHING = re.compile(
    r"^\W*(?:stealth(?: mode)?|tbd|tba|n/a|coming soon|building something\b.*|"
    r"details (?:to follow|soon)|more soon)\W*$",
    re.IGNORECASE,
)
_FILLER = frozenset(re.findall(r"\w+", "a an the for of and in on to with by our we its it is"))


@dataclass
class _Judgement:
    parts: dict[str, float] = field(default_factory=dict)
    met: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    penalty: float = 1.0


def says_nothing(one_liner: str) -> bool:
    """A one-liner too thin to judge a company by ("stealth", "", "AI")."""
    words = [word for word in re.findall(r"[^\W_]+", one_liner.lower()) if word not in _FILLER]
    return len(words) < 2 or SAYS_NOTHING.match(one_liner.strip()) is not None


def _quote(match: re.Match[str] | None) -> str:
    return f"'{match.group().strip()}'" if match else ""


def _on_topic(similarity: float | None) -> float:
    if similarity is None:
        return UNKNOWN
    return float(min(1.0, max(0.0, (similarity - OFF_TOPIC) / (ON_TOPIC - OFF_TOPIC))))


def _topic_sectors(topic: str) -> set[Sector]:
    """The sectors the topic names, each of its `or`/`,` parts judged on its own."""
    pieces = re.split(r",|\bor\b|\band\b|/|—|–|:", topic)
    return {sector for piece in pieces if (sector := judge_sector(piece)) is not None}


def _criteria(
    company: ExtractedCompany,
    reading: IcpReading,
    topic_similarity: float | None,
    exclusion_similarities: list[float],
) -> _Judgement:
    text = f"{company.name} {company.one_liner}"
    found = _Judgement()
    sector = company.sector or judge_sector(company.one_liner)
    if reading.topic:
        topical = _on_topic(topic_similarity)
        if sector is not None and sector in _topic_sectors(reading.topic):
            topical = 1.0
        found.parts["topic"] = topical
        if topical >= 0.75:
            found.met.append("what it makes matches the profile")
        elif topical <= 0.25:
            found.missed.append("what it makes is far from the profile")
    if reading.requires_ml:
        evidence = ML_EVIDENCE.search(text) or ML_CAPITALS.search(text)
        found.parts["ml"] = 1.0 if evidence else 0.0
        if evidence:
            found.met.append(f"built on ML: {_quote(evidence)}")
        else:
            found.missed.append("nothing says it is built on machine learning")
    if reading.buyer:
        business = BUSINESS_EVIDENCE.search(company.one_liner)
        consumer = CONSUMER_EVIDENCE.search(company.one_liner)
        sells_to = "business" if business and not consumer else "consumer" if consumer else ""
        found.parts["buyer"] = (
            1.0 if sells_to == reading.buyer else UNKNOWN if not sells_to else 0.0
        )
        evidence = business if sells_to == "business" else consumer
        if sells_to:
            buyers = "businesses" if sells_to == "business" else "consumers"
            said = f"sells to {buyers}: {_quote(evidence)}"
            (found.met if sells_to == reading.buyer else found.missed).append(said)
            if sells_to != reading.buyer:
                # Selling to the other side is a known miss, like a stage out of range.
                found.penalty *= MISMATCH
    if reading.stages:
        if company.stage is None:
            found.parts["stage"] = UNKNOWN
        elif company.stage in reading.stages:
            found.parts["stage"] = 1.0
            found.met.append(company.stage.value)
        else:
            found.parts["stage"] = 0.0
            found.penalty *= MISMATCH
            wanted = " or ".join(stage.value for stage in reading.stages)
            found.missed.append(f"stage {company.stage.value} is not {wanted}")
    if reading.regions:
        placed = [in_region(company.location, region) for region in reading.regions]
        if any(placed):
            found.parts["region"] = 1.0
            found.met.append(company.location)
        elif False in placed:
            found.parts["region"] = 0.0
            found.penalty *= MISMATCH
            found.missed.append(f"{company.location} is outside {' and '.join(reading.regions)}")
        else:
            found.parts["region"] = UNKNOWN
    for phrase, similarity in zip(reading.exclusions, exclusion_similarities, strict=False):
        if _is_excluded(company, sector, phrase, similarity):
            found.penalty *= EXCLUDED
            found.missed.append(f"the profile rules out {phrase}")
            break
    return found


def _is_excluded(
    company: ExtractedCompany, sector: Sector | None, phrase: str, similarity: float
) -> bool:
    if similarity >= EXCLUSION_MATCH:
        return True
    excluded_sector = judge_sector(phrase)
    if excluded_sector is not None and sector == excluded_sector:
        return True
    words = [word for word in re.findall(r"[^\W_]+", phrase.lower()) if word not in _FILLER]
    if "consumer" in words or "consumers" in words:
        return CONSUMER_EVIDENCE.search(company.one_liner) is not None
    text = company.one_liner.lower()
    return bool(words) and all(re.search(rf"\b{re.escape(word)}", text) for word in words)


def judge_by_reading(
    company: ExtractedCompany,
    reading: IcpReading,
    threshold: int,
    topic_similarity: float | None,
    exclusion_similarities: list[float],
) -> tuple[int, list[str], list[str]]:
    """(score, what is met, what is missed) for one candidate."""
    if says_nothing(company.one_liner):
        # Researching is cheap and the one-liner is how research starts: at the threshold.
        return threshold, [], ["too little is known about it to judge; research will tell"]
    found = _criteria(company, reading, topic_similarity, exclusion_similarities)
    total = sum(WEIGHTS[name] for name in found.parts)
    weighted = sum(WEIGHTS[name] * value for name, value in found.parts.items())
    return round(100 * found.penalty * weighted / total), found.met, found.missed
