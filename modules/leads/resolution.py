"""Which CRM company a name from an email means: a link when the evidence is clear, a new
company when nothing comes close, and a question for a person when two readings are
plausible. It never merges two companies and never creates a second copy silently.

The evidence, strongest first: the same website; the same name under normalization (case,
punctuation, legal forms, AI/Labs/HQ-style suffixes, aliases); then names that are
spelled alike (rapidfuzz) among the companies nearest in meaning (embeddings), where the
email's one-liner has to agree with what the CRM says the company does."""

from __future__ import annotations

import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.platform.embeddings import embed_many
from compound.platform.errors import ValidationFailed
from compound.platform.normalize import company_name_key, normalize_domain, registrable_domain
from compound.platform.records.companies import (
    companies_with_name_key,
    find_company_by_domain,
)
from compound.platform.records.models import Company
from compound.platform.records.search import nearest

SPELLED_ALIKE = 88.0
"""rapidfuzz ratio (0–100) of two normalized names above which they may be one company."""
SAME_BUSINESS = 0.35
"""Cosine similarity (MiniLM) of the email's one-liner and the CRM description above which
they describe the same business. Chosen on the golden CRM (bench/leads_resolution.py):
0.30–0.40 all keep precision ≥ 0.99 with recall ≥ 0.91; 0.55 asked about most renames."""
UNRELATED = 0.3
"""Below this similarity the descriptions are of different businesses."""
OTHER_BUSINESS = 0.2
"""Below this, with a one-liner that says enough, a company of the same name is another
company: a crowdfunding "Tilt" is not the bike-share "Tilt" in the CRM."""
CLEARLY_THIS_ONE = 0.25
"""Of several companies with the name, the one whose business is this much closer than the
next one's is the one meant."""
ALIKE_SAME_BUSINESS = 0.5
"""A name spelled alike but not the same (Weav, Weave) links only on a business this close;
between SAME_BUSINESS and this it is a question."""
SAME_DESCRIPTION = 0.8
"""A company under another name whose description is this close is likely the same company
renamed: asked about, never silently duplicated."""
DESCRIPTIVE_WORDS = 4
"""A one-liner with fewer words than this says too little to tell two businesses apart."""
NEIGHBOURS = 20
EF_SEARCH = 80


_CACHE_SIZE = 4_096
_cache: OrderedDict[str, np.ndarray] = OrderedDict()


async def _embed(texts: list[str]) -> np.ndarray:
    """Embeddings of `texts`, the recently seen ones from memory: a CRM's descriptions come
    up again and again as neighbours, and a list names the same company more than once."""
    missing = list(dict.fromkeys(text for text in texts if text not in _cache))
    if missing:
        for text, vector in zip(missing, await embed_many(missing), strict=True):
            _cache[text] = np.asarray(vector, dtype=np.float32)
            if len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    found = []
    for text in texts:
        _cache.move_to_end(text)
        found.append(_cache[text])
    return np.stack(found)


def forget_embeddings() -> None:
    """Empty the embedding cache (benchmarks measure a cold start with it)."""
    _cache.clear()


class Action(StrEnum):
    LINK = "link"
    CREATE = "create"
    ASK = "ask"


@dataclass(frozen=True)
class Candidate:
    company_id: uuid.UUID
    name: str
    domain: str | None
    spelling: float
    """How alike the names are, 0–100 (100: the same under normalization)."""
    meaning: float | None
    """How alike the descriptions are (cosine), when both sides have one."""


@dataclass(frozen=True)
class Resolution:
    action: Action
    reason: str
    company_id: uuid.UUID | None = None
    candidates: list[Candidate] = field(default_factory=list)


def website(url_hint: str | None) -> str | None:
    """The domain of a URL hint, or None when it is not a web address ("tbd", "soon")."""
    if not url_hint or not url_hint.strip():
        return None
    try:
        return normalize_domain(url_hint, field="url")
    except ValidationFailed:
        return None


