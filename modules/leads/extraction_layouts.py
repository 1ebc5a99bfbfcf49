"""The list layouts of a deal-flow email read line by line into drafts: one entry per
line or over a few lines, `Key: value` blocks, delimited tables, sections under headings."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from compound.modules.leads.contract import DealFlowEmail, Sector
from compound.modules.leads.extraction_fields import (
    Draft,
    Fields,
    clean_markup,
    clean_name,
    descriptive,
    entry_from_pieces,
    entry_pieces,
    heading_sector,
    is_entry,
    is_not_a_site,
    judge_sector,
    stage_of,
    url_token,
    valid_name,
    words_of,
)
from compound.modules.leads.extraction_shapes import list_shaped, with_dash
from compound.modules.leads.extraction_vocabulary import (
    BULLET,
    CHAT_AUTHOR,
    CHAT_FILLER,
    CHAT_HANDLE,
    CHAT_PREFIX,
    DELIMITERS,
    EXCLUDING_HEADING,
    INCLUDING_HEADING,
    KEY_VALUE,
    LINE_MAX,
    MAX_CANDIDATES,
    OTHER_COLUMNS,
    QUOTE,
    ROLES,
    TRAILING_PLACE,
)
from compound.platform.records.models import COMPANY_NAME_MAX

# -- the email as lines and paragraphs ----------------------------------------------------------


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    body: str
    """The line without quote marks (`> `), cut at LINE_MAX."""

    @property
    def blank(self) -> bool:
        return not self.body.strip()

    @property
    def decoration(self) -> bool:
        return not any(character.isalnum() for character in self.body)


def _is_chat(raws: list[str]) -> bool:
    """A pasted chat: two or more `[10:42] maria:` lines or `Maria, 11:02 AM` author lines."""
    hits = 0
    for raw in raws[:5_000]:
        line = raw[:200]
        if CHAT_PREFIX.match(line) or CHAT_AUTHOR.match(line):
            hits += 1
            if hits >= 2:
                return True
    return False


def _chat_body(body: str) -> str:
    """A chat message without its time, author and opening chatter (`+1, also …`)."""
    if CHAT_AUTHOR.match(body):
        return ""
    stripped = CHAT_PREFIX.sub("", body, count=1)
    if stripped == body:
        handle = CHAT_HANDLE.match(body)
        if handle and _role_of(handle.group(1)) is None:
            stripped = body[handle.end() :]
    return CHAT_FILLER.sub("", stripped, count=1)


def email_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    start = 0
    raws = text.split("\n")
    chat = _is_chat(raws)
    for raw in raws:
        end = start + len(raw)
        body = QUOTE.sub("", raw[:LINE_MAX]).rstrip("\r")
        if chat:
            body = _chat_body(body)
        lines.append(Line(start, end, body))
        start = end + 1
    return lines


def _is_heading(lines: list[Line], index: int) -> bool:
    body = lines[index].body.strip().strip("#=~*_-: ").strip()
    words = words_of(body)
    if not words or len(words) > 8 or url_token(body) or "|" in body:
        return False
    letters = [character for character in body if character.isalpha()]
    if len(letters) >= 3 and all(character.isupper() for character in letters):
        return True
    if lines[index].body.lstrip().startswith("#"):
        return True
    before = index == 0 or lines[index - 1].blank or lines[index - 1].decoration
    after = index + 1 >= len(lines) or lines[index + 1].blank
    return before and after and len(words) <= 4 and body[-1] not in ".,;:!?"


def _split_row(body: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([body], delimiter=delimiter, skipinitialspace=True))
    except (csv.Error, StopIteration):
        return body.split(delimiter)
    return [cell.strip() for cell in cells]


def _column_role(cell: str) -> str | None:
    words = set(re.findall(r"[^\W\d_]+", cell.casefold()))
    if words & OTHER_COLUMNS:
        return "other"
    return _role_of(cell.replace("_", " "))


def _table_header(body: str) -> tuple[str, list[str]] | None:
    """The delimiter and column roles of a header row (`company;website;stage;referred_by`)."""
    if len(body) > 400:
        return None
    for delimiter in DELIMITERS:
        if body.count(delimiter) < 2:
            continue
        cells = _split_row(body.strip(), delimiter)
        if len(cells) < 3 or any(not cell or len(words_of(cell)) > 4 for cell in cells):
            continue
        roles = [_column_role(cell) for cell in cells]
        known = [role for role in roles if role not in (None, "other")]
        if "name" in known and len(set(known)) >= 3 and roles.count(None) <= 1:
            return delimiter, [role or "other" for role in roles]
    return None


def _header_roles(pieces: list[str]) -> list[str] | None:
    """The column roles of a header row of cells (a pipe table, aligned columns): a name
    column and two more known ones; a numbering column (`#`, `No.`) and columns we do not
    read (`Founders`, `Raised`) are `other`, with at most one column not understood."""
    if len(pieces) < 3:
        return None
    roles = [_column_role(piece) or ("other" if _is_numbering(piece) else None) for piece in pieces]
    known = [role for role in roles if role not in (None, "other")]
    if "name" not in known or len(set(known)) < 2 or roles.count(None) > 1:
        return None
    if any(len(words_of(piece)) > 4 for piece in pieces):
        return None
    return [role or "other" for role in roles]


def _is_numbering(cell: str) -> bool:
    return cell.strip().casefold() in {"#", "no", "no.", "nr", "nr.", "n°", "nº", "rank", "id"}


def _role_of(key: str) -> str | None:
    words = set(re.findall(r"[\w'-]+", key.casefold()))
    if not words or len(words) > 8:
        return None
    for role, vocabulary in ROLES:
        if words & vocabulary:
            return role
    return None


# -- the reader ---------------------------------------------------------------------------------


@dataclass
class Reader:
    email: DealFlowEmail
    own_domains: frozenset[str]
    drafts: list[Draft] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    """Indexes of lines that became (part of) an entry, or sit in a section of news,
    sponsors or partners: prose is not read there."""
    heading_label: Sector | None = None
    """The sector a heading above the current entries names (`HEALTH`, `ENERGIA`)."""
    listed: set[int] = field(default_factory=set)
    """Indexes of lines shaped like their siblings in a list (extraction_shapes.py)."""

    def add(self, name: str, fields: Fields, start: int, end: int) -> None:
        if len(self.drafts) >= MAX_CANDIDATES:
            return
        notes = list(fields.notes)
        if len(name) > COMPANY_NAME_MAX:
            name = name[:COMPANY_NAME_MAX].rstrip()
            notes.append(f"name cut to {COMPANY_NAME_MAX} characters")
        sector = fields.label or self.heading_label or judge_sector(fields.one_liner)
        if fields.one_liner and not fields.stage_present:
            fields.stage = stage_of(fields.one_liner, growth_word=False)
        if fields.one_liner and not fields.location:
            trailing = TRAILING_PLACE.search(fields.one_liner)
            fields.location = trailing.group(1) if trailing else ""
        self.drafts.append(
            Draft(
                name=name,
                start=start,
                end=end,
                url=fields.url,
                one_liner=fields.one_liner,
                sector=sector,
                stage=fields.stage,
                location=fields.location,
                notes=notes,
                site_present=fields.site_present,
            )
        )

    # -- blocks of `Key: value` lines --------------------------------------------------------

    def block(self, lines: list[Line], indexes: list[int]) -> bool:
        roles: list[tuple[str, str]] = []
        title = ""
        for index in indexes:
            body = lines[index].body
            pairs = [KEY_VALUE.match(part) for part in re.split(r"\s+[·|]\s+", body)]
            found = [(_role_of(m.group(1)), m.group(2)) for m in pairs if m]
            known = [(role, value) for role, value in found if role]
            if known:
                roles.extend(known)
            elif not found and not title and not lines[index].decoration:
                title = body
        if len({role for role, _ in roles}) < 2:
            return False
        fields = Fields()
        name = ""
        for role, value in roles:
            if role == "name":
                name = name or value
            else:
                fields.take(role, clean_markup(value), self.own_domains)
        name = clean_name(clean_markup(name or re.sub(r"^=+|=+$", "", title)))
        if not valid_name(name) or not (fields.site_present or fields.stage_present):
            return bool(name)  # a nameless submission is consumed, not invented
        self.add(name, fields, lines[indexes[0]].start, lines[indexes[-1]].end)
        self.used.update(indexes)
        return True

    # -- one entry per line ------------------------------------------------------------------

    def entry(
        self, body: str, roles: list[str] | None, *, listed: bool = False
    ) -> tuple[str, Fields] | None:
        pieces = entry_pieces(with_dash(body) if listed else body)
        found = entry_from_pieces(list(pieces), roles, self.own_domains)
        if found is None:
            return None
        name, fields = found
        if not is_entry(fields, list_item=bool(BULLET.match(body)), name=name, listed=listed):
            return None
        return name, fields

    def paragraph(self, lines: list[Line], indexes: list[int], roles: list[str] | None) -> None:
        position = 0
        while position < len(indexes) and len(self.drafts) < MAX_CANDIDATES:
            index = indexes[position]
            line = lines[index]
            if line.decoration:
                position += 1
                continue
            found = self.entry(line.body, roles, listed=index in self.listed)
            if found is None:
                position += 1
                continue
            name, fields = found
            last = position
            # Two-line entries: `Name · site` then `what · Stage · City` on the next line.
            while (
                not fields.one_liner
                and not fields.stage_present
                and last + 1 < len(indexes)
                and self.entry(lines[indexes[last + 1]].body, roles) is None
                and not lines[indexes[last + 1]].decoration
            ):
                joined = " · ".join(lines[i].body.strip() for i in indexes[position : last + 2])
                again = self.entry(joined, None)
                if again is None or again[0] != name:
                    break
                name, fields = again
                last += 1
            last = self._continuation(lines, indexes, last, fields, roles)
            self.add(name, fields, line.start, lines[indexes[last]].end)
            self.used.update(indexes[position : last + 1])
            position = last + 1

    def _continuation(
        self,
        lines: list[Line],
        indexes: list[int],
        last: int,
        fields: Fields,
        roles: list[str] | None,
    ) -> int:
        """Multi-line entries: `**Name** · Seed · City`, then the one-liner on its own line,
        then the website on its own line. Returns the position of the entry's last line."""
        first = last
        while last + 1 < len(indexes) and last - first < 3:
            line = lines[indexes[last + 1]]
            body = clean_markup(line.body).strip()
            if line.decoration or BULLET.match(line.body) or self.entry(line.body, roles):
                break
            bare = body.strip("()[]<> ")
            if not fields.site_present and (url_token(bare) or is_not_a_site(bare)):
                if not fields.take("url", bare, self.own_domains):
                    break
            elif (
                not fields.one_liner
                and descriptive(body)
                and len(body) <= 300
                and not KEY_VALUE.match(body)
                and not url_token(bare)
            ):
                fields.take("one_liner", body.rstrip(" ."), self.own_domains)
            else:
                break
            last += 1
        return last

    def delimited(self, lines: list[Line]) -> None:
        """Tables pasted as text with a header row, cells separated by `;`, tabs or commas
        (quoted cells may hold the delimiter); `#` and `//` rows are commented out."""
        index = 0
        while index < len(lines) and len(self.drafts) < MAX_CANDIDATES:
            header = _table_header(lines[index].body)
            index += 1
            if header is None:
                continue
            delimiter, roles = header
            self.used.add(index - 1)
            while index < len(lines) and not lines[index].blank:
                line = lines[index]
                body = line.body.strip()
                if body.startswith(("#", "//")):
                    self.used.add(index)
                    index += 1
                    continue
                if delimiter not in body:
                    break
                self.used.add(index)
                self._row(roles, _split_row(body, delimiter), line)
                index += 1

    def _row(self, roles: list[str], cells: list[str], line: Line) -> None:
        fields = Fields()
        name = ""
        for role, cell in zip(roles, cells, strict=False):
            cell = clean_markup(cell).strip()
            if not cell or role == "other":
                continue
            if role == "name":
                name = name or cell
            elif role == "url" or not is_not_a_site(cell):
                fields.take(role, cell, self.own_domains)
        name = clean_name(name)
        if valid_name(name):
            self.add(name, fields, line.start, line.end)

    def read(self) -> None:
        lines = email_lines(self.email.text)
        self.listed = list_shaped(lines)
        self.delimited(lines)
        self._read_sections(lines)
        self.drafts.sort(key=lambda draft: draft.start)

    def _read_sections(self, lines: list[Line]) -> None:
        excluded = False
        roles: list[str] | None = None
        paragraph: list[int] = []
        for index, line in enumerate([*lines, Line(0, 0, "")]):
            if len(self.drafts) >= MAX_CANDIDATES:
                return
            if not line.blank:
                paragraph.append(index)
                continue
            if paragraph:
                excluded, roles = self._section(lines, paragraph, excluded, roles)
            paragraph = []

    def _section(
        self,
        lines: list[Line],
        paragraph: list[int],
        excluded: bool,
        roles: list[str] | None,
    ) -> tuple[bool, list[str] | None]:
        """Read one paragraph; returns whether the section it ends in excludes candidates and
        the table header in force."""
        # Headings may sit inside a paragraph (newsletters): read the runs between them.
        run: list[int] = []
        for index in [*paragraph, -1]:
            if index in self.used:
                continue
            if index >= 0 and not _is_heading(lines, index):
                body = lines[index].body
                if not lines[index].decoration and re.search(r"\||\s\s|\t", body):
                    header = _header_roles(list(entry_pieces(body)))
                    if header is not None:
                        roles = header
                        continue
                run.append(index)
                continue
            if run and excluded:
                self.used.update(run)
            elif run and not self.block(lines, run):
                self.paragraph(lines, run, roles)
            run = []
            if index >= 0:
                heading = lines[index].body
                excluded = bool(EXCLUDING_HEADING.search(heading)) and not (
                    INCLUDING_HEADING.search(heading)
                )
                self.heading_label = heading_sector(heading)
                roles = None
        return excluded, roles
