"""read_people_csv and load_roster on real files: layout, encodings and whole-file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.local.people_csv import PeopleFileError, load_roster, read_people_csv

FIXTURE = Path(__file__).parents[1] / "fixtures" / "people" / "org.csv"
HEADER = "email,name,title,department,level,manager_email,timezone"
LEVELS = {"Engineering Manager": 6, "Senior Engineer": 4, "Staff Engineer": 5}


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
    with pytest.raises(PeopleFileError, match=r"^org\.csv: missing column\(s\): email, name"):
        read_people_csv(Path("org.csv"))


def test_a_repeated_column_is_refused(in_tmp: Path) -> None:
    write(in_tmp, "email,name,level,timezone,EMAIL\n")
    with pytest.raises(PeopleFileError, match=r"^org\.csv: column 'email' appears more than once"):
        read_people_csv(Path("org.csv"))


def test_invalid_utf8_names_the_line(in_tmp: Path) -> None:
    (in_tmp / "org.csv").write_bytes(
        f"{HEADER}\r\nann@x.io,Ann,,,3,,UTC\r\n".encode() + b"bob@x.io,B\xf6b,,,3,,UTC\r\n"
    )
    with pytest.raises(PeopleFileError, match=r"^org\.csv:3: not valid UTF-8 \(byte 0xf6\)"):
        read_people_csv(Path("org.csv"))


def test_a_latin1_file_is_refused_rather_than_guessed(in_tmp: Path) -> None:
    write(in_tmp, f"{HEADER}\nann@x.io,Zoë,,,3,,UTC\n", encoding="latin-1")
    with pytest.raises(PeopleFileError, match=r"^org\.csv:2: not valid UTF-8"):
        read_people_csv(Path("org.csv"))


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