def _same_site(a: str | None, b: str | None) -> bool:
    return bool(a and b and registrable_domain(a) == registrable_domain(b))


async def _meanings(context: str, companies: list[Company]) -> dict[uuid.UUID, float | None]:
    described = [c for c in companies if c.description]
    if not context.strip() or not described:
        return {c.id: None for c in companies}
    # What the company does, against what the email says it does: names left out, since
    # alike names are what is in question.
    vectors = await _embed([context, *[c.description or "" for c in described]])
    similarities = vectors[1:] @ vectors[0]
    found: dict[uuid.UUID, float | None] = {c.id: None for c in companies}
    for company, similarity in zip(described, similarities, strict=True):
        found[company.id] = float(similarity)
    return found


async def _candidates(
    name: str, context: str, companies: list[Company], *, min_spelling: float = 0.0
) -> list[Candidate]:
    """The companies spelled at least `min_spelling` alike, with how alike their business
    is; spelling is cheap and filters first, so only the few that remain are embedded."""
    key = company_name_key(name)
    spelled: list[tuple[Company, float]] = []
    for company in companies:
        spellings = [company.name, *company.aliases]
        spelling = (
            100.0
            if key and key in company.name_keys
            else max(fuzz.ratio(key, company_name_key(other)) for other in spellings)
        )
        if spelling >= min_spelling:
            spelled.append((company, float(spelling)))
    meanings = await _meanings(context, [company for company, _ in spelled])
    found = [
        Candidate(
            company_id=company.id,
            name=company.name,
            domain=company.domain,
            spelling=spelling,
            meaning=meanings[company.id],
        )
        for company, spelling in spelled
    ]
    return sorted(found, key=lambda c: (-c.spelling, -(c.meaning or 0.0)))


async def _neighbours(session: AsyncSession, name: str, context: str) -> list[Company]:
    [vector] = (await _embed([f"{name} — {context}" if context else name])).tolist()
    ids = [
        company_id
        for company_id, _ in await nearest(
            session, Company, vector, limit=NEIGHBOURS, ef_search=EF_SEARCH
        )
    ]
    if not ids:
        return []
    rows = await session.execute(select(Company).where(col(Company.id).in_(ids)))
    return list(rows.scalars())


async def _rival(
    session: AsyncSession,
    name: str,
    key: str,
    context: str,
    company: Company,
    candidate: Candidate,
) -> Candidate | None:
    """A company whose longer name starts like this one and whose business matches the
    email, when the named company's business does not ("Bloom" said of what Bloom
    Analytics does)."""
    if candidate.meaning is None or candidate.meaning >= UNRELATED:
        return None
    longer = [
        c
        for c in await _neighbours(session, name, context)
        if c.id != company.id and any(k.startswith(key) and k != key for k in c.name_keys)
    ]
    fitting = [
        c
        for c in await _candidates(name, context, longer)
        if c.meaning is not None and c.meaning >= SAME_BUSINESS
    ]
    return fitting[0] if fitting else None


def _descriptive(context: str) -> bool:
    return len(re.findall(r"[^\W\d_]{3,}", context)) >= DESCRIPTIVE_WORDS


def _clearly_meant(candidates: list[Candidate]) -> Candidate | None:
    """The one company of several whose business matches the email's clearly best."""
    ranked = sorted(candidates, key=lambda c: -(c.meaning if c.meaning is not None else -1.0))
    if len(ranked) < 2 or ranked[0].meaning is None or ranked[0].meaning < SAME_BUSINESS:
        return None
    runner_up = ranked[1].meaning if ranked[1].meaning is not None else 0.0
    return ranked[0] if ranked[0].meaning - runner_up >= CLEARLY_THIS_ONE else None


async def _renamed(name: str, context: str, neighbours: list[Company]) -> list[Candidate]:
    """Companies under other names whose description is nearly the email's one-liner."""
    if not _descriptive(context):
        return []
    found = await _candidates(name, context, neighbours)
    return [c for c in found if c.meaning is not None and c.meaning >= SAME_DESCRIPTION]


