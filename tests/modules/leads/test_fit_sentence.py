"""An ICP written as one sentence: read into criteria (built on ML, who it sells to, topic,
stages, regions, exclusions) and each candidate judged against them with evidence."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

from compound.modules.leads.contract import ExtractedCompany, Span, Stage
from compound.modules.leads.fit import IcpCriteria, judge_all
from compound.modules.leads.icp_reading import read_icp

FORWARD = Path(__file__).parent / "data" / "demo_day_forward.toml"
AI_B2B = (
    "AI-first B2B startups: companies whose core product is built on machine learning or "
    "LLMs, selling to businesses."
)


def company(name: str, one_liner: str, **fields: object) -> ExtractedCompany:
    values = {"name": name, "one_liner": one_liner, "span": Span(start=0, end=0), **fields}
    return ExtractedCompany.model_validate(values)


def test_a_sentence_is_read_into_criteria() -> None:
    ai = read_icp(AI_B2B)
    assert ai.requires_ml and ai.buyer == "business"
    assert ai.topic == ""  # nothing said besides the ML and buyer criteria
    hardware = read_icp(
        "Seed to Series A climate-hardware companies in Europe — batteries, heat pumps, "
        "grid equipment — not pure software."
    )
    assert hardware.stages == (Stage.SEED, Stage.SERIES_A)
    assert hardware.regions == ("europe",)
    assert hardware.exclusions == ("pure software",)
    assert "batteries" in hardware.topic and not hardware.requires_ml
    # "us" the pronoun is not a region; "US" is.
    assert read_icp("Tools that help us sell to US dentists").regions == ("us",)


async def test_plain_fits_score_high_plain_misses_low_and_an_empty_one_liner_is_researched() -> (
    None
):
    icp = IcpCriteria(description=AI_B2B)
    fit, consumer, plain_b2b, unknown = await judge_all(
        [
            company("Clauseline", "AI copilot that drafts and redlines commercial contracts "
                    "for in-house legal teams"),
            company("Snapchef", "AI recipe app that plans dinners for busy families"),
            company("Palletpro", "pallet rental and returns for regional grocers"),
            company("Quietco", "stealth"),
        ],
        icp,
    )  # fmt: skip
    assert fit.fits and fit.score >= 80, fit
    assert "built on ML: 'AI copilot'" in fit.rationale or "built on ML: 'AI'" in fit.rationale
    assert "sells to businesses" in fit.rationale
    assert not consumer.fits and "sells to consumers" in consumer.rationale, consumer
    assert not plain_b2b.fits and plain_b2b.score <= 40, plain_b2b
    assert "built on machine learning" in plain_b2b.rationale
    assert unknown.fits and "too little is known" in unknown.rationale.lower(), unknown


async def test_a_known_stage_or_region_outside_the_sentence_is_a_skip() -> None:
    icp = IcpCriteria(
        description="Seed to Series A climate-hardware companies in Europe: batteries, heat "
        "pumps and grid equipment."
    )
    inside, late, far = await judge_all(
        [
            company("Voltbarn", "sodium-ion battery packs for grid storage", stage=Stage.SEED,
                    location="Lyon, France"),
            company("Voltbarn Two", "sodium-ion battery packs for grid storage",
                    stage=Stage.GROWTH, location="Lyon, France"),
            company("Voltbarn Three", "sodium-ion battery packs for grid storage",
                    stage=Stage.SEED, location="Austin, TX"),
        ],
        icp,
    )  # fmt: skip
    assert inside.fits, inside
    assert not late.fits and "stage growth" in late.rationale, late
    assert not far.fits and "outside europe" in far.rationale, far


async def test_the_forwarded_demo_day_list_is_judged_as_a_person_labelled_it() -> None:
    data = tomllib.loads(FORWARD.read_text(encoding="utf-8"))
    plain = [entry for entry in data["companies"] if entry["plain"]]
    verdicts = await judge_all(
        [company(entry["name"], entry["one_liner"], url=entry["url"]) for entry in plain],
        IcpCriteria(description=data["icp"]),
    )
    wrong = [
        (entry["name"], verdict.score)
        for entry, verdict in zip(plain, verdicts, strict=True)
        if verdict.fits != entry["fit"]
    ]
    assert wrong == []


def test_a_hostile_sentence_is_read_without_error() -> None:
    for text in ["(" * 5_000, "not " * 1_250, "seed to " * 600 + "series b", "\u0301" * 5_000]:
        started = time.perf_counter()
        reading = read_icp(text[:5_000])
        assert time.perf_counter() - started < 10.0  # a hang guard, not a speed target
        assert len(reading.exclusions) <= 2_500
