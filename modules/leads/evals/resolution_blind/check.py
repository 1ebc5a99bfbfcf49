#!/usr/bin/env python3
"""Validate crm.json and cases.json of the blind resolution split and print counts.

    /work/main/.venv/bin/python modules/leads/evals/resolution_blind/check.py

Standard library only. It checks the files, not a resolver: schema, unique keys and
domains, that every expected key exists, that URL hints agree with the expected answer,
and that names meant to be new are not CRM names. Exit status 1 if anything is wrong.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPANY_FIELDS = {"key", "name", "domain", "aliases", "description"}
CASE_FIELDS = {"id", "name", "url_hint", "context", "kind", "why", "expected"}
CATEGORY_ACTIONS = {
    "renamed": {"link", "ask"},
    "same_name_create": {"create"},
    "same_name_both": {"link", "ask"},
    "near_miss": {"create"},
    "variant": {"link"},
    "url": {"link"},
    "url_other_domain": {"link", "create", "ask"},
    "absent": {"create"},
}
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)((?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$")
LEGAL_WORDS = re.compile(
    r"\b(inc|corp|corporation|co|company|companies|ltd|limited|llc|plc|ag|se|sa|nv|ab|as|pty|gmbh|the)\b"
)


def host_of(hint: str) -> str:
    """The host a URL hint names: lower case, no scheme, path, query, port or www."""
    text = hint.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    host = re.split(r"[/?#]", text, maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    return host[4:] if host.startswith("www.") else host


def fold(name: str) -> str:
    """A crude name key (case, accents incl. ø/æ, punctuation, spacing, '&', legal words)."""
    text = name.replace("ø", "o").replace("Ø", "O").replace("æ", "ae").replace("Æ", "AE")
    text = text.replace("&", " and ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = LEGAL_WORDS.sub(" ", text)
    return re.sub(r"\s+", "", text)


def main() -> int:
    errors: list[str] = []
    err = errors.append
    crm = json.loads((HERE / "crm.json").read_text(encoding="utf-8"))
    cases = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))

    # ---- CRM -------------------------------------------------------------------------
    if not isinstance(crm, list) or len(crm) < 900:
        err(f"crm.json must be a list of at least 900 companies (got {len(crm)})")
    by_key: dict[str, dict] = {}
    by_domain: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for c in crm:
        key = c.get("key")
        if set(c) != COMPANY_FIELDS:
            err(f"{key}: fields {sorted(c)} != {sorted(COMPANY_FIELDS)}")
            continue
        if not isinstance(key, str) or not re.fullmatch(r"b\d{4,}", key):
            err(f"bad company key {key!r}")
            continue
        if key in by_key:
            err(f"duplicate company key {key}")
        by_key[key] = c
        name = c["name"]
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            err(f"{key}: empty or badly trimmed name {name!r}")
            continue
        domain = c["domain"]
        if domain is not None:
            if (
                not isinstance(domain, str)
                or domain != domain.lower()
                or "/" in domain
                or ":" in domain
            ):
                err(f"{key}: domain {domain!r} is not lower case without scheme and path")
            elif domain.startswith("www.") or not DOMAIN_RE.match(domain):
                err(f"{key}: domain {domain!r} is not a bare host name")
            elif domain in by_domain:
                err(f"{key}: domain {domain} also belongs to {by_domain[domain]}")
            else:
                by_domain[domain] = key
        aliases = c["aliases"]
        if not isinstance(aliases, list) or not all(
            isinstance(a, str) and a.strip() for a in aliases
        ):
            err(f"{key}: aliases must be a list of non-empty strings")
            aliases = []
        elif any(a.lower() == name.lower() for a in aliases) or len(
            {a.lower() for a in aliases}
        ) != len(aliases):
            err(f"{key}: an alias repeats the name or another alias")
        desc = c["description"]
        if not isinstance(desc, str) or not desc.strip() or not desc.endswith("."):
            err(f"{key}: description must be one non-empty sentence")
        for n in [name, *aliases]:
            folded.setdefault(fold(n), set()).add(key)
    if [c.get("key") for c in crm] != sorted(by_key):
        err("crm.json is not sorted by key")

    # ---- cases -----------------------------------------------------------------------
    if not isinstance(cases, list) or len(cases) < 320:
        err(f"cases.json must be a list of at least 320 cases (got {len(cases)})")
    seen: set[str] = set()
    for case in cases:
        cid = case.get("id")
        if not isinstance(cid, str) or not re.fullmatch(r"q\d{4,}", cid):
            err(f"bad case id {cid!r}")
        elif cid in seen:
            err(f"duplicate case id {cid}")
        seen.add(str(cid))
        if set(case) != CASE_FIELDS:
            err(f"{cid}: fields {sorted(case)} != {sorted(CASE_FIELDS)}")
            continue
        for field in ("name", "context", "why"):
            if not isinstance(case[field], str) or not case[field].strip():
                err(f"{cid}: empty {field}")
        kind = case["kind"]
        category = kind.split("/", 1)[0] if isinstance(kind, str) and "/" in kind else None
        if category not in CATEGORY_ACTIONS:
            err(f"{cid}: kind {kind!r} is not 'category/what' with a known category")
            continue
        exp = case["expected"]
        action = exp.get("action") if isinstance(exp, dict) else None
        expected_keys: list[str] = []
        if action == "link":
            if set(exp) != {"action", "key"} or exp["key"] not in by_key:
                err(f"{cid}: link must name one existing key: {exp}")
            else:
                expected_keys = [exp["key"]]
        elif action == "ask":
            keys = exp.get("keys")
            # a rename asked about with a generic context offers the one candidate it may be
            if (
                set(exp) != {"action", "keys"}
                or not isinstance(keys, list)
                or not keys
                or len(set(keys)) != len(keys)
                or keys != sorted(keys)
            ):
                err(f"{cid}: ask must list one or more distinct sorted keys: {exp}")
            else:
                missing = [k for k in keys if k not in by_key]
                if missing:
                    err(f"{cid}: ask keys {missing} are not in crm.json")
                expected_keys = list(keys)
                if len(keys) == 1 and category != "renamed" and category != "url_other_domain":
                    err(f"{cid}: a one-key ask is only used for renamed and url_other_domain cases")
        elif action == "create":
            if set(exp) != {"action"}:
                err(f"{cid}: create takes no keys: {exp}")
        else:
            err(f"{cid}: unknown expected action {exp!r}")
            continue
        if action not in CATEGORY_ACTIONS[category]:
            err(
                f"{cid}: a {category} case must expect "
                f"{sorted(CATEGORY_ACTIONS[category])}, not {action}"
            )

        # names meant to be new must not be a CRM name or alias (after folding)
        key_of_name = folded.get(fold(case["name"]), set())
        if category in ("near_miss", "absent") and key_of_name:
            err(f"{cid}: {case['name']!r} folds to the CRM name of {sorted(key_of_name)}")
        if category == "renamed" and key_of_name & set(expected_keys):
            err(
                f"{cid}: the old name {case['name']!r} is already a name or alias of "
                f"{sorted(key_of_name)}"
            )

        # URL hints
        hint = case["url_hint"]
        if hint is None:
            if category in ("url", "url_other_domain"):
                err(f"{cid}: {category} case without a url_hint")
            continue
        if not isinstance(hint, str) or not hint.strip():
            err(f"{cid}: url_hint must be null or a non-empty string")
            continue
        host = host_of(hint)
        if not DOMAIN_RE.match(host):
            err(f"{cid}: url_hint {hint!r} does not name a host")
        owner = by_domain.get(host)
        if category == "url" and (action != "link" or owner != exp.get("key")):
            err(f"{cid}: url case whose hint {hint!r} is not the expected company's CRM domain")
        if category == "url_other_domain" and owner is not None:
            err(f"{cid}: url_other_domain case whose hint {hint!r} is the CRM domain of {owner}")
        if owner is not None:
            if action == "create":
                err(f"{cid}: expects create but {hint!r} is the CRM domain of {owner}")
            elif owner not in expected_keys:
                err(
                    f"{cid}: {hint!r} is the CRM domain of {owner}, which the expected answer omits"
                )
    if [c.get("id") for c in cases] != sorted(seen):
        err("cases.json is not sorted by id")

    # ---- report ----------------------------------------------------------------------
    kinds = Counter(c.get("kind", "?") for c in cases)
    categories = Counter(str(c.get("kind", "?")).split("/", 1)[0] for c in cases)
    actions = Counter(c.get("expected", {}).get("action") for c in cases)
    by_cat_action = Counter(
        (str(c.get("kind", "?")).split("/", 1)[0], c.get("expected", {}).get("action"))
        for c in cases
    )
    print(
        f"crm.json: {len(crm)} companies, "
        f"{sum(c.get('domain') is None for c in crm)} without a domain, "
        f"{sum(bool(c.get('aliases')) for c in crm)} with aliases "
        f"({sum(len(c.get('aliases') or []) for c in crm)} aliases), "
        f"{len(by_domain)} distinct domains"
    )
    print(
        f"cases.json: {len(cases)} cases, "
        f"{sum(c.get('url_hint') is not None for c in cases)} with a url_hint"
    )
    print("expected: " + ", ".join(f"{a} {n}" for a, n in sorted(actions.items(), key=str)))
    for cat in CATEGORY_ACTIONS:
        split = ", ".join(
            f"{a} {by_cat_action[(cat, a)]}"
            for a in ("link", "create", "ask")
            if by_cat_action[(cat, a)]
        )
        print(f"  {cat:<18} {categories[cat]:>4}  ({split})")
        for kind in sorted(k for k in kinds if str(k).split("/", 1)[0] == cat):
            print(f"      {kind:<52} {kinds[kind]:>4}")
    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for e in errors[:100]:
            print("  " + e, file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
