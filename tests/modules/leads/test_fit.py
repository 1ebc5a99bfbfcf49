"""Judging fit against the ICP offline: criteria met, unknown or missed; places told apart by
the gazetteer; a known wrong market is a skip, an unknown one is not."""

from __future__ import annotations

import pytest

from compound.modules.leads.contract import ExtractedCompany, Sector, Span, Stage
from compound.modules.leads.fit import IcpCriteria, judge, judge_all
from compound.modules.leads.places import in_region, regions_of

ICP = IcpCriteria(
    description="Compliance automation for companies that move money.",
    sectors=["fintech"],
    stages=["seed", "series a"],
    regions=["north america"],
    keywords=["payments", "kyc"],
    threshold=60,
)


def company(**fields: object) -> ExtractedCompany:
    values: dict[str, object] = {"name": "Acme", "span": Span(start=0, end=0), **fields}
    return ExtractedCompany.model_validate(values)


def test_a_company_meeting_every_criterion_fits_and_says_why() -> None:
    verdict = judge(
        company(
            one_liner="card payments for dentists",
            sector=Sector.FINTECH,
            stage=Stage.SEED,
            location="Omaha, NE",
        ),
        ICP,
    )
    assert verdict.fits and verdict.score == 100
    assert verdict.rationale.startswith("Fits the profile (100/100): fintech, seed, Omaha, NE")
    assert "mentions payments" in verdict.rationale


def test_a_known_wrong_market_is_skipped_but_an_unknown_one_is_not() -> None:
    right = {"one_liner": "KYC checks for lenders", "sector": Sector.FINTECH, "stage": Stage.SEED}
    abroad = judge(company(location="Berlin", **right), ICP)
    unknown = judge(company(location="Smallville", **right), ICP)
    late = judge(company(location="Boston", **{**right, "stage": Stage.GROWTH}), ICP)
    assert not abroad.fits and "Berlin is outside north america" in abroad.rationale
    assert not late.fits and "stage growth is not seed or series a" in late.rationale
    assert unknown.fits and unknown.score > abroad.score


def test_an_empty_profile_considers_everyone() -> None:
    verdict = judge(company(), IcpCriteria())
    assert verdict.fits and verdict.score == 60 and "No ideal customer profile" in verdict.rationale


def test_nothing_known_about_a_company_is_below_a_demanding_threshold() -> None:
    verdict = judge(company(), ICP.model_copy(update={"threshold": 70}))
    assert not verdict.fits and verdict.rationale.startswith("Below the threshold")
    assert len(verdict.rationale) <= 300


@pytest.mark.parametrize(
    ("location", "region", "inside"),
    [
        ("Omaha, NE", "north america", True),
        ("London, ON", "north america", True),
        ("London", "north america", False),
        ("London", "uk", True),
        ("München", "europe", True),
        ("München", "dach", True),
        ("Zurich", "eu", False),
        ("Córdoba, Argentina", "latam", True),
        ("SF/remote", "us", True),
        ("remote, Europe", "europe", True),
        ("Smallville", "europe", None),
        ("", "europe", None),
    ],
)
def test_places_are_placed_in_regions(location: str, region: str, inside: bool | None) -> None:
    assert in_region(location, region) is inside


def test_a_state_code_decides_the_country() -> None:
    assert regions_of("Dover, DE") == regions_of("Austin")
    assert regions_of("Victoria, BC") == regions_of("Toronto")


async def test_the_description_decides_when_no_keyword_is_mentioned() -> None:
    near, far = await judge_all(
        [
            company(one_liner="automated compliance checks for money transfers", stage=Stage.SEED),
            company(one_liner="sourdough starter delivered to bakeries", stage=Stage.SEED),
        ],
        ICP.model_copy(update={"keywords": [], "sectors": [], "regions": []}),
    )
    assert near.score > far.score
    assert "far from the profile" in far.rationale
