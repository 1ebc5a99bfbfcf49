"""Scores candidate extraction against the golden deal-flow emails in
`evals/extraction/`: precision, recall and F1 on names, and field accuracy on the pairs
that matched."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compound.modules.leads.contract import DealFlowEmail, ExtractedCompany
from compound.platform.email.html_text import html_to_text
from compound.platform.normalize import LEGAL_SUFFIXES
from compound.platform.records.models import COMPANY_NAME_MAX
from compound.platform.resources import package_path

EXTRACTION_CASES = package_path("compound.modules.leads", "evals", "extraction")
FIELDS = ("url", "stage", "sector", "location", "one_liner")
ONE_LINER_OVERLAP = 0.5
"""Dice overlap of words above which two one-liners say the same thing: a shorter or
longer span of the same sentence still matches."""

# "UG (haftungsbeschränkt)" is one legal form written in two words.
_SUFFIXES = LEGAL_SUFFIXES | {"haftungsbeschrankt"}


@dataclass(frozen=True)
class ExtractionCase:
    name: str
    email: DealFlowEmail
    expected: list[dict[str, str]]
    traps: list[str]


def _case(path: Path) -> ExtractionCase:
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    mail = data["email"]
    text = mail.get("text") or html_to_text(mail.get("html", ""))
    email = DealFlowEmail(text=text, subject=mail.get("subject", ""), sender=mail["sender"])
    expected = [
        {key: str(value) for key, value in entry.items()} for entry in data.get("expected", [])
    ]
    traps = [str(trap["name"]) for trap in data.get("not_candidates", [])]
    return ExtractionCase(name=path.stem, email=email, expected=expected, traps=traps)


def load_extraction_cases(folder: Path | None = None) -> list[ExtractionCase]:
    """Every `NNN-*.toml` case of the folder, in file order; HTML-only bodies are turned
    into the text the pipeline would see."""
    root = folder or EXTRACTION_CASES
    return [_case(path) for path in sorted(root.glob("*.toml"))]


def name_key(name: str) -> str:
    """Case, accents, punctuation and trailing legal forms do not count when matching."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(character for character in text if not unicodedata.combining(character))
    words = re.findall(r"[0-9a-z]+", text.replace("&", " and "))
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    return " ".join(words)


def _same_name(expected: str, got: str) -> bool:
    left, right = name_key(expected), name_key(got)
    if left == right:
        return True
    # A name longer than the database allows is matched on what survives the cut.
    cut = len(got) >= COMPANY_NAME_MAX - 10 and len(expected) > len(got)
    return cut and len(right) > 20 and left.startswith(right)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def similar_one_liners(expected: str, got: str) -> bool:
    left, right = _words(expected), _words(got)
    if not left or not right:
        return left == right
    return 2 * len(left & right) / (len(left) + len(right)) >= ONE_LINER_OVERLAP


def _plain(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .,")


def _field_correct(field: str, expected: str, got: ExtractedCompany) -> bool:
    if field == "one_liner":
        return similar_one_liners(expected, got.one_liner)
    value = {
        "url": got.url,
        "stage": got.stage.value if got.stage else "",
        "sector": got.sector.value if got.sector else "",
        "location": got.location,
    }[field]
    return _plain(value) == _plain(expected)


@dataclass(frozen=True)
class ExtractionScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    trap_hits: int = 0
    """False positives that the case names as tempting non-candidates."""
    url_correct: int = 0
    stage_correct: int = 0
    sector_correct: int = 0
    location_correct: int = 0
    one_liner_correct: int = 0
    misses: tuple[str, ...] = ()
    """One line per mistake, prefixed with the case name."""

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def accuracy(self, field: str) -> float:
        """Share of matched companies whose `field` is right (1.0 with no matches)."""
        correct: int = getattr(self, f"{field}_correct")
        return correct / self.true_positives if self.true_positives else 1.0

    def summary(self) -> str:
        fields = " ".join(f"{field}={self.accuracy(field):.3f}" for field in FIELDS)
        return (
            f"P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} "
            f"tp={self.true_positives} fp={self.false_positives} fn={self.false_negatives} "
            f"traps={self.trap_hits} | {fields}"
        )

    def detail(self) -> str:
        return "\n".join([self.summary(), *self.misses])


def score_case(case: ExtractionCase, got: Sequence[ExtractedCompany]) -> ExtractionScore:
    """Match extracted companies one-to-one to the expected ones (same name first, then a
    cut-off name by its prefix) and count what is right."""
    unmatched = list(range(len(got)))
    pairs: list[tuple[dict[str, str], ExtractedCompany]] = []
    missed: list[str] = []
    for entry in case.expected:
        index = next(
            (i for i in unmatched if name_key(got[i].name) == name_key(entry["name"])), None
        )
        if index is None:
            index = next((i for i in unmatched if _same_name(entry["name"], got[i].name)), None)
        if index is None:
            missed.append(entry["name"])
            continue
        unmatched.remove(index)
        pairs.append((entry, got[index]))
    misses = [f"{case.name}: missed {name!r}" for name in missed]
    trap_keys = {name_key(trap) for trap in case.traps}
    traps = 0
    for index in unmatched:
        trap = name_key(got[index].name) in trap_keys
        traps += trap
        kind = "trap" if trap else "extra"
        misses.append(f"{case.name}: {kind} {got[index].name!r}")
    correct = dict.fromkeys(FIELDS, 0)
    for entry, company in pairs:
        for field in FIELDS:
            if _field_correct(field, entry.get(field, ""), company):
                correct[field] += 1
            else:
                value = getattr(company, field)
                shown = value.value if hasattr(value, "value") else value
                misses.append(
                    f"{case.name}: {entry['name'][:40]!r} {field} "
                    f"got {shown!r} expected {entry.get(field, '')!r}"
                )
    return ExtractionScore(
        true_positives=len(pairs),
        false_positives=len(unmatched),
        false_negatives=len(missed),
        trap_hits=traps,
        url_correct=correct["url"],
        stage_correct=correct["stage"],
        sector_correct=correct["sector"],
        location_correct=correct["location"],
        one_liner_correct=correct["one_liner"],
        misses=tuple(misses),
    )


def combine(scores: Iterable[ExtractionScore]) -> ExtractionScore:
    """Micro-averaged: counts are summed, so a 138-company email weighs 138 times."""
    total = ExtractionScore()
    for score in scores:
        total = ExtractionScore(
            true_positives=total.true_positives + score.true_positives,
            false_positives=total.false_positives + score.false_positives,
            false_negatives=total.false_negatives + score.false_negatives,
            trap_hits=total.trap_hits + score.trap_hits,
            url_correct=total.url_correct + score.url_correct,
            stage_correct=total.stage_correct + score.stage_correct,
            sector_correct=total.sector_correct + score.sector_correct,
            location_correct=total.location_correct + score.location_correct,
            one_liner_correct=total.one_liner_correct + score.one_liner_correct,
            misses=total.misses + score.misses,
        )
    return total