async def resolve_company(
    session: AsyncSession, *, name: str, url_hint: str | None = None, context: str = ""
) -> Resolution:
    """Decide what `name` (with the email's URL and one-liner) refers to; writes nothing."""
    domain = website(url_hint)
    key = company_name_key(name)
    named = await companies_with_name_key(session, key)
    if domain:
        for candidate_domain in dict.fromkeys([domain, registrable_domain(domain)]):
            by_site = await find_company_by_domain(session, candidate_domain)
            if by_site is None:
                continue
            others = [c for c in named if c.id != by_site.id and key not in by_site.name_keys]
            if others:
                # The website is one company's, the name exactly another's.
                return Resolution(
                    Action.ASK,
                    f"{candidate_domain} is {by_site.name}'s website, but the name is "
                    f"{others[0].name}'s",
                    candidates=await _candidates(name, context, [by_site, *others]),
                )
            return Resolution(Action.LINK, f"the same website ({candidate_domain})", by_site.id)
    if named:
        candidates = await _candidates(name, context, named)
        if len(named) == 1:
            [company] = named
            [candidate] = candidates
            elsewhere = domain and company.domain and not _same_site(domain, company.domain)
            if not elsewhere:
                rival = await _rival(session, name, key, context, company, candidate)
                if rival is not None:
                    return Resolution(
                        Action.ASK,
                        f"the name is {company.name}'s, but the description fits {rival.name}",
                        candidates=[candidate, rival],
                    )
                if (
                    candidate.meaning is not None
                    and candidate.meaning < OTHER_BUSINESS
                    and _descriptive(context)
                ):
                    return Resolution(
                        Action.CREATE,
                        f"the same name as {company.name}, but another business",
                        candidates=candidates,
                    )
                return Resolution(Action.LINK, "the same name", company.id, candidates)
            if candidate.meaning is not None and candidate.meaning >= SAME_BUSINESS:
                return Resolution(
                    Action.LINK,
                    f"the same name and business; the website moved from {company.domain}",
                    company.id,
                    candidates,
                )
            return Resolution(
                Action.ASK,
                f"the same name as {company.name}, but at {domain} instead of {company.domain}",
                candidates=candidates,
            )
        meant = _clearly_meant(candidates) if not domain else None
        if meant is not None:
            return Resolution(
                Action.LINK,
                f"{len(named)} companies go by this name; the business is {meant.name}'s",
                meant.company_id,
                candidates,
            )
        return Resolution(
            Action.ASK, f"{len(named)} companies go by this name", candidates=candidates
        )
    neighbours = await _neighbours(session, name, context)
    alike = await _candidates(name, context, neighbours, min_spelling=SPELLED_ALIKE)
    if not alike:
        renamed = await _renamed(name, context, neighbours)
        if renamed and not domain:
            return Resolution(
                Action.ASK,
                f"no company is called {name}, but {renamed[0].name} does the same: renamed?",
                candidates=renamed,
            )
        return Resolution(Action.CREATE, "no company in the CRM has a name like it")
    confident = [
        c
        for c in alike
        if c.meaning is not None
        and c.meaning >= (SAME_BUSINESS if c.spelling >= 100.0 else ALIKE_SAME_BUSINESS)
        and not (domain and c.domain and not _same_site(domain, c.domain))
    ]
    if len(confident) == 1 and len(alike) == 1:
        return Resolution(
            Action.LINK,
            f"spelled like {confident[0].name} and the same business",
            confident[0].company_id,
            alike,
        )
    if domain and all(c.domain and not _same_site(domain, c.domain) for c in alike):
        # Alike names, but each is a different website: a different company.
        return Resolution(Action.CREATE, "alike names, but other websites", candidates=alike)
    return Resolution(
        Action.ASK,
        f"spelled like {', '.join(c.name for c in alike[:3])}: the same company or another?",
        candidates=alike,
    )
