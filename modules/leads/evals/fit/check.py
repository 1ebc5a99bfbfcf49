"""Validate the ICP fit golden cases in this folder and print their totals.

Run from anywhere:  python3 modules/leads/evals/fit/check.py
Standard library only. Exits 1 when a file is malformed.

Checks: every `NN-slug.toml` parses; it has a one-line `why`, an `[icp]` with a 2-4 sentence
description, lower-case term lists (sectors and stages from the vocabularies) and an integer
threshold 0-100; it has at least MIN_CANDIDATES candidates, each with exactly the eight fields,
strings where strings belong, `fit` a boolean, a non-empty `why`, a sector and stage from the
vocabularies or "", a normalized url host or "", and names unique in the file
(case-insensitive). A candidate whose name is in the extraction golden set
(../extraction/*.toml) must carry that entry's fields unchanged; any other candidate counts as
invented, and a file may hold at most MAX_INVENTED of them.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXTRACTION = HERE.parent / "extraction"

SECTORS = frozenset(
    {
        "fintech",
        "insurtech",
        "healthtech",
        "biotech",
        "climate",
        "devtools",
        "ai infrastructure",
        "security",
        "logistics",
        "mobility",
        "edtech",
        "hr tech",
        "legal tech",
        "proptech",
        "marketplace",
        "consumer",
        "foodtech",
        "robotics",
        "agtech",
        "other",
    }
)
STAGES = ("pre-seed", "seed", "series a", "series b", "growth")
COPIED_FIELDS = ("name", "url", "one_liner", "sector", "stage", "location")
CANDIDATE_FIELDS = (*COPIED_FIELDS, "fit", "why")
ICP_LISTS = ("sectors", "stages", "regions", "keywords")
ICP_FIELDS = ("description", *ICP_LISTS, "threshold")
MIN_CANDIDATES = 40
MAX_INVENTED = 10
FILE_NAME = re.compile(r"^\d\d-[a-z0-9]+(?:-[a-z0-9]+)*\.toml$")
HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
SENTENCE_END = re.compile(r"[.!?](?:\s+(?=[A-Z\"'(])|\s*$)")


def load_extracted() -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every `[[expected]]` entry of the extraction golden set, by lower-cased name."""
    entries: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for path in sorted(EXTRACTION.glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for entry in data.get("expected", []):
            key = entry["name"].casefold()
            if key in entries:
                errors.append(f"extraction set names {entry['name']!r} twice; cannot match it")
            entries[key] = entry
    return entries, errors


def sentences(text: str) -> int:
    return len(SENTENCE_END.findall(text.strip()))


def check_icp(icp: Any, where: str) -> list[str]:
    errors: list[str] = []
    if not isinstance(icp, dict):
        return [f"{where}: missing [icp] table"]
    for key in icp:
        if key not in ICP_FIELDS:
            errors.append(f"{where}: [icp] has unknown field {key!r}")
    for key in ICP_FIELDS:
        if key not in icp:
            errors.append(f"{where}: [icp] is missing {key!r}")
    description = icp.get("description")
    if not isinstance(description, str) or not description.strip():
        errors.append(f"{where}: [icp] description must be a non-empty string")
    elif not 2 <= sentences(description) <= 4:
        errors.append(
            f"{where}: [icp] description has {sentences(description)} sentences, want 2-4"
        )
    for key in ICP_LISTS:
        values = icp.get(key)
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.append(f"{where}: [icp] {key} must be a list of strings")
            continue
        for value in values:
            if not value.strip() or value != value.strip().lower():
                errors.append(f"{where}: [icp] {key} term {value!r} must be non-empty lower case")
        if len(set(values)) != len(values):
            errors.append(f"{where}: [icp] {key} repeats a term")
        if key == "sectors":
            errors += [f"{where}: [icp] unknown sector {v!r}" for v in values if v not in SECTORS]
        if key == "stages":
            errors += [f"{where}: [icp] unknown stage {v!r}" for v in values if v not in STAGES]
    threshold = icp.get("threshold")
    if "threshold" in icp and (
        not isinstance(threshold, int) or isinstance(threshold, bool) or not 0 <= threshold <= 100
    ):
        errors.append(f"{where}: [icp] threshold must be an integer 0-100, got {threshold!r}")
    return errors


def check_candidate(
    cand: Any, where: str, extracted: dict[str, dict[str, Any]]
) -> tuple[list[str], bool]:
    """Errors for one candidate, and whether it is invented (not in the extraction set)."""
    if not isinstance(cand, dict):
        return [f"{where}: not a table"], False
    errors: list[str] = []
    for key in cand:
        if key not in CANDIDATE_FIELDS:
            errors.append(f"{where}: unknown field {key!r}")
    for key in CANDIDATE_FIELDS:
        if key not in cand:
            errors.append(f"{where}: missing {key!r}")
    for key in (*COPIED_FIELDS, "why"):
        if key in cand and not isinstance(cand[key], str):
            errors.append(f"{where}: {key} must be a string")
    if errors:
        return errors, False
    if not cand["name"].strip():
        errors.append(f"{where}: empty name")
    if not cand["why"].strip():
        errors.append(f"{where}: empty why")
    if not isinstance(cand["fit"], bool):
        errors.append(f"{where}: fit must be true or false")
    if cand["sector"] and cand["sector"] not in SECTORS:
        errors.append(f"{where}: unknown sector {cand['sector']!r}")
    if cand["stage"] and cand["stage"] not in STAGES:
        errors.append(f"{where}: unknown stage {cand['stage']!r}")
    if cand["url"] and not HOST.match(cand["url"]):
        errors.append(f"{where}: url {cand['url']!r} is not a normalized lower-case host")
    if cand["url"].startswith("www."):
        errors.append(f"{where}: url {cand['url']!r} keeps 'www.'")
    source = extracted.get(cand["name"].casefold())
    if source is None:
        return errors, True
    for key in COPIED_FIELDS:
        if cand[key] != source[key]:
            errors.append(
                f"{where}: {key} {cand[key]!r} differs from the extraction set's {source[key]!r}"
            )
    return errors, False


def check_file(
    path: Path, extracted: dict[str, dict[str, Any]]
) -> tuple[list[str], dict[str, Any]]:
    errors: list[str] = []
    if not FILE_NAME.match(path.name):
        errors.append(f"{path.name}: file name must look like NN-short-slug.toml")
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        return [f"{path.name}: does not parse: {exc}"], {}
    for key in data:
        if key not in ("why", "icp", "candidates"):
            errors.append(f"{path.name}: unknown top-level key {key!r}")
    why = data.get("why")
    if not isinstance(why, str) or not why.strip() or "\n" in why:
        errors.append(f"{path.name}: top-level why must be a one-line string")
    errors += check_icp(data.get("icp"), path.name)

    candidates = data.get("candidates")
    if not isinstance(candidates, list):
        return [*errors, f"{path.name}: no [[candidates]]"], {}
    if len(candidates) < MIN_CANDIDATES:
        errors.append(f"{path.name}: {len(candidates)} candidates, want at least {MIN_CANDIDATES}")
    seen: dict[str, int] = {}
    invented = 0
    for index, cand in enumerate(candidates, 1):
        name = cand.get("name", "?") if isinstance(cand, dict) else "?"
        where = f"{path.name}: candidate {index} ({name})"
        found, is_invented = check_candidate(cand, where, extracted)
        errors += found
        invented += is_invented
        if isinstance(name, str):
            key = name.casefold()
            if key in seen:
                errors.append(f"{where}: name repeats candidate {seen[key]}")
            seen.setdefault(key, index)
    if invented > MAX_INVENTED:
        errors.append(f"{path.name}: {invented} invented candidates, at most {MAX_INVENTED}")

    valid = [c for c in candidates if isinstance(c, dict)]
    stats = {
        "candidates": len(candidates),
        "fit": sum(c.get("fit") is True for c in valid),
        "invented": invented,
        "no_sector": sum(c.get("sector") == "" for c in valid),
        "no_stage": sum(c.get("stage") == "" for c in valid),
        "no_location": sum(c.get("location") == "" for c in valid),
        "threshold": (data.get("icp") or {}).get("threshold"),
    }
    return errors, stats


def main() -> int:
    extracted, errors = load_extracted()
    if not extracted:
        errors.append(f"no extraction golden set found in {EXTRACTION}")
    paths = sorted(HERE.glob("*.toml"))
    if not paths:
        errors.append(f"no .toml files in {HERE}")
    rows: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        found, stats = check_file(path, extracted)
        errors += found
        if stats:
            rows.append((path.name, stats))

    total = sum(s["candidates"] for _, s in rows)
    fit = sum(s["fit"] for _, s in rows)
    invented = sum(s["invented"] for _, s in rows)
    print(
        f"{len(rows)} ICPs, {total} candidates, {fit} fit ({fit / max(total, 1):.0%}), "
        f"{total - fit} skip, {total - invented} from the extraction set, {invented} invented"
    )
    print()
    print(
        f"{'file':45} {'thr':>3} {'cands':>5} {'fit':>4} {'fit%':>5} {'skip':>4} "
        f"{'inv':>3} {'no sector':>9} {'no stage':>8} {'no loc':>6}"
    )
    for name, s in rows:
        print(
            f"{name:45} {s['threshold']!s:>3} {s['candidates']:>5} {s['fit']:>4} "
            f"{s['fit'] / max(s['candidates'], 1):>5.0%} {s['candidates'] - s['fit']:>4} "
            f"{s['invented']:>3} {s['no_sector']:>9} {s['no_stage']:>8} {s['no_location']:>6}"
        )
    if errors:
        print()
        for error in errors:
            print(f"ERROR {error}")
        print(f"\n{len(errors)} error(s)")
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
