"""build_roster: every rule for untrusted directory records, and that nothing is lost silently."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.ports import PersonRecord
from scheduler.program.load import parse_program
from scheduler.program.roster import MAX_TEXT, RowProblem, build_roster

LEVELS = {"Senior  Engineer": 4, "staff engineer": 5, "L3": 3}


def rec(line: int, email: str, source: str = "org.csv", **fields: str) -> PersonRecord:
    """A record that passes every check unless a field says otherwise."""
    values = {"name": email.split("@")[0].title(), "level": "3", "timezone": "Europe/Paris"}
    return PersonRecord(source, line, {"email": email, **values, **fields})


def problems_of(
    records: list[PersonRecord], levels: dict[str, int] | None = None
) -> list[tuple[int, str, str]]:
    return [(p.line, p.field, p.message) for p in build_roster(records, levels).problems]


# --- a sound record ---------------------------------------------------------------------------


def test_a_sound_record_becomes_a_person_with_normalised_fields() -> None:
    record = PersonRecord(
        "org.csv",
        2,
        {
            "email": "  Ann.Lee@Example.COM ",
            "name": "  Ann   Lee ",
            "title": " Staff\tEngineer",
            "department": "R&D",
            "level": " 5 ",
            "manager_email": "",
            "timezone": " America/New_York ",
            "Cost Center": " 42 ",
        },
    )
    roster = build_roster([record])
    assert roster.problems == ()
    (ann,) = roster.people
    assert ann.email == "ann.lee@example.com"
    assert (ann.name, ann.title, ann.department) == ("Ann Lee", "Staff Engineer", "R&D")
    assert (ann.level, ann.manager_email, ann.timezone) == (5, None, "America/New_York")
    assert ann.attributes == {"Cost Center": "42"}
    assert roster.by_email()["ann.lee@example.com"] is ann


def test_people_keep_input_order() -> None:
    roster = build_roster([rec(2, "c@x.io"), rec(3, "a@x.io"), rec(4, "b@x.io")])
    assert [p.email for p in roster.people] == ["c@x.io", "a@x.io", "b@x.io"]


# --- email ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "bob",
        "bob@",
        "@x.com",
        "bob@x",
        "bob@@x.com",
        "bob@x@y.com",
        "bo b@x.com",
        "bob@x.com\r\nBcc: evil@x.com",
        "bob@x.com\nbcc:evil@x.com",
        "a,b@x.com",
        "<bob@x.com>",
        "Bob <bob@x.com>",
        '"bob"@x.com',
        "bob@x..com",
        "bob@.x.com",
        "bob@x.com.",
        "bo\u202eb@x.com",
        "bob\u200b@x.com",
        "bob\x00@x.com",
        "bob;eve@x.com",
        "a" * 250 + "@x.com",
    ],
)
def test_an_invalid_email_skips_the_row(email: str) -> None:
    roster = build_roster([rec(7, email)])
    assert roster.people == ()
    (problem,) = roster.problems
    assert (problem.line, problem.field, problem.email, problem.skipped) == (7, "email", None, True)
    assert problem.message.endswith("is not an email address")
    assert "\n" not in str(problem) and "\r" not in str(problem)


def test_a_missing_email_is_a_problem() -> None:
    roster = build_roster([PersonRecord("org.csv", 3, {"name": "Nobody", "level": "1"})])
    assert roster.people == ()
    assert [(p.field, p.email) for p in roster.problems] == [("email", None), ("timezone", None)]
    assert str(roster.problems[0]) == "org.csv:3: email: missing (row skipped)"


def test_email_is_trimmed_lower_cased_and_nfc_normalised() -> None:
    roster = build_roster([rec(2, " Jose\u0301@X.io\t")])
    assert [p.email for p in roster.people] == ["jos\u00e9@x.io"]


def test_a_duplicate_email_keeps_the_first_row_and_names_its_line() -> None:
    roster = build_roster([rec(2, "ann@x.io", name="First"), rec(9, "ANN@x.io ", name="Second")])
    assert [p.name for p in roster.people] == ["First"]
    (problem,) = roster.problems
    assert (problem.line, problem.field, problem.email) == (9, "email", "ann@x.io")
    assert problem.message == "duplicate of line 2, which is kept"


def test_a_duplicate_from_another_source_names_the_source() -> None:
    records = [rec(2, "ann@x.io", source="a.csv"), rec(4, "ann@x.io", source="b.csv")]
    assert problems_of(records) == [(4, "email", "duplicate of a.csv:2, which is kept")]


def test_a_record_without_a_line_reads_well() -> None:
    (problem,) = build_roster([rec(0, "nope", source="google")]).problems
    assert str(problem) == "google: email: 'nope' is not an email address (row skipped)"


def test_a_missing_manager_of_a_record_without_a_line_is_not_in_the_directory() -> None:
    records = [rec(0, "ann@x.io", source="google", manager_email="zed@x.io")]
    assert problems_of(records) == [(0, "manager_email", "'zed@x.io' is not in the directory")]


def test_a_problem_names_the_column_of_the_cell_when_the_record_has_columns() -> None:
    columns = {"email": 1, "name": 2, "level": 5, "manager_email": 6, "timezone": 7, "aliases": 9}
    records = [
        PersonRecord(
            "org.csv", 13, {"email": "ann@x.io", "level": "2", "timezone": "UTC"}, columns
        ),
        PersonRecord(
            "org.csv",
            14,
            {
                "email": "bob@x.io",
                "level": "2",
                "timezone": "Europe/Berln",
                "manager_email": "ann@x.io",
                "aliases": "bad@",
            },
            columns,
        ),
        PersonRecord(
            "org.csv", 15, {"email": "ANN@x.io", "level": "2", "timezone": "UTC"}, columns
        ),
    ]
    assert [str(problem) for problem in build_roster(records).problems] == [
        "org.csv:14: column 7 (timezone): 'Europe/Berln' is not an IANA time zone such as"
        " Europe/Paris; did you mean Europe/Berlin? (row of bob@x.io skipped)",
        "org.csv:14: column 9 (aliases): 'bad@' is not an email address (alias dropped)",
        "org.csv:15: column 1 (email): duplicate of line 13, which is kept"
        " (row of ann@x.io skipped)",
    ]
    assert [problem.column for problem in build_roster(records).problems] == [7, 9, 1]


def test_a_field_without_a_column_in_the_file_shows_no_column() -> None:
    record = PersonRecord(
        "org.csv", 3, {"email": "ann@x.io", "level": "2"}, {"email": 1, "level": 2}
    )
    (problem,) = build_roster([record]).problems
    assert (problem.field, problem.column) == ("timezone", 0)
    assert str(problem).startswith("org.csv:3: timezone: missing;")


# --- text fields ------------------------------------------------------------------------------


def test_header_injection_in_a_name_comes_out_as_one_clean_line() -> None:
    records = [
        rec(
            2,
            "bob@x.io",
            name="Bob\r\nBcc: evil@x.io",
            title="Eng\rTo: all@x.io",
            department="Ops\u2028Subject: hi",
            **{"X-Note\r\nBcc: e@x.io": "v\nw"},
        )
    ]
    (bob,) = build_roster(records).people
    assert bob.name == "Bob Bcc: evil@x.io"
    assert bob.title == "Eng To: all@x.io"
    assert bob.department == "Ops Subject: hi"
    assert bob.attributes == {"X-Note Bcc: e@x.io": "v w"}


def test_invisible_and_bidi_controls_are_stripped_and_combining_marks_composed() -> None:
    name = "\ufeff\u202eRe\u0301my\u202c \u200bO\u0308zil\u2066\u2069\x00\x1b[31m"
    (person,) = build_roster([rec(2, "remy@x.io", name=name)]).people
    assert person.name == "Rémy Özil[31m"
    assert unicodedata.is_normalized("NFC", person.name)


def test_text_is_capped() -> None:
    (person,) = build_roster([rec(2, "long@x.io", name="n" * 1000, title="t " * 500)]).people
    assert len(person.name) == MAX_TEXT
    assert len(person.title) <= MAX_TEXT and not person.title.endswith(" ")


def test_a_name_of_only_controls_falls_back_to_the_email_for_display() -> None:
    (person,) = build_roster([rec(2, "ghost@x.io", name="\u202e\r\n\t\u200b")]).people
    assert person.name == ""
    assert person.display_name == "ghost@x.io"


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_any_name_is_safe_for_a_header(name: str) -> None:
    (person,) = build_roster([rec(2, "any@x.io", name=name, title=name)]).people
    for text in (person.name, person.title):
        assert len(text) <= MAX_TEXT
        assert text == text.strip()
        assert "  " not in text
        assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for c in text)
        assert text.splitlines() in ([], [text])


# --- level ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "title", "expected"),
    [
        (" 3 ", "", 3),
        ("07", "", 7),
        ("senior engineer", "", 4),
        (" SENIOR\tENGINEER ", "whatever", 4),
        ("", "Staff  Engineer", 5),
        ("l3", "", 3),
    ],
)
def test_a_level_is_a_number_or_found_in_the_levels_table(
    level: str, title: str, expected: int
) -> None:
    roster = build_roster([rec(2, "a@x.io", level=level, title=title)], LEVELS)
    assert [p.level for p in roster.people] == [expected]


@pytest.mark.parametrize(
    ("level", "title", "field", "message"),
    [
        (
            "abc",
            "",
            "level",
            "no level: 'abc' is neither a number nor listed under levels: in the program file;"
            ' add it there as a line such as "abc: 5"',
        ),
        (
            "",
            "Intern",
            "title",
            "no level: the title 'Intern' is not listed under levels: in the program file;"
            ' add it there as a line such as "Intern: 5"',
        ),
        ("-1", "", "level", "no level: '-1' is not a whole number of 0 or more"),
        ("3.0", "Intern", "level", "no level: '3.0' is not a whole number of 0 or more"),
        ("", "", "level", "no level: the level and the title are both empty"),
    ],
)
def test_without_a_level_the_row_is_skipped_and_the_cell_to_fix_named(
    level: str, title: str, field: str, message: str
) -> None:
    records = [rec(5, "a@x.io", level=level, title=title)]
    assert problems_of(records, levels=LEVELS) == [(5, field, message)]


def test_a_mistyped_title_gets_a_did_you_mean_and_the_line_to_add() -> None:
    (problem,) = build_roster([rec(5, "a@x.io", level="", title="Senior Enginer")], LEVELS).problems
    assert problem.message == (
        "no level: the title 'Senior Enginer' is not listed under levels: in the program file;"
        " did you mean 'Senior Engineer'? If not, add it there as a line such as"
        ' "Senior Enginer: 4"'
    )


def test_without_a_levels_table_the_hint_still_shows_the_line_to_add() -> None:
    (problem,) = build_roster([rec(5, "a@x.io", level="", title="Intern")]).problems
    assert problem.message.endswith('add it there as a line such as "Intern: 1"')


@pytest.mark.parametrize(
    "title",
    ["Intern", "Head of People's Ops", "Director: Sales", "No", "#1 Fan", "Geschäftsführerin"],
)
def test_the_line_to_add_under_levels_reads_back_as_the_title(title: str) -> None:
    (problem,) = build_roster([rec(5, "a@x.io", level="", title=title)], LEVELS).problems
    line = problem.message.rsplit('such as "', 1)[1].removesuffix('"')
    program = parse_program(
        "program: {name: X, owner: o@x.org, start: 2027-01-11}\n"
        "provider: {kind: local, people: org.csv, mailbox: m@x.org}\n"
        f"levels:\n  {line}\n",
        "program.yaml",
        Path("/tmp"),
    )
    assert list(program.levels) == [title]
    assert build_roster([rec(5, "a@x.io", level="", title=title)], program.levels).problems == ()


def test_with_only_a_title_column_an_empty_level_points_at_the_title() -> None:
    record = PersonRecord(
        "org.csv",
        4,
        {"email": "a@x.io", "name": "A", "title": "", "timezone": "UTC"},
        {"email": 1, "name": 2, "title": 3, "timezone": 4},
    )
    (problem,) = build_roster([record], LEVELS).problems
    assert str(problem) == (
        "org.csv:4: column 3 (title): no level: the level and the title are both empty"
        " (row of a@x.io skipped)"
    )


def test_a_non_numeric_level_without_a_table_is_a_problem() -> None:
    assert problems_of([rec(2, "a@x.io", level="Senior Engineer")])[0][1] == "level"


# --- timezone ---------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["", "  ", "Mars/Olympus_Mons", "+02:00", "localtime", "../etc"])
def test_a_missing_or_unknown_timezone_skips_the_row(zone: str) -> None:
    roster = build_roster([rec(4, "a@x.io", timezone=zone)])
    assert roster.people == ()
    assert [(p.line, p.field) for p in roster.problems] == [(4, "timezone")]


def test_a_timezone_in_the_wrong_case_is_corrected() -> None:
    (person,) = build_roster([rec(2, "a@x.io", timezone="asia/kolkata")]).people
    assert person.timezone == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("zone", "meant"),
    [
        ("Europe/Berln", "Europe/Berlin"),
        ("america/newyork", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("Kolkatta", "Asia/Kolkata"),
        ("Berlin", "Europe/Berlin"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Pacific Time", "America/Los_Angeles"),
        ("CEST", "Europe/Berlin"),
        ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Amsterdam"),
        ("(UTC-05:00) Eastern Time (US & Canada)", "America/New_York"),
        ("GMT+01:00 Central European Time (Europe/Prague)", "Europe/Prague"),
    ],
)
def test_an_unknown_timezone_gets_a_did_you_mean(zone: str, meant: str) -> None:
    (problem,) = build_roster([rec(4, "a@x.io", timezone=zone)]).problems
    assert problem.message == (
        f"{zone!r} is not an IANA time zone such as Europe/Paris; did you mean {meant}?"
    )


@pytest.mark.parametrize("zone", ["+02:00", "UTC+1", "GMT -05:00", "(UTC+05:30)"])
def test_an_offset_gets_told_to_use_the_zone_of_a_city(zone: str) -> None:
    (problem,) = build_roster([rec(4, "a@x.io", timezone=zone)]).problems
    assert problem.message == (
        f"{zone!r} is not an IANA time zone such as Europe/Paris; an offset does not follow"
        " summer time: write the zone of the person's city, such as America/New_York or"
        " Europe/Berlin"
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Nowhere", "../etc", "0612345678"])
def test_a_timezone_with_nothing_close_gets_no_guess(zone: str) -> None:
    (problem,) = build_roster([rec(4, "a@x.io", timezone=zone)]).problems
    assert problem.message == f"{zone!r} is not an IANA time zone such as Europe/Paris"


# --- manager ----------------------------------------------------------------------------------


def test_a_manager_not_in_the_directory_skips_the_row() -> None:
    records = [
        rec(2, "ann@example.com"),
        rec(14, "bob@example.com", manager_email="zed@example.com"),
    ]
    roster = build_roster(records)
    assert [p.email for p in roster.people] == ["ann@example.com"]
    assert [str(p) for p in roster.problems] == [
        "org.csv:14: manager_email: 'zed@example.com' is not in the file "
        "(row of bob@example.com skipped)"
    ]


@pytest.mark.parametrize(
    "typed",
    [
        "ana.fereira@northwind-loom.example",  # a letter missing
        "ana.ferreirra@northwind-loom.example",  # one extra
        "ana.ferriera@northwind-loom.example",  # two swapped
        "ana.ferreida@northwind-loom.example",  # one wrong
        "ana.ferreira@northwind-lom.example",  # in the domain
        "ana.ferreira@northwindloom.example",  # hyphen forgotten
    ],
)
def test_a_mistyped_manager_gets_the_closest_address(typed: str) -> None:
    records = [
        rec(2, "ana.ferreira@northwind-loom.example"),
        rec(3, "ana.pereira@northwind-loom.example"),
        rec(4, "jonas.weber@northwind-loom.example", manager_email=typed),
    ]
    (problem,) = build_roster(records).problems
    assert problem.message == (
        f"{typed!r} is not in the file; did you mean ana.ferreira@northwind-loom.example?"
    )


@pytest.mark.parametrize("typed", ["zed@x.io", "j.weber@x.io", "ann@gmail.com", "a@x.io"])
def test_a_manager_with_no_close_address_is_only_said_to_be_missing(typed: str) -> None:
    records = [
        rec(2, "ann@x.io"),
        rec(3, "b@x.io"),
        rec(4, "jonas.weber@x.io", manager_email=typed),
    ]
    assert problems_of(records) == [(4, "manager_email", f"{typed!r} is not in the file")]


def test_the_closest_address_is_never_the_persons_own() -> None:
    records = [rec(2, "ann.lee@x.io"), rec(3, "ann.le@x.io", manager_email="ann.lea@x.io")]
    (problem,) = build_roster(records).problems
    assert problem.message == "'ann.lea@x.io' is not in the file; did you mean ann.lee@x.io?"
    alone = [rec(3, "ann.le@x.io", manager_email="ann.lea@x.io")]
    assert problems_of(alone) == [(3, "manager_email", "'ann.lea@x.io' is not in the file")]


def test_a_hint_is_given_for_each_row_with_the_same_mistake() -> None:
    records = [rec(2, "boss.one@x.io")] + [
        rec(line, f"p{line}@x.io", manager_email="boss.on@x.io", timezone="Europe/Pars")
        for line in (3, 4)
    ]
    messages = [message for _, _, message in problems_of(records)]
    assert messages == 2 * [
        "'Europe/Pars' is not an IANA time zone such as Europe/Paris; did you mean Europe/Paris?",
        "'boss.on@x.io' is not in the file; did you mean boss.one@x.io?",
    ]


def test_a_manager_email_is_matched_case_insensitively() -> None:
    roster = build_roster([rec(2, "boss@x.io"), rec(3, "ann@x.io", manager_email=" BOSS@X.io ")])
    assert roster.by_email()["ann@x.io"].manager_email == "boss@x.io"


def test_a_malformed_manager_email_is_a_problem() -> None:
    records = [rec(2, "ann@x.io", manager_email="the boss")]
    assert problems_of(records) == [(2, "manager_email", "'the boss' is not an email address")]


def test_a_manager_skipped_for_another_reason_keeps_the_link() -> None:
    records = [
        rec(2, "boss@x.io", timezone="Nowhere"),
        rec(3, "ann@x.io", manager_email="boss@x.io"),
    ]
    roster = build_roster(records)
    assert [(p.email, p.manager_email) for p in roster.people] == [("ann@x.io", "boss@x.io")]
    assert [(p.line, p.field) for p in roster.problems] == [(2, "timezone")]


def test_a_manager_whose_email_is_invalid_elsewhere_is_not_in_the_directory() -> None:
    records = [rec(2, "not an email"), rec(3, "ann@x.io", manager_email="not an email")]
    assert build_roster(records).people == ()


def test_a_person_who_is_their_own_manager_is_skipped_but_their_reports_are_kept() -> None:
    records = [
        rec(2, "ann@x.io", manager_email="ANN@x.io"),
        rec(3, "bob@x.io", manager_email="ann@x.io"),
    ]
    roster = build_roster(records)
    assert [p.email for p in roster.people] == ["bob@x.io"]
    assert [(p.line, p.field) for p in roster.problems] == [(2, "manager_email")]
    assert "own" in roster.problems[0].message


def test_a_two_person_cycle_skips_both() -> None:
    records = [rec(2, "a@x.io", manager_email="b@x.io"), rec(3, "b@x.io", manager_email="a@x.io")]
    assert problems_of(records) == [
        (2, "manager_email", "reporting cycle: a@x.io -> b@x.io -> a@x.io"),
        (3, "manager_email", "reporting cycle: b@x.io -> a@x.io -> b@x.io"),
    ]


def test_a_three_person_cycle_with_a_tail_keeps_the_tail() -> None:
    records = [
        rec(2, "a@x.io", manager_email="b@x.io"),
        rec(3, "b@x.io", manager_email="c@x.io"),
        rec(4, "c@x.io", manager_email="a@x.io"),
        rec(5, "d@x.io", manager_email="a@x.io"),
        rec(6, "e@x.io", manager_email="d@x.io"),
        rec(7, "top@x.io"),
    ]
    roster = build_roster(records)
    assert [(p.email, p.manager_email) for p in roster.people] == [
        ("d@x.io", "a@x.io"),
        ("e@x.io", "d@x.io"),
        ("top@x.io", None),
    ]
    assert problems_of(records) == [
        (2, "manager_email", "reporting cycle: a@x.io -> b@x.io -> c@x.io -> a@x.io"),
        (3, "manager_email", "reporting cycle: b@x.io -> c@x.io -> a@x.io -> b@x.io"),
        (4, "manager_email", "reporting cycle: c@x.io -> a@x.io -> b@x.io -> c@x.io"),
    ]


def test_a_cycle_through_a_person_skipped_for_another_reason_is_still_a_cycle() -> None:
    records = [
        rec(2, "a@x.io", manager_email="b@x.io"),
        rec(3, "b@x.io", manager_email="a@x.io", timezone=""),
    ]
    roster = build_roster(records)
    assert roster.people == ()
    assert [(p.line, p.field) for p in roster.problems] == [
        (2, "manager_email"),
        (3, "timezone"),
        (3, "manager_email"),
    ]


def test_a_long_cycle_is_shown_shortened() -> None:
    size = 50
    records = [rec(i, f"p{i}@x.io", manager_email=f"p{(i + 1) % size}@x.io") for i in range(size)]
    roster = build_roster(records)
    assert roster.people == ()
    assert len(roster.problems) == size
    assert roster.problems[1].message == (
        "reporting cycle: p1@x.io -> p2@x.io -> p3@x.io -> p4@x.io -> ... -> p1@x.io (50 people)"
    )


def test_deep_chains_and_huge_cycles_need_no_recursion() -> None:
    size = 20_000  # far beyond the recursion limit
    chain = [rec(i + 1, f"p{i}@x.io", manager_email=f"p{i + 1}@x.io") for i in range(size - 1)]
    chain.append(rec(size, f"p{size - 1}@x.io"))
    assert len(build_roster(chain).people) == size
    ring = [rec(i + 1, f"p{i}@x.io", manager_email=f"p{(i + 1) % size}@x.io") for i in range(size)]
    roster = build_roster(ring)
    assert roster.people == () and len(roster.problems) == size


# --- aliases ----------------------------------------------------------------------------------


def test_aliases_are_split_normalised_and_deduplicated() -> None:
    records = [rec(2, "ann@x.io", aliases=" A.Lee@x.io; ann.lee@x.io\tA.LEE@x.io ann@x.io ;")]
    (ann,) = build_roster(records).people
    assert ann.aliases == ("a.lee@x.io", "ann.lee@x.io")


def test_an_invalid_alias_is_dropped_but_the_row_is_kept() -> None:
    roster = build_roster([rec(2, "ann@x.io", aliases="good@x.io;bad@;x\u202e@x.io")])
    assert [p.aliases for p in roster.people] == [("good@x.io",)]
    assert [(p.line, p.field, p.skipped) for p in roster.problems] == [
        (2, "aliases", False),
        (2, "aliases", False),
    ]
    assert str(roster.problems[0]) == (
        "org.csv:2: aliases: 'bad@' is not an email address (alias dropped)"
    )


def test_an_alias_must_name_one_person() -> None:
    records = [
        rec(2, "ann@x.io", aliases="team@x.io"),
        rec(3, "bob@x.io", aliases="team@x.io ann@x.io own@x.io"),
    ]
    roster = build_roster(records)
    assert [p.aliases for p in roster.people] == [("team@x.io",), ("own@x.io",)]
    assert problems_of(records) == [
        (3, "aliases", "'team@x.io' is an alias of line 2 (alias dropped)"),
        (3, "aliases", "'ann@x.io' is the address of line 2 (alias dropped)"),
    ]


# --- scale and properties ---------------------------------------------------------------------


def test_a_hundred_thousand_people_build_without_problems() -> None:
    size = 100_000
    records = [
        PersonRecord(
            "org.csv",
            i + 2,
            {
                "email": f"Person.{i}@Example.com",
                "name": f"Person {i}",
                "title": "Senior Engineer",
                "department": f"Dept {i % 40}",
                "level": "" if i % 2 else str(i % 7),
                "manager_email": "" if i == 0 else f"person.{(i - 1) // 8}@example.com",
                "timezone": ("Europe/Paris", "Asia/Tokyo", "America/Chicago")[i % 3],
                "site": "HQ",
            },
        )
        for i in range(size)
    ]
    roster = build_roster(records, LEVELS)
    assert roster.problems == ()
    assert len(roster.people) == size
    assert len(roster.by_email()) == size


EMAILS = ["a@x.io", "B@x.io", " b@x.io ", "c@x.io", "d@x.io", "bad", "", "e@x.io\n"]
record_fields = st.fixed_dictionaries(
    {
        "email": st.one_of(st.sampled_from(EMAILS), st.text(max_size=8)),
        "name": st.text(max_size=10),
        "level": st.sampled_from(["1", " 2 ", "", "L3", "x"]),
        "title": st.sampled_from(["", "Staff Engineer", "Intern"]),
        "manager_email": st.sampled_from([*EMAILS, "zed@x.io", "A@X.IO"]),
        "timezone": st.sampled_from(["UTC", "", "europe/paris", "Nowhere/Town"]),
        "aliases": st.sampled_from(["", "a@x.io", "al@x.io;bad@", "al@x.io e@x.io"]),
    }
)


def _normalised(email: str) -> str:
    return unicodedata.normalize("NFC", email.strip().lower())


@settings(max_examples=300)
@given(st.lists(record_fields, max_size=12))
def test_nothing_is_lost_silently(rows: list[dict[str, str]]) -> None:
    records = [PersonRecord("org.csv", line, fields) for line, fields in enumerate(rows, start=1)]
    roster = build_roster(records, LEVELS)
    skipped = {problem.line for problem in roster.problems if problem.skipped}
    kept = [record for record in records if record.line not in skipped]
    assert [_normalised(record.fields["email"]) for record in kept] == [
        person.email for person in roster.people
    ]
    directory = {_normalised(record.fields["email"]) for record in records}
    for person in roster.people:
        assert person.manager_email is None or person.manager_email in directory
    assert all(isinstance(problem, RowProblem) and problem.line for problem in roster.problems)
