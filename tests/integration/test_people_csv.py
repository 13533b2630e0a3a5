"""read_people_csv and load_roster on real files: layout, delimiters, encodings, whole-file
errors, and the HR guide's account of them."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from integrations.local.people_csv import PeopleFileError, load_roster, read_people_csv

FIXTURES = Path(__file__).parents[1] / "fixtures" / "people"
FIXTURE = FIXTURES / "org.csv"
GUIDE = Path(__file__).parents[2] / "docs" / "hr-guide.md"
HEADER = "email,name,title,department,level,manager_email,timezone"
LEVELS = {"Engineering Manager": 6, "Senior Engineer": 4, "Staff Engineer": 5}
NORDWIND = [  # the people of the European fixtures, as each of them must read
    ("jana.mueller@nordwind.example", "Jana Müller", "Geschäftsführerin", 9, None),
    (
        "zoe.roth@nordwind.example",
        "Roth, Zoë",
        "Senior Engineer",
        4,
        "jana.mueller@nordwind.example",
    ),
]


def write(tmp_path: Path, text: str, name: str = "org.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, so that messages name the file as `org.csv`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_sample_org_loads_without_problems() -> None:
    roster = load_roster(FIXTURE, LEVELS)
    assert [str(problem) for problem in roster.problems] == []
    people = roster.by_email()
    assert len(people) == 8
    sean = people["dev2@acme.example"]
    assert (sean.name, sean.level, sean.manager_email) == ("O'Brien, Sean", 3, "em1@acme.example")
    assert sean.aliases == ("sean@acme.example", "sob@acme.example")
    assert sean.attributes == {"office": "Dublin"}
    assert people["dev3@acme.example"].level == 5
    assert people["ops1@acme.example"].name == "María José Núñez"


def test_records_carry_source_line_and_every_header_column(in_tmp: Path) -> None:
    write(in_tmp, f"{HEADER}\nann@x.io,Ann,Eng,R&D,3,,UTC\n")
    (record,) = read_people_csv(Path("org.csv"))
    assert (record.source, record.line) == ("org.csv", 2)
    assert dict(record.columns) == {name: at for at, name in enumerate(HEADER.split(","), 1)}
    assert dict(record.fields) == {
        "email": "ann@x.io",
        "name": "Ann",
        "title": "Eng",
        "department": "R&D",
        "level": "3",
        "manager_email": "",
        "timezone": "UTC",
    }


def test_columns_may_come_in_any_order_with_any_case(tmp_path: Path) -> None:
    text = " TimeZone ,Level,NAME,Manager Email, e-mail ,Email,Badge\nUTC,2,Ann,,x,ann@x.io,7\n"
    (record,) = read_people_csv(write(tmp_path, text))
    fields = record.fields
    assert (fields["email"], fields["name"], fields["level"]) == ("ann@x.io", "Ann", "2")
    assert (fields["timezone"], fields["manager_email"]) == ("UTC", "")
    assert (fields["e_mail"], fields["badge"]) == ("x", "7")


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\r\nann@x.io,Ann,,,3,,UTC\r\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    (record,) = read_people_csv(path)
    assert record.fields["email"] == "ann@x.io"
    assert record.fields["timezone"] == "UTC"


def test_a_quoted_multi_line_cell_keeps_later_line_numbers_right(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\n"
        'ann@x.io,"Ann\nLee",Eng,"R&D\r\nlab",3,,UTC\n'
        "\n"
        ",,,,,,\n"
        "bob@x.io,Bob,Eng,R&D,3,zed@x.io,UTC\n"
    )
    path = write(tmp_path, text)
    assert [record.line for record in read_people_csv(path)] == [2, 7]
    roster = load_roster(path, None)
    assert [(p.name, p.department) for p in roster.people] == [("Ann Lee", "R&D lab")]
    assert [(p.source, p.line, p.field) for p in roster.problems] == [
        (str(path), 7, "manager_email")
    ]


def test_old_mac_line_endings_count_as_lines(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\rann@x.io,Ann,,,3,,UTC\rbob@x.io,Bob,,,3,,UTC\r")
    assert [record.line for record in read_people_csv(path)] == [2, 3]


def test_short_rows_read_as_empty_and_extra_cells_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\nann@x.io,Ann\nbob@x.io,Bob,,,3,,UTC,surplus,more\n")
    short, long = read_people_csv(path)
    assert short.fields["timezone"] == "" and short.fields["level"] == ""
    assert long.fields["timezone"] == "UTC" and "surplus" not in long.fields.values()


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    path = write(tmp_path, "email,name,title,timezone\nann@x.io,Ann,Senior Engineer,UTC\n")
    roster = load_roster(path, LEVELS)
    assert [(p.level, p.manager_email, p.department) for p in roster.people] == [(4, None, "")]


def test_a_header_only_file_has_no_records(tmp_path: Path) -> None:
    assert read_people_csv(write(tmp_path, f"\n\n{HEADER}\n\n")) == []


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("email,name,title,department,level,manager_email", "timezone"),
        ("Name,Level", "email, timezone"),
        ("email,name,timezone,department", "level (or title)"),
    ],
)
def test_a_missing_column_names_the_file_and_the_columns(
    in_tmp: Path, header: str, missing: str
) -> None:
    write(in_tmp, f"{header}\nann@x.io,Ann,Eng,R&D,3,\n")
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(Path("org.csv"))
    assert str(raised.value).startswith(f"org.csv: missing column(s): {missing};")


def test_a_file_without_a_header_is_refused(in_tmp: Path) -> None:
    write(in_tmp, "ann@x.io,Ann,Eng,R&D,3,,UTC\n")
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(Path("org.csv"))
    assert str(raised.value) == (
        "org.csv:1: the header has none of the columns email, name, title, department, level,"
        " manager_email, timezone, aliases when split by comma, semicolon or tab; is it a people"
        " file? It reads 'ann@x.io,Ann,Eng,R&D,3,,UTC'"
    )


def test_a_repeated_column_is_refused_naming_both_columns(in_tmp: Path) -> None:
    write(in_tmp, "email,name,level,timezone,EMAIL\n")
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(Path("org.csv"))
    assert str(raised.value) == "org.csv: column 'email' appears more than once (columns 1 and 5)"


def test_a_missing_column_is_explained_with_the_files_own_delimiter(in_tmp: Path) -> None:
    write(in_tmp, "email;name;level\nann@x.io;Ann;3\n")
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(Path("org.csv"))
    assert str(raised.value) == (
        "org.csv: missing column(s): timezone; the first line is the header, such as"
        " email;name;title;department;level;manager_email;timezone"
    )


# --- delimiters -------------------------------------------------------------------------------


def test_a_semicolon_file_with_a_bom_as_excel_in_germany_writes_it_reads_in_full() -> None:
    path = FIXTURES / "excel-de-semicolon-bom.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfEmail;Name;")
    roster = load_roster(path, LEVELS)
    assert [str(problem) for problem in roster.problems] == []
    people = [(p.email, p.name, p.title, p.level, p.manager_email) for p in roster.people]
    assert people == [
        NORDWIND[0],
        (
            "juergen.weiss@nordwind.example",
            "Jürgen Weiß",
            "Leiter; Vertrieb",  # a quoted semicolon stays in its cell
            7,
            "jana.mueller@nordwind.example",
        ),
        NORDWIND[1],  # an unquoted comma is text in a semicolon file
        ("ole.hansen@nordwind.example", "Ole Hansen", "Engineer", 3, "zoe.roth@nordwind.example"),
    ]
    assert [record.line for record in read_people_csv(path)] == [2, 3, 4, 6]  # 5 is ";;;;;;"
    assert roster.people[3].timezone == "Europe/Copenhagen"


def test_a_tab_separated_utf8_export_reads_in_full() -> None:
    path = FIXTURES / "hr-export-tab.tsv"
    roster = load_roster(path, LEVELS)
    assert roster.problems == ()
    assert [(p.email, p.name, p.title, p.level, p.manager_email) for p in roster.people] == [
        *NORDWIND,
        ("ana.silva@nordwind.example", 'Ana "Nina" Silva', "Engineer", 3, NORDWIND[1][0]),
    ]
    assert read_people_csv(path)[0].columns["timezone"] == 7


def test_a_first_line_sep_names_the_delimiter(in_tmp: Path) -> None:
    write(in_tmp, "sep=;\r\n\r\nemail;name;level;timezone\r\nann@x.io;Lee, Ann;3;UTC\r\n")
    (record,) = read_people_csv(Path("org.csv"))
    assert (record.line, record.fields["name"], record.fields["timezone"]) == (4, "Lee, Ann", "UTC")


def test_a_sep_line_with_another_delimiter_is_refused(in_tmp: Path) -> None:
    write(in_tmp, "sep=|\nemail|name|level|timezone\n")
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(Path("org.csv"))
    assert str(raised.value) == (
        "org.csv:1: sep=| names a delimiter other than comma, semicolon or tab"
    )


def test_a_lone_known_column_splits_alike_under_each_delimiter_and_comma_wins(
    in_tmp: Path,
) -> None:
    write(in_tmp, "Email,Vorname,Nachname\n")
    with pytest.raises(PeopleFileError, match=r"^org\.csv: missing column\(s\): name, timezone"):
        read_people_csv(Path("org.csv"))


def test_a_header_of_no_people_file_names_the_delimiters_tried_and_the_header() -> None:
    path = FIXTURES / "not-a-people-file.csv"
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(path)
    assert str(raised.value) == (
        f"{path}:1: the header has none of the columns email, name, title, department, level,"
        " manager_email, timezone, aliases when split by comma, semicolon or tab; is it a"
        " people file? It reads 'Personalnummer;Vorname;Nachname;Kostenstelle;Eintrittsdatum'"
    )


def test_rows_under_another_delimiter_than_the_header_are_refused_naming_the_line() -> None:
    path = FIXTURES / "mixed-delimiters.csv"
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(path)
    assert str(raised.value) == (
        f"{path}:4: this row is separated by commas, but the header by semicolons;"
        " save the whole file with one delimiter"
    )


@pytest.mark.parametrize(
    ("header", "row", "found"),
    [
        (HEADER, "bob@x.io;Bob;Eng;R&D;3;;UTC", "semicolons"),
        (HEADER, "bob@x.io\tBob\tEng\tR&D\t3\t\tUTC", "tabs"),
        (HEADER, '"bob@x.io";"Bob";"Eng";"R&D";"3";"";"UTC"', "semicolons"),
        (HEADER.replace(",", "\t"), '"bob@x.io","Lee; Bob",Eng,R&D,3,,UTC', "commas"),
    ],
)
def test_a_row_with_another_delimiter_is_refused_whatever_the_quoting(
    in_tmp: Path, header: str, row: str, found: str
) -> None:
    sep = "\t" if "\t" in header else ","
    good = sep.join(["ann@x.io", "Ann", "Eng", "R&D", "3", "", "UTC"])
    write(in_tmp, f"{header}\n{good}\n\n{row}\n")
    with pytest.raises(PeopleFileError, match=rf"^org\.csv:4: this row is separated by {found},"):
        read_people_csv(Path("org.csv"))


@pytest.mark.parametrize(
    "row",
    [
        'bob@x.io;"Lee, Bob"',  # a short row: a quoted comma is not a delimiter
        "bob@x.io;Lee, Bob",  # an unquoted comma in a semicolon file is text
        "bob@x.io",
    ],
)
def test_a_short_row_with_the_other_delimiter_inside_a_cell_is_a_row_problem_not_a_file_error(
    in_tmp: Path, row: str
) -> None:
    write(in_tmp, f"{HEADER.replace(',', ';')}\nann@x.io;Ann;Eng;R&D;3;;UTC\n{row}\n")
    roster = load_roster(Path("org.csv"))
    assert [p.email for p in roster.people] == ["ann@x.io"]
    assert [(p.line, p.column, p.field) for p in roster.problems] == [
        (3, 5, "level"),
        (3, 7, "timezone"),
    ]
    assert read_people_csv(Path("org.csv"))[1].fields["name"] == row.partition(";")[2].strip('"')


# --- encodings --------------------------------------------------------------------------------


def test_a_utf16_tab_file_as_excels_unicode_text_writes_it_reads_in_full() -> None:
    path = FIXTURES / "excel-unicode-text-utf16.txt"
    assert path.read_bytes().startswith(b"\xff\xfee\x00m\x00")
    roster = load_roster(path, LEVELS)
    assert roster.problems == ()
    assert [(p.email, p.name, p.title, p.level, p.manager_email) for p in roster.people] == [
        *NORDWIND,
        ("ana.silva@nordwind.example", 'Ana "Nina" Silva', "Engineer", 3, NORDWIND[1][0]),
    ]
    assert [record.line for record in read_people_csv(path)] == [2, 3, 4]


@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-32-le", "utf-32-be"])
def test_other_unicode_files_with_a_byte_order_mark_read(in_tmp: Path, encoding: str) -> None:
    write(in_tmp, f"\ufeff{HEADER}\r\nzoe@x.io,Zoë Ωmega,,,3,,UTC\r\n", encoding=encoding)
    (record,) = read_people_csv(Path("org.csv"))
    assert (record.line, record.fields["name"], record.fields["email"]) == (
        2,
        "Zoë Ωmega",
        "zoe@x.io",
    )


def test_a_windows_1252_file_from_excel_reads_its_accents_and_dashes() -> None:
    path = FIXTURES / "excel-windows-1252.csv"
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    roster = load_roster(path, LEVELS)
    assert roster.problems == ()
    assert [(p.name, p.title) for p in roster.people] == [
        ("Zoë Adams", "Directrice Générale"),
        ("Jürgen Müller", "Senior Engineer"),
        ("Lefèvre, François", "Engineer – Backend"),  # 0x96 is an en dash in Windows-1252
    ]


def test_a_file_mixing_utf8_and_windows_1252_is_refused_naming_line_and_byte() -> None:
    path = FIXTURES / "mixed-encodings.csv"
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(path)
    assert str(raised.value) == (
        f"{path}:3: byte 0xfc is not UTF-8, though other text in the file is (two encodings"
        ' mixed); save the file as UTF-8 (in Excel: "CSV UTF-8")'
    )


def test_a_byte_that_is_neither_utf8_nor_windows_1252_names_the_line(in_tmp: Path) -> None:
    (in_tmp / "org.csv").write_bytes(
        f"{HEADER}\r\nann@x.io,Ann,,,3,,UTC\r\n".encode() + b"bob@x.io,B\x81b,,,3,,UTC\r\n"
    )
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(Path("org.csv"))
    assert str(raised.value) == (
        "org.csv:3: byte 0x81 is neither UTF-8 nor Windows-1252; save the file as UTF-8 (in Excel:"
        ' "CSV UTF-8")'
    )


def test_a_broken_utf16_file_names_the_line(in_tmp: Path) -> None:
    (in_tmp / "org.csv").write_bytes(
        f"\ufeff{HEADER}\r\nann@x.io,Ann,,,3,,UTC\r\n".encode("utf-16-le") + b"\x00\xdc"
    )
    with pytest.raises(PeopleFileError, match=r"^org\.csv:3: byte 0x00 is not valid UTF-16, as"):
        read_people_csv(Path("org.csv"))


def test_utf16_without_a_byte_order_mark_is_refused(in_tmp: Path) -> None:
    write(in_tmp, f"{HEADER}\r\n", encoding="utf-16-le")
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(Path("org.csv"))
    assert str(raised.value) == (
        "org.csv:1: the file has NUL bytes (is it UTF-16 without a byte-order mark?);"
        ' save the file as UTF-8 (in Excel: "CSV UTF-8")'
    )


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff", " , ,\r\n"])
def test_an_empty_file_is_refused(in_tmp: Path, text: str) -> None:
    write(in_tmp, text)
    with pytest.raises(PeopleFileError, match=r"^org\.csv: empty file"):
        read_people_csv(Path("org.csv"))


def test_an_unterminated_quote_names_the_line_where_the_record_starts(in_tmp: Path) -> None:
    write(in_tmp, f'{HEADER}\nann@x.io,Ann,,,3,,UTC\nbob@x.io,"Bob,,,3,,UTC\ncy@x.io,Cy,,,3,,UTC\n')
    with pytest.raises(PeopleFileError, match=r"^org\.csv:3: malformed CSV"):
        read_people_csv(Path("org.csv"))


def test_a_missing_file_is_a_people_file_error(in_tmp: Path) -> None:
    with pytest.raises(PeopleFileError, match=r"^nope\.csv: cannot read the file"):
        read_people_csv(Path("nope.csv"))


# --- problems with rows point at the cell ---------------------------------------------------


def test_a_row_problem_names_file_line_column_and_field(in_tmp: Path) -> None:
    shutil.copy(FIXTURES / "excel-de-semicolon-bom.csv", in_tmp / "org.csv")
    path = in_tmp / "org.csv"
    path.write_bytes(path.read_bytes().replace(b"Europe/Copenhagen", b"Europe/Kopenhagen"))
    roster = load_roster(Path("org.csv"), LEVELS)
    assert [str(problem) for problem in roster.problems] == [
        "org.csv:6: column 7 (timezone): 'Europe/Kopenhagen' is not an IANA time zone such as"
        " Europe/Paris; did you mean Europe/Copenhagen? (row of ole.hansen@nordwind.example"
        " skipped)"
    ]
    assert len(roster.people) == 3


def test_columns_are_counted_in_the_files_own_order(in_tmp: Path) -> None:
    write(in_tmp, "Timezone\tBadge\tEmail\tName\tTitle\nUTC\t7\tann@x.io\tAnn\tIntern\n")
    (problem,) = load_roster(Path("org.csv"), LEVELS).problems
    assert (problem.column, problem.field) == (5, "title")
    assert str(problem).startswith("org.csv:2: column 5 (title): no level: the title 'Intern'")


# --- the HR guide -----------------------------------------------------------------------------


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _guide_example() -> str:
    return _guide().split("```csv\n", 1)[1].split("```", 1)[0]


def _guide_levels() -> dict[str, int]:
    block = re.search(r"```yaml\n(levels:\n.*?)```", _guide(), re.DOTALL)
    assert block is not None
    levels: dict[str, int] = YAML(typ="safe").load(block.group(1))["levels"]
    return levels


def test_the_guides_example_people_file_reads_without_problems(in_tmp: Path) -> None:
    write(in_tmp, _guide_example())
    roster = load_roster(Path("org.csv"), _guide_levels())
    assert roster.problems == ()
    assert [(p.level, p.manager_email) for p in roster.people] == [
        (9, None),
        (8, "ana.ferreira@example.com"),
        (3, "jonas.weber@example.com"),
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Asia/Kolkata", "Asia/Kolkatta"),
        ("Asia/Kolkata", "GMT+05:30"),
        ("Asia/Kolkata", ""),
        (",ana.ferreira@example.com,Europe", ",ana.fereira@example.com,Europe"),
        ("Senior Engineer", "Staff Engineer"),
        ("Engineering,8,", "Engineering,VP,"),
        ("priya.raman@example.com,", "jonas.weber@example.com,"),
    ],
)
def test_the_hr_guide_quotes_row_problems_word_for_word(in_tmp: Path, old: str, new: str) -> None:
    example = _guide_example()
    assert old in example
    write(in_tmp, example.replace(old, new))
    problems = load_roster(Path("org.csv"), _guide_levels()).problems
    assert problems
    for problem in problems:
        assert str(problem) in _guide()


def _semicolons_but_the_last_row(example: str) -> str:
    lines = example.splitlines(keepends=True)
    head = "".join(lines[:-1]).replace(",", ";").replace('"Vice President; Engineering"', "VP")
    return head + lines[-1]


@pytest.mark.parametrize(
    "make",
    [
        lambda example: b"Vorname;Nachname;E-Mail\nAna;Ferreira;ana.ferreira@example.com\n",
        lambda example: example.replace(",timezone", ",time zone offset").encode(),
        lambda example: _semicolons_but_the_last_row(example).encode(),
        lambda example: (
            example.replace("Ana", "Zoë").encode()
            + "zoe.muller@example.com,Zoë Müller,,,2,,Europe/Berlin\n".encode("cp1252")
        ),
    ],
)
def test_the_hr_guide_quotes_file_errors_word_for_word(
    in_tmp: Path, make: Callable[[str], bytes]
) -> None:
    (in_tmp / "org.csv").write_bytes(make(_guide_example()))
    with pytest.raises(PeopleFileError) as raised:
        read_people_csv(Path("org.csv"))
    assert str(raised.value) in _guide()
