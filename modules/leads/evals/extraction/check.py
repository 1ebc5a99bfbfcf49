"""Validate the deal-flow extraction cases in a folder (this one unless another is named:
the dev and held-out sets beside it use the same format) and print their totals.

Run from anywhere:  .venv/bin/python modules/leads/evals/extraction/check.py [FOLDER]
Standard library only. Exits 1 when a case is malformed.
"""

from __future__ import annotations

import html
import re
import sys
import tomllib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

SECTORS = frozenset(
    {
        "fintech",
        "healthtech",
        "devtools",
        "climate",
        "logistics",
        "edtech",
        "security",
        "ai infrastructure",
        "marketplace",
        "proptech",
        "biotech",
        "consumer",
        "hr tech",
        "legal tech",
        "insurtech",
        "foodtech",
        "mobility",
        "robotics",
        "agtech",
        "other",
    }
)
STAGES = frozenset({"pre-seed", "seed", "series a", "series b", "growth", ""})
FIELDS = ("name", "url", "one_liner", "sector", "stage", "location")
# A normalized url: lower-case host only, no scheme, no "www.", no path, port or query.
HOST = re.compile(r"^(?!www\.)[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")
FILE_NAME = re.compile(r"^\d{3}-[a-z0-9-]+\.toml$")


class _Visible(HTMLParser):
    """Text a reader sees, plus link targets (an expected url may only be in an href)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head", "title"):
            self._skip += 1
        for key, value in attrs:
            if key == "href" and value:
                self.parts.append(" " + value + " ")
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title") and self._skip:
            self._skip -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def searchable(email: dict[str, Any]) -> str:
    """The email body, lower-cased with whitespace collapsed, for 'is it in the email' checks."""
    body = email.get("text", "")
    if "html" in email:
        parser = _Visible()
        parser.feed(email["html"])
        parser.close()
        body += " " + html.unescape("".join(parser.parts))
    return " ".join(body.replace("\u00a0", " ").split()).lower()


def appears(needle: str, haystack: str) -> bool:
    return " ".join(needle.split()).lower() in haystack


def check(path: Path, errors: list[str]) -> dict[str, Any] | None:
    def err(message: str) -> None:
        errors.append(f"{path.name}: {message}")

    if not FILE_NAME.match(path.name):
        err("file name is not NNN-short-slug.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        err(f"does not parse: {exc}")
        return None

    if not str(data.get("why", "")).strip():
        err("missing 'why'")
    email = data.get("email")
    if not isinstance(email, dict):
        err("missing [email]")
        return None
    for key in ("sender", "sender_name", "subject"):
        if not str(email.get(key, "")).strip():
            err(f"[email] has no {key}")
    if not (email.get("text") or email.get("html")):
        err("[email] has neither text nor html")
    body = searchable(email)

    expected = data.get("expected", [])
    seen: set[str] = set()
    for index, entry in enumerate(expected, start=1):
        where = f"expected #{index} ({entry.get('name', '?')!r})"
        for field in FIELDS:
            if not isinstance(entry.get(field, ""), str):
                err(f"{where}: {field} must be a string")
        unknown = set(entry) - set(FIELDS)
        if unknown:
            err(f"{where}: unknown fields {sorted(unknown)}")
        name = entry.get("name", "").strip()
        if not name:
            err(f"expected #{index}: empty name")
            continue
        key = name.lower()
        if key in seen:
            err(f"{where}: name repeated in this file")
        seen.add(key)
        if not appears(name, body):
            err(f"{where}: name not found in the email")

        url = entry.get("url", "")
        if url:
            if "://" in url or url.startswith("//"):
                err(f"{where}: url has a scheme: {url!r}")
            elif not HOST.match(url):
                err(f"{where}: url is not a normalized host: {url!r}")
            elif url not in body:
                err(f"{where}: url {url!r} not found in the email")
        sector = entry.get("sector", "")
        if sector not in SECTORS:
            err(f"{where}: sector {sector!r} not in the vocabulary")
        stage = entry.get("stage", "")
        if stage not in STAGES:
            err(f"{where}: stage {stage!r} not in the vocabulary")
        for field in ("one_liner", "location"):
            value = entry.get(field, "")
            if value and not appears(value, body):
                err(f"{where}: {field} {value!r} not found in the email")

    traps = data.get("not_candidates", [])
    for index, trap in enumerate(traps, start=1):
        name = str(trap.get("name", "")).strip()
        if not name:
            err(f"not_candidates #{index}: empty name")
            continue
        if not str(trap.get("reason", "")).strip():
            err(f"not_candidates #{index} ({name!r}): no reason")
        if name.lower() in seen:
            err(f"not_candidates #{index} ({name!r}) is also expected")
        if not appears(name, body):
            err(f"not_candidates #{index} ({name!r}) not found in the email")
    return {
        "file": path.name,
        "expected": expected,
        "traps": traps,
        "html_only": "text" not in email,
    }


def main(folder: Path = HERE) -> int:
    errors: list[str] = []
    warnings: list[str] = []
    cases = []
    for path in sorted(folder.glob("*.toml")):
        case = check(path, errors)
        if case:
            cases.append(case)

    # Across the whole set: names and one-liners should not repeat (a warning, not an error).
    names = Counter(e["name"].strip().lower() for c in cases for e in c["expected"])
    for name, count in sorted(names.items()):
        if count > 1:
            warnings.append(f"name {name!r} is expected in {count} files")
    liners = Counter(
        e["one_liner"].strip().lower() for c in cases for e in c["expected"] if e.get("one_liner")
    )
    for liner, count in sorted(liners.items()):
        if count > 1:
            warnings.append(f"one-liner {liner!r} is used {count} times")

    candidates = sum(len(c["expected"]) for c in cases)
    traps = sum(len(c["traps"]) for c in cases)
    entries = [e for c in cases for e in c["expected"]]
    print(f"emails:          {len(cases)}")
    print(f"candidates:      {candidates}")
    print(f"non-candidates:  {traps}")
    largest = max(cases, key=lambda c: len(c["expected"]), default=None)
    if largest:
        print(f"largest email:   {len(largest['expected'])} candidates ({largest['file']})")
    print(f"zero-candidate:  {sum(1 for c in cases if not c['expected'])} email(s)")
    print(f"html-only:       {sum(1 for c in cases if c['html_only'])} email(s)")
    print(f"without url:     {sum(1 for e in entries if not e.get('url'))} candidates")
    print(f"without stage:   {sum(1 for e in entries if not e.get('stage'))} candidates")
    print(f"longest name:    {max((len(e['name']) for e in entries), default=0)} characters")
    print("per file:")
    for c in cases:
        print(f"  {c['file']:<48} {len(c['expected']):>4} candidates {len(c['traps']):>3} traps")
    print(
        "sectors: "
        + ", ".join(f"{s} {n}" for s, n in Counter(e["sector"] for e in entries).most_common())
    )
    print(
        "stages:  "
        + ", ".join(
            f"{s or '(none)'} {n}" for s, n in Counter(e["stage"] for e in entries).most_common()
        )
    )
    for warning in warnings:
        print(f"warning: {warning}")
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        print(f"{len(errors)} error(s)", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE))
