"""Scoring company resolution on a golden CRM: the dev split (modules/leads/evals/resolution/,
2,400 invented companies with near-duplicates) or the blind one (resolution_blind/, real
companies), loaded through the company service, then every case resolved. Used by
`compound eval leads` (on a throwaway embedded database) and by bench/leads_resolution.py
(which adds latency)."""

from __future__ import annotations

import collections
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compound.modules.leads.resolution import Action, resolve_company
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.records import companies
from compound.platform.records.embedding_backfill import embed_missing
from compound.platform.resources import package_path

GOLDEN = package_path("compound.modules.leads", "evals", "resolution")
BLIND = package_path("compound.modules.leads", "evals", "resolution_blind")
PRECISION_FLOOR = 0.99
RECALL_FLOOR = 0.90


@dataclass
class ResolutionScore:
    cases: int = 0
    links_made: int = 0
    wrong_links: int = 0
    link_cases: int = 0
    links_found: int = 0
    correct: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    silent_duplicates: int = 0
    """Renamed companies (kind `rename…`) created anew instead of linked or asked about."""
    by_kind: collections.Counter[str] = field(default_factory=collections.Counter)
    right_by_kind: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def precision(self) -> float:
        """Of the links made, the share to the right company (a wrong link is a silent merge)."""
        return (self.links_made - self.wrong_links) / self.links_made if self.links_made else 1.0

    @property
    def recall(self) -> float:
        """Of the cases that should link, the share linked to the right company."""
        return self.links_found / self.link_cases if self.link_cases else 1.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.cases if self.cases else 0.0

    @property
    def passed(self) -> bool:
        return (
            self.precision >= PRECISION_FLOOR
            and self.recall >= RECALL_FLOOR
            and not self.silent_duplicates
        )


async def load_golden_crm(database: Database, folder: Path = GOLDEN) -> dict[str, str]:
    """A golden CRM through the company service; returns company id → golden key."""
    crm = json.loads((folder / "crm.json").read_text())
    actor = Actor.system("eval")
    keys: dict[str, str] = {}
    async with database.session() as session:
        for record in crm:
            company = await companies.create_company(
                session,
                actor,
                name=record["name"],
                domain=record.get("domain"),
                description=record.get("description"),
                aliases=record.get("aliases") or [],
                compute_embedding=False,
            )
            keys[str(company.id)] = record["key"]
    while True:  # the embeddings in batches, as the background job makes them
        async with database.session() as session:
            if await embed_missing(session, limit=512) == 0:
                return keys


async def score_resolution(
    database: Database, keys: dict[str, str], folder: Path = GOLDEN
) -> ResolutionScore:
    """Resolve every golden case of `folder` against its loaded CRM."""
    cases: list[dict[str, Any]] = json.loads((folder / "cases.json").read_text())
    score = ResolutionScore()
    for case in cases:
        async with database.session() as session:
            began = time.perf_counter()
            result = await resolve_company(
                session, name=case["name"], url_hint=case.get("url_hint"), context=case["context"]
            )
            score.latencies_ms.append((time.perf_counter() - began) * 1000)
        expected = case["expected"]
        got = keys.get(str(result.company_id)) if result.company_id else None
        if result.action is Action.LINK:
            score.links_made += 1
            good = expected["action"] == "link" and expected["key"] == got
            score.wrong_links += not good
        else:
            good = result.action.value == expected["action"]
        if expected["action"] == "link":
            score.link_cases += 1
            score.links_found += result.action is Action.LINK and got == expected["key"]
        score.cases += 1
        score.correct += good
        score.silent_duplicates += (
            case["kind"].startswith("rename")
            and expected["action"] != "create"
            and result.action is Action.CREATE
        )
        score.by_kind[case["kind"]] += 1
        score.right_by_kind[case["kind"]] += good
        if not good:
            score.misses.append(
                f"{case['id']} {case['kind']}: {case['name']!r} → {result.action.value} "
                f"({result.reason})"
            )
    return score
