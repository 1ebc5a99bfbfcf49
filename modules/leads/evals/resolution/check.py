#!/usr/bin/env python3
"""Validate crm.json and cases.json (standard library only) and print counts.

    /work/main/.venv/bin/python modules/leads/evals/resolution/check.py

Exit status 1 if anything is wrong.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPANY_FIELDS = {"key", "name", "domain", "aliases", "description"}
CASE_FIELDS = {"id", "name", "url_hint", "context", "expected", "kind"}
OPTIONAL_CASE_FIELDS = {"why"}
CATEGORY_ACTIONS = {
    "domain": {"link"},
    "name": {"link"},
    "renamed": {"link"},
    "typo": {"link"},
    "miss": {"create"},
    "trap_create": {"create"},
    "trap_ask": {"ask"},
}
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)((?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$")


def normalize_hint(hint: str) -> str:
    """The host a URL hint names, the way compound's normalize_domain reads it."""
    text = hint.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    host = re.split(r"[/?#]", text, maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    return host[4:] if host.startswith("www.") else host


def main() -> int:
    errors: list[str] = []
    err = errors.append
    crm = json.loads((HERE / "crm.json").read_text(encoding="utf-8"))
    cases = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))

    # ---- CRM -------------------------------------------------------------------------
    if not isinstance(crm, list) or len(crm) < 2200:
        err(f"crm.json must be a list of at least 2,200 companies (got {len(crm)})")
    by_key: dict[str, dict] = {}
    by_domain: dict[str, str] = {}
    for c in crm:
        key = c.get("key")
        if set(c) != COMPANY_FIELDS:
            err(f"{key}: fields {sorted(c)} != {sorted(COMPANY_FIELDS)}")
        if not isinstance(key, str) or not re.fullmatch(r"c\d{4,}", key):
            err(f"bad company key {key!r}")
            continue
        if key in by_key:
            err(f"duplicate company key {key}")
        by_key[key] = c
        name = c.get("name")
        if not isinstance(name, str) or not name.strip() or name != name.strip() or len(name) > 200:
            err(f"{key}: empty or badly trimmed name {name!r}")
        domain = c.get("domain")
        if domain is not None:
            if (
                not isinstance(domain, str)
                or domain != domain.lower()
                or "://" in domain
                or "/" in domain
            ):
                err(f"{key}: domain {domain!r} is not lower case without scheme and path")
            elif domain.startswith("www.") or not DOMAIN_RE.match(domain):
                err(f"{key}: domain {domain!r} is not a bare host name")
            elif domain in by_domain:
                err(f"{key}: domain {domain} also belongs to {by_domain[domain]}")
            else:
                by_domain[domain] = key
        aliases = c.get("aliases")
        if not isinstance(aliases, list) or not all(
            isinstance(a, str) and a.strip() for a in aliases
        ):
            err(f"{key}: aliases must be a list of non-empty strings")
        elif any(a.lower() == str(name).lower() for a in aliases) or len(
            {a.lower() for a in aliases}
        ) != len(aliases):
            err(f"{key}: an alias repeats the name or another alias")
        desc = c.get("description")
        if not isinstance(desc, str) or not desc.strip() or not desc.endswith("."):
            err(f"{key}: description must be one non-empty sentence")
    if [c.get("key") for c in crm] != sorted(by_key):
        err("crm.json is not sorted by key")

    # ---- cases -----------------------------------------------------------------------
    if not isinstance(cases, list) or len(cases) < 400:
        err(f"cases.json must be a list of at least 400 cases (got {len(cases)})")
    seen_ids: set[str] = set()
    for case in cases:
        cid = case.get("id")
        if not isinstance(cid, str) or not re.fullmatch(r"r\d{4,}", cid):
            err(f"bad case id {cid!r}")
        elif cid in seen_ids:
            err(f"duplicate case id {cid}")
        seen_ids.add(str(cid))
        if not set(case) >= CASE_FIELDS or set(case) - CASE_FIELDS - OPTIONAL_CASE_FIELDS:
            err(f"{cid}: fields {sorted(case)}")
            continue
        if not isinstance(case["name"], str) or not case["name"].strip():
            err(f"{cid}: empty name")
        if not isinstance(case["context"], str) or not case["context"].strip():
            err(f"{cid}: empty context")
        if "why" in case and (not isinstance(case["why"], str) or not case["why"].strip()):
            err(f"{cid}: empty why")
        kind = case["kind"]
        category = kind.split("/", 1)[0] if isinstance(kind, str) and "/" in kind else None
        if category not in CATEGORY_ACTIONS:
            err(f"{cid}: kind {kind!r} is not 'category/what' with a known category")
        exp = case["expected"]
        action = exp.get("action") if isinstance(exp, dict) else None
        if action == "link":
            if set(exp) != {"action", "key"} or exp["key"] not in by_key:
                err(f"{cid}: link must name one existing key: {exp}")
        elif action == "ask":
            keys = exp.get("keys")
            if (
                set(exp) != {"action", "keys"}
                or not isinstance(keys, list)
                or len(keys) < 2
                or len(set(keys)) != len(keys)
                or keys != sorted(keys)
            ):
                err(f"{cid}: ask must list two or more distinct sorted keys: {exp}")
            else:
                for k in keys:
                    if k not in by_key:
                        err(f"{cid}: ask key {k} is not in crm.json")
        elif action == "create":
            if set(exp) != {"action"}:
                err(f"{cid}: create takes no keys: {exp}")
        else:
            err(f"{cid}: unknown expected action {exp!r}")
        if category in CATEGORY_ACTIONS and action not in CATEGORY_ACTIONS[category]:
            err(f"{cid}: a {category} case must expect {CATEGORY_ACTIONS[category]}, not {action}")

        # a URL hint that names a CRM domain must be reflected in the expected answer
        hint = case["url_hint"]
        if hint is not None:
            if not isinstance(hint, str) or not hint.strip():
                err(f"{cid}: url_hint must be null or a non-empty string")
                continue
            host = normalize_hint(hint)
            if not DOMAIN_RE.match(host):
                err(f"{cid}: url_hint {hint!r} does not name a host")
            owner = by_domain.get(host)
            if category == "domain" and (action != "link" or owner != exp.get("key")):
                err(
                    f"{cid}: domain case whose hint {hint!r} does not normalize to the "
                    "expected company's domain"
                )
            if owner is not None:
                if action == "create":
                    err(f"{cid}: expects create but {hint!r} is the CRM domain of {owner}")
                elif action == "link" and exp["key"] != owner:
                    err(f"{cid}: links {exp['key']} but {hint!r} is the CRM domain of {owner}")
                elif action == "ask" and owner not in exp.get("keys", []):
                    err(f"{cid}: asks without {owner}, whose CRM domain is {hint!r}")
        elif category == "domain":
            err(f"{cid}: domain case without a url_hint")
    if [c.get("id") for c in cases] != sorted(seen_ids):
        err("cases.json is not sorted by id")

    # ---- report ----------------------------------------------------------------------
    kinds = Counter(c["kind"] for c in cases)
    categories = Counter(c["kind"].split("/", 1)[0] for c in cases)
    actions = Counter(c["expected"]["action"] for c in cases)
    print(
        f"crm.json: {len(crm)} companies, "
        f"{sum(c['domain'] is None for c in crm)} without a domain, "
        f"{sum(bool(c['aliases']) for c in crm)} with aliases "
        f"({sum(len(c['aliases']) for c in crm)} aliases), "
        f"{len(by_domain)} distinct domains"
    )
    print(
        f"cases.json: {len(cases)} cases, "
        f"{sum(c['url_hint'] is not None for c in cases)} with a url_hint, "
        f"{sum('why' in c for c in cases)} with a why"
    )
    print("expected: " + ", ".join(f"{a} {n}" for a, n in sorted(actions.items())))
    for cat in CATEGORY_ACTIONS:
        print(
            f"  {cat:<12} {categories[cat]:>4}  ({100 * categories[cat] / max(len(cases), 1):.0f}%)"
        )
        for kind in sorted(k for k in kinds if k.split("/", 1)[0] == cat):
            print(f"      {kind:<46} {kinds[kind]:>4}")
    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for e in errors[:100]:
            print("  " + e, file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
