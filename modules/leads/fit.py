"""Judging a candidate's fit against the ideal customer profile, without a model: each
criterion the ICP sets (sector, stage, region, keywords or description) is met, unknown
or missed, and the score is their weighted share. An ICP given only as a sentence is read
into criteria first (icp_reading.py, fit_sentence.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from compound.modules.leads.contract import ExtractedCompany
from compound.modules.leads.fit_sentence import judge_by_reading
from compound.modules.leads.icp_reading import read_icp
from compound.modules.leads.models import IdealCustomerProfile
from compound.modules.leads.places import in_region
from compound.platform.embeddings import embed_many

RATIONALE_MAX = 300
WEIGHTS = {"sector": 0.3, "stage": 0.2, "region": 0.2, "focus": 0.3}
"""How much each criterion counts; criteria the ICP leaves empty are left out."""
MISMATCH = 0.6
"""A stage or region known to be outside the profile multiplies the score by this: a
perfect company in the wrong market is still not one to research."""
UNKNOWN = 0.5
"""A criterion the email says nothing about counts half: neither met nor missed."""
ON_TOPIC, OFF_TOPIC = 0.45, 0.15
"""Cosine of the one-liner and the ICP description: at or above ON_TOPIC it counts as met,
at or below OFF_TOPIC as missed, linearly between."""
OFF_PROFILE = 0.85
"""A one-liner far from the profile, with none of its keywords, multiplies the score by this."""
NO_ICP_SCORE = 60


class IcpCriteria(BaseModel):
    """The ICP as the fit judge reads it (a snapshot taken when the list arrives)."""

    model_config = ConfigDict(frozen=True)

    description: str = Field(default="", max_length=5_000)
    sectors: list[str] = Field(default_factory=list, max_length=50)
    stages: list[str] = Field(default_factory=list, max_length=50)
    regions: list[str] = Field(default_factory=list, max_length=50)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    threshold: int = Field(default=60, ge=0, le=100)

    @classmethod
    def of(cls, icp: IdealCustomerProfile) -> IcpCriteria:
        return cls(
            description=icp.description,
            sectors=list(icp.sectors),
            stages=list(icp.stages),
            regions=list(icp.regions),
            keywords=list(icp.keywords),
            threshold=icp.threshold,
        )

    @property
    def sentence_only(self) -> bool:
        """Only a description: its criteria are read from the sentence (icp_reading.py)."""
        return bool(self.description.strip()) and not (
            self.sectors or self.stages or self.regions or self.keywords
        )

    @property
    def empty(self) -> bool:
        return not (
            self.description.strip() or self.sectors or self.stages or self.regions or self.keywords
        )


class FitVerdict(BaseModel):
    score: int = Field(ge=0, le=100)
    fits: bool
    rationale: str = Field(min_length=1, max_length=RATIONALE_MAX)


def _mentions(text: str, keyword: str) -> bool:
    """`keyword` as whole words in `text` (both lower case), singular or plural."""
    stem = re.escape(keyword.removesuffix("s"))
    return re.search(rf"(?<![^\W_]){stem}(?:s|es)?(?![^\W_])", text) is not None


def _on_topic(similarity: float | None) -> float | None:
    if similarity is None:
        return None
    return float(min(1.0, max(0.0, (similarity - OFF_TOPIC) / (ON_TOPIC - OFF_TOPIC))))


def judge(
    company: ExtractedCompany,
    icp: IcpCriteria,
    similarity: float | None = None,
    *,
    topic_similarity: float | None = None,
    exclusion_similarities: Sequence[float] = (),
) -> FitVerdict:
    """The fit of one candidate; `similarity` is the cosine of its one-liner and the ICP
    description (None when either is missing); for an ICP given as a sentence, the cosines
    of the one-liner and the sentence's topic and exclusions."""
    if icp.empty:
        return FitVerdict(
            score=NO_ICP_SCORE,
            fits=True,
            rationale="No ideal customer profile is set, so every company is considered.",
        )
    if icp.sentence_only:
        return _verdict(
            *judge_by_reading(
                company,
                read_icp(icp.description),
                icp.threshold,
                topic_similarity,
                list(exclusion_similarities),
            ),
            threshold=icp.threshold,
        )
    text = f"{company.name} {company.one_liner}".lower()
    met: list[str] = []
    missed: list[str] = []
    parts: dict[str, float] = {}
    penalty = 1.0
    keyword_hits = [k for k in icp.keywords if _mentions(text, k.lower())]
    if icp.sectors:
        if company.sector is None:
            parts["sector"] = UNKNOWN
        elif company.sector.value in icp.sectors:
            parts["sector"] = 1.0
            met.append(company.sector.value)
        else:
            # The sector label is a judgment; the product's own words can still fit.
            parts["sector"] = UNKNOWN if keyword_hits else 0.0
            missed.append(f"sector {company.sector.value} is not {' or '.join(icp.sectors)}")
    if icp.stages:
        if company.stage is None:
            parts["stage"] = UNKNOWN
        elif company.stage.value in icp.stages:
            parts["stage"] = 1.0
            met.append(company.stage.value)
        else:
            parts["stage"] = 0.0
            penalty *= MISMATCH
            missed.append(f"stage {company.stage.value} is not {' or '.join(icp.stages)}")
    if icp.regions:
        placed = [in_region(company.location, region) for region in icp.regions]
        if any(placed):
            parts["region"] = 1.0
            met.append(company.location)
        elif False in placed:
            parts["region"] = 0.0
            penalty *= MISMATCH
            missed.append(f"{company.location} is outside {' and '.join(icp.regions)}")
        else:
            parts["region"] = UNKNOWN
    if icp.keywords or icp.description.strip():
        topical = _on_topic(similarity)
        if keyword_hits:
            parts["focus"] = 1.0
            met.append(f"mentions {', '.join(keyword_hits[:3])}")
        elif topical is not None:
            parts["focus"] = topical
            if topical >= UNKNOWN:
                met.append("its product matches the profile")
            else:
                # What the product is matters more than the labels around it.
                penalty *= OFF_PROFILE
                missed.append("its product is far from the profile")
        else:
            parts["focus"] = UNKNOWN if not company.one_liner else 0.0
            if company.one_liner:
                missed.append("no profile keyword in its description")
    total = sum(WEIGHTS[name] for name in parts)
    score = round(
        100 * penalty * sum(WEIGHTS[name] * value for name, value in parts.items()) / total
    )
    return _verdict(score, met, missed, threshold=icp.threshold)


