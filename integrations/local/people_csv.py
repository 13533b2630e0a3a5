"""The local directory is a CSV export of the organisation. Only faults that spoil the whole file
raise here; a bad row is left to scheduler.roster, which reports it by its line."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from itertools import zip_longest
from pathlib import Path

from scheduler.roster import RawPerson, Roster, build_roster

COLUMNS = ("email", "name", "title", "department", "level", "manager_email", "timezone")
REQUIRED_COLUMNS = ("email", "name", "timezone")  # and at least one of LEVEL_COLUMNS
LEVEL_COLUMNS = ("level", "title")

_SEPARATORS = re.compile(r"[\s-]+")


class PeopleFileError(Exception):
    """The whole file is unusable; the message names the file, and the line where one applies."""


def read_people_csv(path: Path) -> list[RawPerson]:
    """The records of a people file, one per non-blank row, each with the physical line it
    starts on (a quoted cell may span lines).

    The file is UTF-8, with or without a byte-order mark. The first non-blank row is the
    header: columns in any order, names trimmed and case-insensitive ("Manager Email" reads as
    manager_email). Required: email, name, timezone, and level or title (title is mapped
    through the program's levels table); without them every row would be skipped, so they
    are a file error instead. Optional: department, manager_email, aliases. Any other column
    is kept as a person attribute. A short row reads as empty cells; extra cells are ignored.

    Raises:
        PeopleFileError: unreadable, not UTF-8, empty, malformed CSV, or a missing or
        repeated column.
    """
    source = str(path)
    reader = csv.reader(io.StringIO(_decode(path, source), newline=""), strict=True)
    header: list[str] | None = None
    records: list[RawPerson] = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if header is None:
                    header = _header(cells, source)
                else:
                    records.append(RawPerson(source, start, _fields(header, cells)))
            start = reader.line_num + 1
    except csv.Error as error:
        message = f"{source}:{start}: malformed CSV in the record that starts here ({error})"
        raise PeopleFileError(message) from None
    if header is None:
        message = f"{source}: empty file; expected a header line such as {','.join(COLUMNS)}"
        raise PeopleFileError(message)
    return records


def load_roster(path: Path, levels: Mapping[str, int] | None = None) -> Roster:
    """Read a people file and validate its records into a roster.

    Raises:
        PeopleFileError: see `read_people_csv`.
    """
    return build_roster(read_people_csv(path), levels)


def _decode(path: Path, source: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PeopleFileError(f"{source}: cannot read the file: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        byte = data[error.start]
        message = f"{source}:{line}: not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"
        raise PeopleFileError(message) from None


def _header(cells: list[str], source: str) -> list[str]:
    names = [_SEPARATORS.sub("_", cell.strip().lower()) for cell in cells]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise PeopleFileError(f"{source}: column {name!r} appears more than once")
        seen.add(name)
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if seen.isdisjoint(LEVEL_COLUMNS):
        missing.append("level (or title)")
    if missing:
        hint = f"the first line is the header, such as {','.join(COLUMNS)}"
        raise PeopleFileError(f"{source}: missing column(s): {', '.join(missing)}; {hint}")
    return names


def _fields(header: list[str], cells: list[str]) -> dict[str, str]:
    pairs = zip_longest(header, cells[: len(header)], fillvalue="")
    return {name: cell for name, cell in pairs if name}
