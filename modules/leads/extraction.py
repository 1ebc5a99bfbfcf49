"""The offline engine that pulls candidate companies out of a deal-flow email: layout rules
(list lines, pipe/markdown tables, aligned columns, `Key: value` blocks, prose paragraphs)
and cue words, with no model, network or database, so the same email always gives the
same candidates."""

from __future__ import annotations

import re

from compound.modules.leads.contract import (
    LOCATION_MAX,
    ONE_LINER_MAX,
    SOURCE_MAX,
    DealFlowEmail,
    ExtractedCompany,
    Span,
)
from compound.modules.leads.extraction_fields import (
    Draft,
    judge_sector,
    sector_label,
    site_from,
    stage_of,
)
from compound.modules.leads.extraction_layouts import Reader
from compound.modules.leads.extraction_prose import read_prose, same_company
from compound.modules.leads.extraction_vocabulary import (
    EMAIL_DOMAIN,
    FREE_MAIL,
    LINE_MAX,
    LIST_DEFAULT_PLACE,
    MAX_CANDIDATES,
    OWN_NAME_HERE,
    SITE_CORRECTION,
)
from compound.platform.normalize import company_name_key, registrable_domain

__all__ = [
    "LINE_MAX",
    "MAX_CANDIDATES",
    "extract_companies",
    "judge_sector",
    "sector_label",
    "stage_of",
]


def _own_domains(email: DealFlowEmail) -> frozenset[str]:
    """Registrable domains of the sender and of forwarded senders: their links are tracking
    or signatures, and their organisation is not a candidate."""
    domains: set[str] = set()
    addresses = [email.sender, *re.findall(r"\S{1,80}@\S{1,120}", email.text[:200_000])]
    for address in addresses[:200]:
        match = EMAIL_DOMAIN.search(address)
        if not match:
            continue
        domain = registrable_domain(match.group(1).lower())
        if domain.split(".")[0] not in FREE_MAIL:
            domains.add(domain)
    return frozenset(domains)


def _own_keys(email: DealFlowEmail, domains: frozenset[str]) -> set[str]:
    keys = {domain.split(".")[0].replace("-", "") for domain in domains}
    for match in OWN_NAME_HERE.finditer(email.text[:5_000]):
        words = match.group(1).split()
        # "Renata from Larkspur Accelerator here": the organisation is the last words.
        while words and not words[0][0].isupper():
            words.pop(0)
        key = company_name_key(" ".join(words[-3:]))
        if key:
            keys.add(key)
    return keys


# -- putting it together ------------------------------------------------------------------------


def _merged(drafts: list[Draft]) -> list[Draft]:
    by_key: dict[str, Draft] = {}
    by_host: dict[str, Draft] = {}
    result: list[Draft] = []
    for draft in drafts:
        key = company_name_key(draft.name) or draft.name.casefold()
        known = by_key.get(key) or (by_host.get(draft.url) if draft.url else None)
        if known is not None:
            known.fill(draft)
            continue
        by_key[key] = draft
        if draft.url:
            by_host[draft.url] = draft
        result.append(draft)
    return result


def _is_own(draft: Draft, keys: set[str], domains: frozenset[str]) -> bool:
    key = company_name_key(draft.name)
    if draft.url and registrable_domain(draft.url) in domains:
        return True
    return bool(key) and any(key == own or (len(key) >= 5 and own.startswith(key)) for own in keys)


def _apply_site_corrections(text: str, drafts: list[Draft], domains: frozenset[str]) -> None:
    """`correction, Kestrelwave's site is kestrelwave.io`: a later message fixes a website."""
    for match in SITE_CORRECTION.finditer(text[:200_000]):
        site = site_from(match.group(2), domains)
        if site is None or not site.host:
            continue
        for draft in drafts:
            if same_company(draft, match.group(1)):
                draft.url = site.host
                break


def extract_companies(email: DealFlowEmail) -> list[ExtractedCompany]:
    """Every company the email offers for consideration, in order of first mention, with
    what the email says about it. [] for an email without a company list."""
    if not email.text.strip():
        return []
    domains = _own_domains(email)
    reader = Reader(email, domains)
    reader.read()
    read_prose(email, reader)
    own = _own_keys(email, domains)
    default_place = LIST_DEFAULT_PLACE.search(email.text[:50_000])
    drafts = _merged(reader.drafts)
    _apply_site_corrections(email.text, drafts, domains)
    companies: list[ExtractedCompany] = []
    for draft in drafts:
        if _is_own(draft, own, domains):
            continue
        if not draft.location and default_place:
            draft.location = default_place.group(1).strip()
        if draft.sector is None and draft.one_liner:
            draft.sector = judge_sector(draft.one_liner)
        source = email.text[draft.start : draft.end]
        companies.append(
            ExtractedCompany(
                name=draft.name,
                url=draft.url,
                one_liner=draft.one_liner[:ONE_LINER_MAX],
                sector=draft.sector,
                stage=draft.stage,
                location=draft.location[:LOCATION_MAX],
                span=Span(start=draft.start, end=draft.end),
                source=source[:SOURCE_MAX],
                notes=draft.notes[:10],
            )
        )
    return companies
