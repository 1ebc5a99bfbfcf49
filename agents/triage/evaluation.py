"""The triage agent's golden cases: kind accuracy, and the share of ordinary outside mail
(notifications, receipts, newsletters, injections) that would reach the Inbox under the
routing policy (policy.py) with the installed modules' handlers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compound.agents.runtime.evaluation import (
    EvalSuite,
    GoldenCase,
    Measure,
    register_suite,
    toml_cases,
)
from compound.agents.triage.agent import TRIAGE
from compound.agents.triage.contract import EmailForTriage, TriageKind
from compound.agents.triage.policy import dispose
from compound.agents.triage.routing import handled_kinds
from compound.platform.resources import package_path

GOLDEN_CASES = package_path("compound.agents", "evals", "triage")
BLIND_CASES = package_path("compound.agents", "evals", "triage_blind")
ACCURACY_FLOOR = 0.8
NOISE_IN_INBOX_CEILING = 0.05
"""At most this share of outside noise may become Inbox items."""
NOISE = frozenset({TriageKind.OTHER, TriageKind.NEWSLETTER})


@dataclass(frozen=True)
class Expected:
    kind: str
    sender_is_internal: bool

    @property
    def outside_noise(self) -> bool:
        """Mail from outside that nobody needs to act on: it should stay out of the Inbox."""
        return not self.sender_is_internal and self.kind in NOISE


def _cases(folder: Path) -> list[GoldenCase[EmailForTriage, Expected]]:
    return [
        GoldenCase(
            name=case.name,
            input=case.input,
            expected=Expected(kind=case.expected, sender_is_internal=case.input.sender_is_internal),
        )
        for case in toml_cases(folder, EmailForTriage, "expected_kind")
    ]


def _judge(expected: Expected, output: dict[str, Any]) -> tuple[bool, str]:
    kind = output.get("kind")
    return kind == expected.kind, f"expected {expected.kind}, got {kind}"


def _reaches_inbox(expected: Expected, output: dict[str, Any] | None) -> bool:
    if output is None:
        return True  # a failed triage is reported to a person
    return dispose(
        TriageKind(output["kind"]),
        float(output["confidence"]),
        sender_is_internal=expected.sender_is_internal,
        handled=handled_kinds(),
    ).reaches_inbox


def _measure(outputs: Sequence[tuple[Expected, dict[str, Any] | None]]) -> Measure:
    right = sum(output is not None and output.get("kind") == e.kind for e, output in outputs)
    noise = [_reaches_inbox(e, output) for e, output in outputs if e.outside_noise]
    share = sum(noise) / len(noise) if noise else 0.0
    return Measure(
        score=right / len(outputs) if outputs else 0.0,
        metric="accuracy",
        detail=f"outside noise in the Inbox {share:.3f} ({sum(noise)}/{len(noise)})",
        unmet=(
            f"outside noise in the Inbox {share:.3f} > {NOISE_IN_INBOX_CEILING:.2f}"
            if share > NOISE_IN_INBOX_CEILING
            else ""
        ),
    )


TRIAGE_EVALS = register_suite(
    EvalSuite(
        agent=TRIAGE,
        floor=ACCURACY_FLOOR,
        load_cases=lambda: _cases(GOLDEN_CASES),
        load_blind_cases=lambda: _cases(BLIND_CASES),
        # Blind accuracy 0.494 when the split was written (issue 15), 0.605 once mail from
        # addresses no person writes from counted as a system's; raised as it improves.
        blind_interim_floor=0.60,
        judge=_judge,
        measure=_measure,
        description="kind accuracy on realistic emails, and outside noise kept out of the Inbox",
    )
)
