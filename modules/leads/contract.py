"""What the leads agents pass each other: companies pulled out of a deal-flow email, the fit
verdict against the ICP, and the vocabularies both use."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from compound.platform.records.models import COMPANY_NAME_MAX

DEAL_FLOW_TEXT_MAX = 500_000
ONE_LINER_MAX = 500
LOCATION_MAX = 200
SOURCE_MAX = 2_000


class Sector(StrEnum):
    FINTECH = "fintech"
    INSURTECH = "insurtech"
    HEALTHTECH = "healthtech"
    BIOTECH = "biotech"
    CLIMATE = "climate"
    DEVTOOLS = "devtools"
    AI_INFRASTRUCTURE = "ai infrastructure"
    SECURITY = "security"
    LOGISTICS = "logistics"
    MOBILITY = "mobility"
    EDTECH = "edtech"
    HR_TECH = "hr tech"
    LEGAL_TECH = "legal tech"
    PROPTECH = "proptech"
    MARKETPLACE = "marketplace"
    CONSUMER = "consumer"
    FOODTECH = "foodtech"
    ROBOTICS = "robotics"
    AGTECH = "agtech"
    OTHER = "other"


class Stage(StrEnum):
    PRE_SEED = "pre-seed"
    SEED = "seed"
    SERIES_A = "series a"
    SERIES_B = "series b"
    GROWTH = "growth"


class Span(BaseModel):
    """Where in the text the extractor read a company: character offsets, end exclusive."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)


class ExtractedCompany(BaseModel):
    """One company an email offers for consideration, as the email describes it.

    `""` means the email does not say. `url` is a normalized host (`acme.io`) or `""` when
    the email gives none or something that is not a website ("coming soon", a LinkedIn page).
    """

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=COMPANY_NAME_MAX)
    url: str = Field(default="", max_length=253)
    one_liner: str = Field(default="", max_length=ONE_LINER_MAX)
    sector: Sector | None = None
    stage: Stage | None = None
    location: str = Field(default="", max_length=LOCATION_MAX)
    span: Span
    source: str = Field(default="", max_length=SOURCE_MAX)
    """The text of the span (cut at SOURCE_MAX): what a person sees as the evidence."""
    notes: list[str] = Field(default_factory=list, max_length=10)
    """What the extractor changed or doubted ("name cut to 200 characters", "url 'tbd' is
    not a website")."""


class DealFlowEmail(BaseModel):
    """What the extractor reads: the text a person sees (HTML already turned into text)."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(max_length=DEAL_FLOW_TEXT_MAX)
    subject: str = Field(default="", max_length=1_000)
    sender: str = Field(default="", max_length=320)


class Extraction(BaseModel):
    # A model's answer with other keys is not an extraction (and not ours to guess at).
    model_config = ConfigDict(extra="forbid")

    companies: list[ExtractedCompany] = Field(default_factory=list, max_length=5_000)