def _verdict(score: int, met: list[str], missed: list[str], *, threshold: int) -> FitVerdict:
    fits = score >= threshold
    if fits:
        rationale = f"Fits the profile ({score}/100): {', '.join(met) or 'nothing against it'}"
        if missed:
            rationale += f"; but {missed[0]}"
    else:
        rationale = f"Below the threshold ({score} < {threshold}): " + (
            "; ".join(missed[:2]) or "too little is known about it"
        )
    return FitVerdict(score=score, fits=fits, rationale=_sentence(rationale))


def _sentence(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > RATIONALE_MAX - 1:
        flat = flat[: RATIONALE_MAX - 2] + "…"
    return flat if flat.endswith((".", "…")) else flat + "."


async def judge_all(companies: Sequence[ExtractedCompany], icp: IcpCriteria) -> list[FitVerdict]:
    """Every candidate's verdict; the one-liners (and a sentence's topic and exclusions) are
    embedded in one batch."""
    similarities: list[float | None] = [None] * len(companies)
    topical: list[float | None] = [None] * len(companies)
    excluded: list[list[float]] = [[] for _ in companies]
    described = [i for i, c in enumerate(companies) if c.one_liner.strip()]
    if icp.description.strip() and described and not icp.empty:
        reading = read_icp(icp.description) if icp.sentence_only else None
        anchors = [icp.description]
        if reading is not None:
            anchors += [reading.topic or icp.description, *reading.exclusions]
        vectors = np.asarray(
            await embed_many([*anchors, *[companies[i].one_liner for i in described]])
        )
        cosines = vectors[len(anchors) :] @ vectors[: len(anchors)].T
        for index, row in zip(described, cosines, strict=True):
            similarities[index] = float(row[0])
            if reading is not None:
                topical[index] = float(row[1])
                excluded[index] = [float(value) for value in row[2:]]
    return [
        judge(
            company,
            icp,
            similarities[index],
            topic_similarity=topical[index],
            exclusion_similarities=excluded[index],
        )
        for index, company in enumerate(companies)
    ]
