"""The local directory is a CSV export of the organisation, as HR systems and Excel write it:
comma, semicolon or tab separated, UTF-8, UTF-16 or Windows-1252. Only faults that spoil the
whole file raise here; a bad row is left to scheduler.program.roster, which reports it by its
line and column."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping
from itertools import zip_longest
from pathlib import Path
from types import MappingProxyType

from scheduler.errors import UserError
from scheduler.ports import PersonRecord
from scheduler.program.roster import Roster, build_roster

COLUMNS = ("email", "name", "title", "department", "level", "manager_email", "timezone")
REQUIRED_COLUMNS = ("email", "name", "timezone")  # and at least one of LEVEL_COLUMNS
LEVEL_COLUMNS = ("level", "title")
KNOWN_COLUMNS = (*COLUMNS, "aliases")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}

_SEPARATORS = re.compile(r"[\s-]+")
_DECLARED = re.compile(r"sep=(.) *\r?\n?", re.IGNORECASE)  # Excel's first line "sep=;"
_FILLER = ' \t\r\n,;"'  # a line of only these is blank, as Excel writes an empty row
_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_SAVE_AS_UTF8 = 'save the file as UTF-8 (in Excel: "CSV UTF-8")'


class PeopleFileError(UserError):
    """The whole file is unusable; the message names the file, and the line where one applies."""


def read_people_csv(path: Path) -> list[PersonRecord]:
    """The records of a people file, one per non-blank row, each with the physical line it
    starts on (a quoted cell may span lines) and the column of each field.

    Encoding: by byte-order mark (UTF-8, UTF-16 or UTF-32), else UTF-8, else Windows-1252,
    which Excel's plain "CSV" writes on Windows; a file that mixes UTF-8 with other bytes is
    refused rather than half misread. Delimiter: a first line "sep=;" says it; else the one
    (comma, semicolon or tab) that splits the header into the most known column names; every
    row must use it. The first non-blank row is the header: columns in any order, names trimmed and
    case-insensitive ("Manager Email" reads as manager_email). Required: email, name,
    timezone, and level or title (title is mapped through the program's levels table);
    without them every row would be skipped, so they are a file error instead. Optional:
    department, manager_email, aliases. Any other column is kept as a person attribute. A
    short row reads as empty cells; extra cells are ignored.

    Raises:
        PeopleFileError: unreadable, undecodable, empty, not a people file, malformed CSV, a
        row split by another delimiter than the header, or a missing or repeated column.
    """
    source = str(path)
    lines = io.StringIO(_decode(_read(path, source), source), newline="").readlines()
    start, delimiter = _layout(lines, source)
    return _records(lines, start, delimiter, source)


def load_roster(path: Path, levels: Mapping[str, int] | None = None) -> Roster:
    """Read a people file and validate its records into a roster.

    Raises:
        PeopleFileError: see `read_people_csv`.
    """
    return build_roster(read_people_csv(path), levels)


def _read(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise PeopleFileError(f"{source}: cannot read the file: {error.strerror}") from None


def _decode(data: bytes, source: str) -> str:
    """The text of the file, decided by byte-order mark, then UTF-8, then Windows-1252; never
    by guessing among more encodings, which would misread names without a word."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            return _strict(data, codec, source, f"not valid {label}, as its byte-order mark says")
    if b"\x00" in data:
        line = _line_at(data[: data.index(b"\x00")].decode("latin-1"))
        message = "the file has NUL bytes (is it UTF-16 without a byte-order mark?)"
        raise PeopleFileError(f"{source}:{line}: {message}; {_SAVE_AS_UTF8}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if _UTF8_SEQUENCE.search(data):
            problem = "not UTF-8, though other text in the file is (two encodings mixed)"
            raise PeopleFileError(_undecodable(data, error, source, problem)) from None
    return _strict(data, "cp1252", source, "neither UTF-8 nor Windows-1252")


def _strict(data: bytes, codec: str, source: str, problem: str) -> str:
    try:
        return data.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise PeopleFileError(_undecodable(data, error, source, problem, codec)) from None


def _undecodable(
    data: bytes, error: UnicodeDecodeError, source: str, problem: str, codec: str = "latin-1"
) -> str:
    """A message naming the line and the first byte that could not be read."""
    line = _line_at(data[: error.start].decode(codec, errors="replace"))
    byte = data[error.start]
    return f"{source}:{line}: byte 0x{byte:02x} is {problem}; {_SAVE_AS_UTF8}"


def _line_at(text: str) -> int:
    """The line the end of `text` is on, counting \\n, \\r\\n and \\r as csv does."""
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1


def _layout(lines: list[str], source: str) -> tuple[int, str]:
    """The index of the header line and the delimiter of the file."""
    start = _next_filled(lines, 0, source)
    declared = _DECLARED.fullmatch(lines[start])
    if declared is None:
        return start, _detected_delimiter(lines[start], source, start + 1)
    if declared.group(1) not in DELIMITERS:
        message = f"sep={declared.group(1)} names a delimiter other than comma, semicolon or tab"
        raise PeopleFileError(f"{source}:{start + 1}: {message}")
    return _next_filled(lines, start + 1, source), declared.group(1)


def _next_filled(lines: list[str], start: int, source: str) -> int:
    for index in range(start, len(lines)):
        if lines[index].strip(_FILLER):
            return index
    message = f"{source}: empty file; expected a header line such as {','.join(COLUMNS)}"
    raise PeopleFileError(message)


def _detected_delimiter(header: str, source: str, line: int) -> str:
    """The delimiter that splits the header into the most known column names; the first of
    comma, semicolon and tab on a tie, as a lone known column splits alike under each."""
    known = {
        delimiter: len({_name(cell) for cell in _split(header, delimiter)} & set(KNOWN_COLUMNS))
        for delimiter in DELIMITERS
    }
    best = max(known, key=known.__getitem__)
    if known[best]:
        return best
    columns = ", ".join(KNOWN_COLUMNS)
    message = f"the header has none of the columns {columns} when split by comma, semicolon or tab"
    raise PeopleFileError(
        f"{source}:{line}: {message}; is it a people file? It reads {_show(header)}"
    )


def _name(cell: str) -> str:
    """A header cell as a column name: " Manager Email " -> manager_email."""
    return _SEPARATORS.sub("_", cell.strip().lower())


def _split(text: str, delimiter: str) -> list[str]:
    """The cells of the first record of `text`, read leniently: quotes that do not close under
    a wrong delimiter must not stop the comparison."""
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []


def _records(lines: list[str], start: int, delimiter: str, source: str) -> list[PersonRecord]:
    reader = csv.reader(lines[start:], delimiter=delimiter, strict=True)
    header: list[str] | None = None
    columns: Mapping[str, int] = {}
    records: list[PersonRecord] = []
    first = start + 1  # the line the current record starts on
    try:
        for cells in reader:
            raw = "".join(lines[first - 1 : start + reader.line_num])
            if header is None:
                header = _header(cells, source, delimiter)
                columns = MappingProxyType({name: at for at, name in enumerate(header, 1) if name})
            elif raw.strip(_FILLER) and any(cell.strip() for cell in cells):
                _same_delimiter(raw, len(cells), len(header), delimiter, f"{source}:{first}")
                records.append(PersonRecord(source, first, _fields(header, cells), columns))
            first = start + reader.line_num + 1
    except csv.Error as error:
        raw = "".join(lines[first - 1 : start + reader.line_num])
        if header is not None:
            _same_delimiter(raw, 0, len(header), delimiter, f"{source}:{first}")
        message = f"{source}:{first}: malformed CSV in the record that starts here ({error})"
        raise PeopleFileError(message) from None
    return records


def _header(cells: list[str], source: str, delimiter: str) -> list[str]:
    names = [_name(cell) for cell in cells]
    seen: dict[str, int] = {}
    for column, name in enumerate(names, 1):
        if name and name in seen:
            where = f"columns {seen[name]} and {column}"
            raise PeopleFileError(f"{source}: column {name!r} appears more than once ({where})")
        seen[name] = column
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if seen.keys().isdisjoint(LEVEL_COLUMNS):
        missing.append("level (or title)")
    if missing:
        example = (
            f"{','.join(COLUMNS)} separated by tabs"
            if delimiter == "\t"
            else delimiter.join(COLUMNS)
        )
        hint = f"the first line is the header, such as {example}"
        raise PeopleFileError(f"{source}: missing column(s): {', '.join(missing)}; {hint}")
    return names


def _same_delimiter(raw: str, cells: int, columns: int, delimiter: str, where: str) -> None:
    """Refuse a row that another delimiter splits far better than the header's: pasted from
    another export, its cells would land in the wrong columns. A row is suspect only when it
    fills less than half of the header's columns, so a full row with commas in its cells (a
    "Roth, Zoë" in a semicolon file) is left alone; a quoted delimiter is never counted."""
    if 2 * cells >= columns:
        return
    for other, name in DELIMITERS.items():
        found = len(_split(raw, other))
        if other != delimiter and found > cells and 2 * found >= columns:
            message = (
                f"this row is separated by {name}s, but the header by {DELIMITERS[delimiter]}s"
            )
            raise PeopleFileError(f"{where}: {message}; save the whole file with one delimiter")


def _fields(header: list[str], cells: list[str]) -> dict[str, str]:
    pairs = zip_longest(header, cells[: len(header)], fillvalue="")
    return {name: cell for name, cell in pairs if name}


def _show(line: str) -> str:
    text = line.rstrip("\r\n")
    return repr(text[:80]) + ("..." if len(text) > 80 else "")
