"""The program file: the documented example loads into typed values, and every mistake in a file
is reported at once, at its line and column, in words an HR person can act on."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pydantic
import pytest

from scheduler.core.model import Hours, Phase, Span, Unit, Weekday
from scheduler.program.load import ConfigError, Problem, Program, load_program, parse_program

EXAMPLE = """\
program:
  name: Peer Mentoring 2027
  owner: people-team@example.com
  purpose: >
    Help new managers carry the weight of the role with someone who understands it.
  timezone: America/New_York
  start: 2027-01-11
provider:
  kind: local            # local | google | microsoft
  people: org.csv        # local: a CSV export of the directory
  mailbox: mentoring@example.com
participants:
  include: {departments: [Engineering, Sales]}
  exclude: {emails: [ceo@example.com]}
pairing:
  level_tolerance: 1             # |level a - level b| <= 1
  avoid_reporting_line: direct   # direct | chain | off
  avoid_same_department: false
  avoid_repeats: true
  odd_one_out: trio              # trio | wait
cadence:
  - every: 2 weeks
    times: 6
  - every: 1 month
    until: 12 months
meetings:
  length: 30 minutes
  days: [Mon, Tue, Wed, Thu]
  hours: "10:00-16:00"           # in each peer's own time zone
  book_ahead: 2
  video: auto                    # auto | meet | teams | none
followup:
  nudge_after_skips: 1
  tell_owner_after_skips: 2
"""

MINIMAL = """\
program:
  name: Pilot
  owner: people-team@example.com
  start: 2027-01-11
provider:
  kind: local
  people: org.csv
  mailbox: mentoring@example.com
"""

BASE = Path("/srv/tandem")


def parse(text: str) -> Program:
    return parse_program(text, "program.yaml", BASE)


def problems(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return caught.value.problems


def only_problem(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """The 1-based line and column where `needle` occurs in `text` for the given time."""
    offset = -1
    for _ in range(occurrence):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def value_position(text: str, line: str) -> tuple[int, int]:
    """Where the value of a `key: value` line starts."""
    row, column = position(text, line)
    return row, column + line.index(": ") + 2


def where(problem: Problem) -> tuple[int, int]:
    return problem.line, problem.column


def with_section(section: str) -> str:
    return MINIMAL + section


# --- the example and the defaults ---------------------------------------------------------


def test_the_documented_example_validates_into_typed_values() -> None:
    program = parse(EXAMPLE)

    assert program.program.name == "Peer Mentoring 2027"
    assert program.program.owner == "people-team@example.com"
    assert program.program.purpose.startswith("Help new managers carry the weight")
    assert program.program.purpose.endswith("understands it.")
    assert program.program.timezone == "America/New_York"
    assert program.program.start == date(2027, 1, 11)
    assert program.provider.kind == "local"
    assert program.provider.people == BASE / "org.csv"
    assert program.provider.mailbox == "mentoring@example.com"
    assert program.participants.include.departments == ("Engineering", "Sales")
    assert program.participants.exclude.emails == ("ceo@example.com",)
    assert program.pairing.level_tolerance == 1
    assert program.pairing.avoid_reporting_line == "direct"
    assert program.pairing.avoid_same_department is False
    assert program.pairing.avoid_repeats is True
    assert program.pairing.odd_one_out == "trio"
    assert program.cadence == (
        Phase(Span(2, Unit.WEEKS), times=6),
        Phase(Span(1, Unit.MONTHS), until=Span(12, Unit.MONTHS)),
    )
    assert program.meetings.length == timedelta(minutes=30)
    assert program.meetings.days == (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU)
    assert program.meetings.hours == Hours(time(10), time(16))
    assert program.meetings.book_ahead == 2
    assert program.meetings.video == "auto"
    assert program.followup.nudge_after_skips == 1
    assert program.followup.tell_owner_after_skips == 2
    assert program.source == BASE / "program.yaml"


def test_sections_left_out_get_their_defaults() -> None:
    program = parse(MINIMAL)

    assert program.program.purpose == ""
    assert program.program.timezone == "UTC"
    assert program.program.locale == "en-US"
    assert program.program.owner_name == ""
    assert program.levels == {}
    assert program.participants.include.departments == ()
    assert program.participants.exclude.emails == ()
    assert program.pairing.model_dump() == {
        "level_tolerance": 1,
        "avoid_reporting_line": "direct",
        "avoid_same_department": False,
        "avoid_repeats": True,
        "odd_one_out": "trio",
        "joiners": "now",
    }
    assert program.participants.consent == "opt_out"
    assert program.participants.notice == Span(5, Unit.DAYS)
    assert program.program.end is None
    assert program.rounds.every == Span(1, Unit.WEEKS)
    assert program.cadence == (
        Phase(Span(2, Unit.WEEKS), times=6),
        Phase(Span(1, Unit.MONTHS), until=Span(12, Unit.MONTHS)),
    )
    assert program.meetings.length == timedelta(minutes=30)
    assert program.meetings.days == (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU)
    assert program.meetings.hours == Hours(time(10), time(16))
    assert (program.meetings.book_ahead, program.meetings.video) == (2, "auto")
    assert program.meetings.organizer == "mailbox"
    assert program.followup.new_slot == "book"
    assert program.followup.digest_day is Weekday.MON
    assert program.templates is None
    assert program.provider.smtp is None


def test_an_empty_value_means_the_default() -> None:
    program = parse(with_section("pairing:\n  level_tolerance:\nmeetings:\n"))

    assert program.pairing.level_tolerance == 1
    assert program.meetings.book_ahead == 2


def test_the_program_and_its_sections_cannot_be_changed() -> None:
    program = parse(EXAMPLE)

    with pytest.raises(pydantic.ValidationError):
        program.pairing.level_tolerance = 3
    with pytest.raises(pydantic.ValidationError):
        program.program = program.program


def test_emails_are_lower_cased() -> None:
    text = MINIMAL.replace("people-team@", "People-Team@") + (
        "participants:\n  exclude: {emails: [CEO@Example.com]}\n"
    )

    program = parse(text)

    assert program.program.owner == "people-team@example.com"
    assert program.participants.exclude.emails == ("ceo@example.com",)


def test_levels_and_the_other_optional_sections_are_typed() -> None:
    program = parse(
        with_section(
            "levels: {Engineer I: 1, Senior Engineer: 3}\n"
            "rounds: {every: 10 days}\n"
            "cadence:\n  - every: 1 week\n    times: 4\n"
            "meetings: {length: 1 hour, days: [tue, Friday], hours: '9:30-17:00', video: Teams}\n"
            "followup: {new_slot: propose, digest_day: friday}\n"
        )
    )

    assert program.levels == {"Engineer I": 1, "Senior Engineer": 3}
    assert program.rounds.every == Span(10, Unit.DAYS)
    assert program.cadence == (Phase(Span(1, Unit.WEEKS), times=4),)
    assert program.meetings.length == timedelta(hours=1)
    assert program.meetings.days == (Weekday.TUE, Weekday.FRI)
    assert program.meetings.hours == Hours(time(9, 30), time(17))
    assert program.meetings.video == "teams"
    assert (program.followup.new_slot, program.followup.digest_day) == ("propose", Weekday.FRI)


# --- paths and providers --------------------------------------------------------------------


def test_relative_paths_resolve_against_the_folder_of_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "hr"
    folder.mkdir()
    file = folder / "program.yaml"
    local = "\n  busy: calendars/\n  outbox: ../outbox\n  inbox: /var/mail/tandem\n"
    file.write_text(
        MINIMAL.replace("people: org.csv", "people: org.csv" + local) + "templates: t/\n"
    )

    program = load_program(file)

    assert program.provider.people == folder.resolve() / "org.csv"
    assert program.provider.busy == folder.resolve() / "calendars"
    assert program.provider.outbox == tmp_path.resolve() / "outbox"
    assert program.provider.inbox == Path("/var/mail/tandem")
    assert program.templates == folder.resolve() / "t"
    assert program.source == file.resolve()


def test_parse_program_resolves_paths_against_the_folder_it_is_given() -> None:
    program = parse_program(MINIMAL, "pilot.yaml", Path("/data/hr"))

    assert program.provider.people == Path("/data/hr/org.csv")
    assert program.source == Path("/data/hr/pilot.yaml")


def test_a_google_program_keeps_its_google_settings() -> None:
    # the keys of issue 11 are a contract: level_field is optional (titles through levels:)
    text = MINIMAL.replace("  people: org.csv\n", "").replace("kind: local", "kind: google")
    text += "  google:\n    credentials_file: keys/sa.json\n    admin_email: Admin@Example.com\n"

    google = parse(text).provider.google

    assert google is not None
    assert google.credentials_file == BASE / "keys/sa.json"
    assert google.admin_email == "admin@example.com"
    assert (google.customer, google.level_field) == ("my_customer", None)
    assert (google.timezone_field, google.api_endpoint, google.daily_send_limit) == (
        None,
        None,
        2000,
    )


def test_a_microsoft_program_keeps_its_microsoft_settings() -> None:
    text = MINIMAL.replace("  people: org.csv\n", "").replace("kind: local", "kind: microsoft")
    text += "  microsoft: {tenant_id: t-1, client_id: c-1, client_secret_env: GRAPH_SECRET}\n"

    microsoft = parse(text).provider.microsoft

    assert microsoft is not None
    assert (microsoft.tenant_id, microsoft.client_id) == ("t-1", "c-1")
    assert microsoft.client_secret_env == "GRAPH_SECRET"
    # the keys of issue 12 are a contract: level_attribute is optional (titles through levels:)
    assert (microsoft.cloud, microsoft.level_attribute) == ("global", None)


def test_smtp_and_imap_get_their_defaults_and_ssl_turns_starttls_off() -> None:
    text = MINIMAL + "  smtp: {host: smtp.example.com, port: 465, ssl: true}\n"
    text += "  imap: {host: imap.example.com, username_env: IMAP_USER, password_env: IMAP_PASS}\n"

    provider = parse(text).provider

    assert provider.smtp is not None and provider.imap is not None
    assert (provider.smtp.port, provider.smtp.ssl, provider.smtp.starttls) == (465, True, False)
    assert provider.smtp.timeout_seconds == 30
    assert (provider.imap.port, provider.imap.ssl, provider.imap.folder) == (993, True, "INBOX")


# --- each mistake, at its place ------------------------------------------------------------


def test_an_unknown_time_zone_is_reported_at_its_value_with_a_suggestion() -> None:
    text = EXAMPLE.replace("America/New_York", "America/NewYork")

    problem = only_problem(text)

    assert where(problem) == (6, 13) == position(text, "America/NewYork")
    assert problem.key == "program.timezone"
    assert problem.message == "expected a time zone name such as America/New_York or Europe/Paris"
    assert problem.hint == "did you mean 'America/New_York'?"


def test_a_time_zone_in_the_wrong_case_is_accepted_and_corrected() -> None:
    program = parse(EXAMPLE.replace("America/New_York", "america/new_york"))

    assert program.program.timezone == "America/New_York"


def test_the_locale_and_the_owners_name_are_read_and_the_locale_made_canonical() -> None:
    text = MINIMAL.replace(
        "  start: 2027-01-11\n",
        "  start: 2027-01-11\n  locale: de_de\n  owner_name: Maya Lindqvist\n",
    )

    program = parse(text)

    assert program.program.locale == "de-DE"
    assert program.program.owner_name == "Maya Lindqvist"


def test_an_unknown_locale_is_reported_at_its_value_with_a_suggestion() -> None:
    text = EXAMPLE.replace(
        "  timezone: America/New_York\n", "  timezone: America/New_York\n  locale: en-EN\n"
    )

    problem = only_problem(text)

    assert where(problem) == (7, 11) == position(text, "en-EN")
    assert problem.key == "program.locale"
    assert problem.message == "expected a locale such as en-US, en-GB, de-DE, fr-FR or es-ES"
    assert problem.hint == "did you mean 'en-US'?"


def test_a_phase_with_both_times_and_until_is_reported_at_its_until() -> None:
    text = EXAMPLE.replace("    times: 6\n", "    times: 6\n    until: 3 months\n")

    problem = only_problem(text)

    assert where(problem) == position(text, "3 months")
    assert problem.key == "cadence[0].until"
    assert problem.message == "a phase takes times or until, not both"


def test_a_phase_with_neither_times_nor_until_is_reported_at_the_phase() -> None:
    text = EXAMPLE.replace("    until: 12 months\n", "")

    problem = only_problem(text)

    assert where(problem) == position(text, "every: 1 month")
    assert problem.key == "cadence[1]"
    assert problem.message.startswith("a phase needs times (how many meetings) or until")


@pytest.mark.parametrize("times", ["0", "-2", "two", "1.5"])
def test_times_that_are_not_a_whole_number_of_1_or_more_are_reported(times: str) -> None:
    text = EXAMPLE.replace("times: 6", f"times: {times}")

    problem = only_problem(text)

    assert (where(problem), problem.key) == (
        value_position(text, f"times: {times}"),
        "cadence[0].times",
    )
    assert problem.message == "expected a whole number of 1 or more"


def test_an_until_shorter_than_the_phases_before_it_is_reported() -> None:
    text = EXAMPLE.replace("until: 12 months", "until: 2 months")

    problem = only_problem(text)

    assert where(problem) == (25, 12) == position(text, "2 months")
    assert problem.key == "cadence[1].until"
    assert problem.message == (
        "until 2 months ends before the phases before it (their meetings run to 2027-03-22, "
        "but 2 months from the start 2027-01-11 is 2027-03-11)"
    )
    assert problem.hint == "use until: 3 months or more"


def test_an_until_just_after_the_last_meeting_of_the_phases_before_it_is_accepted() -> None:
    program = parse(EXAMPLE.replace("until: 12 months", "until: 71 days"))

    assert program.cadence[1].until == Span(71, Unit.DAYS)


def test_an_until_on_the_day_of_the_last_meeting_before_it_is_reported() -> None:
    problem = only_problem(EXAMPLE.replace("until: 12 months", "until: 10 weeks"))

    assert problem.message.startswith("until 10 weeks ends before the phases before it")
    assert problem.hint == "use until: 11 weeks or more"


def test_a_phase_after_an_until_phase_must_reach_later_than_it() -> None:
    text = EXAMPLE.replace("meetings:", "  - every: 2 months\n    until: 6 months\nmeetings:")

    problem = only_problem(text)

    assert where(problem) == position(text, "6 months")
    assert problem.key == "cadence[2].until"
    assert problem.message == (
        "until 6 months is not later than the until of the phase before it (12 months)"
    )


def test_every_phase_that_ends_too_early_is_reported() -> None:
    text = EXAMPLE.replace("until: 12 months", "until: 2 months").replace(
        "meetings:", "  - every: 1 month\n    until: 1 month\nmeetings:"
    )

    found = problems(text)

    assert [p.key for p in found] == ["cadence[1].until", "cadence[2].until"]


def test_cadence_spans_in_minutes_or_hours_are_refused() -> None:
    text = EXAMPLE.replace("every: 2 weeks", "every: 36 hours")

    problem = only_problem(text)

    assert (where(problem), problem.key) == (position(text, "36 hours"), "cadence[0].every")
    assert problem.message == (
        "expected a number (1 or more) of days, weeks or months, such as '2 weeks'"
    )


def test_hours_that_leave_no_room_for_a_meeting_are_reported_at_the_hours() -> None:
    text = EXAMPLE.replace('"10:00-16:00"', '"10:00-10:15"')

    problem = only_problem(text)

    assert where(problem) == position(text, '"10:00-10:15"')
    assert problem.key == "meetings.hours"
    assert problem.message == "hours 10:00-10:15 leave no room for a 30-minute meeting"


def test_hours_backwards_are_reported_with_what_was_expected() -> None:
    problem = only_problem(EXAMPLE.replace('"10:00-16:00"', '"16:00-10:00"'))

    assert problem.key == "meetings.hours"
    assert problem.message.startswith("expected a start before the end such as '10:00-16:00'")


@pytest.mark.parametrize(("length", "expected"), [
    ("5 minutes", "expected a length from 10 minutes to 4 hours"),
    ("5 hours", "expected a length from 10 minutes to 4 hours"),
    ("1 day", "expected a number (1 or more) of minutes or hours, such as '30 minutes'"),
    ("30", "expected a number (1 or more) of minutes or hours, such as '30 minutes'"),
])  # fmt: skip
def test_a_meeting_length_must_be_minutes_or_hours_between_10_minutes_and_4_hours(
    length: str, expected: str
) -> None:
    text = EXAMPLE.replace("length: 30 minutes", f"length: {length}")

    problem = only_problem(text)

    assert (where(problem), problem.key) == (position(text, length), "meetings.length")
    assert problem.message == expected


def test_a_day_listed_twice_is_reported_at_its_second_mention() -> None:
    text = EXAMPLE.replace("[Mon, Tue, Wed, Thu]", "[Mon, Tue, Mon]")

    problem = only_problem(text)

    assert where(problem) == position(text, "Mon", occurrence=2)
    assert (problem.key, problem.message) == ("meetings.days[2]", "Mon is listed twice")


def test_an_empty_list_of_days_is_reported() -> None:
    problem = only_problem(EXAMPLE.replace("[Mon, Tue, Wed, Thu]", "[]"))

    assert problem.key == "meetings.days"
    assert problem.message == "expected at least one day, such as [Mon, Tue, Wed, Thu]"


@pytest.mark.parametrize(("old", "new", "key"), [
    ("owner: people-team@example.com", "owner: people team", "program.owner"),
    ("mailbox: mentoring@example.com", "mailbox: mentoring", "provider.mailbox"),
])  # fmt: skip
def test_an_owner_or_mailbox_that_is_not_an_email_address_is_reported(
    old: str, new: str, key: str
) -> None:
    text = EXAMPLE.replace(old, new)

    problem = only_problem(text)

    assert where(problem) == position(text, new.split(": ")[1])
    assert problem.key == key
    assert problem.message == "expected an email address such as people-team@example.com"


def test_telling_the_owner_before_the_nudge_is_reported_at_tell_owner_after_skips() -> None:
    text = EXAMPLE.replace("nudge_after_skips: 1", "nudge_after_skips: 3")

    problem = only_problem(text)

    assert where(problem) == (34, 27) == position(text, "2", occurrence=text.count("2"))
    assert problem.key == "followup.tell_owner_after_skips"
    assert problem.message == (
        "expected tell_owner_after_skips of 3 or more, like nudge_after_skips"
    )


def test_a_nudge_later_than_the_default_owner_warning_is_reported_at_the_nudge() -> None:
    text = with_section("followup:\n  nudge_after_skips: 3\n")

    problem = only_problem(text)

    assert where(problem) == position(text, "3")
    assert problem.key == "followup.nudge_after_skips"
    assert problem.hint is not None and "2 by default" in problem.hint


def test_a_wrong_choice_lists_the_choices_and_suggests_the_closest() -> None:
    text = EXAMPLE.replace("avoid_reporting_line: direct", "avoid_reporting_line: chian")

    problem = only_problem(text)

    assert where(problem) == position(text, "chian")
    assert problem.message == "expected one of: direct, chain, off"
    assert problem.hint == "did you mean 'chain'?"


def test_a_negative_level_tolerance_says_what_was_expected() -> None:
    problem = only_problem(EXAMPLE.replace("level_tolerance: 1", "level_tolerance: -1"))

    assert problem.key == "pairing.level_tolerance"
    assert problem.message == "expected a whole number of 0 or more"


def test_a_date_that_does_not_exist_is_reported_at_its_line() -> None:
    text = EXAMPLE.replace("2027-01-11", "2027-13-01")

    problem = only_problem(text)

    assert (where(problem), problem.key) == (position(text, "2027-13-01"), "program.start")
    assert problem.message == "expected a date such as 2027-01-11 (year-month-day)"


def test_a_missing_required_key_is_reported_at_its_section_with_an_example() -> None:
    text = EXAMPLE.replace("  mailbox: mentoring@example.com\n", "")

    problem = only_problem(text)

    assert where(problem) == position(text, "provider:")
    assert (problem.key, problem.message) == ("provider.mailbox", "this key is required")
    assert problem.hint == "for example: mailbox: mentoring@example.com"


def test_a_missing_program_section_is_reported() -> None:
    problem = only_problem(EXAMPLE[EXAMPLE.index("provider:") :])

    assert (problem.key, problem.message, where(problem)) == (
        "program",
        "this key is required",
        (1, 1),
    )


def test_a_local_program_needs_its_people_file() -> None:
    text = EXAMPLE.replace("  people: org.csv        # local: a CSV export of the directory\n", "")

    problem = only_problem(text)

    assert where(problem) == position(text, "provider:")
    assert (problem.key, problem.message) == (
        "provider.people",
        "people is required when kind is local",
    )


def test_local_settings_with_another_kind_are_each_reported() -> None:
    text = MINIMAL.replace("kind: local", "kind: google") + (
        "  smtp: {host: smtp.example.com}\n"
        "  google: {credentials_file: sa.json, admin_email: admin@example.com}\n"
    )

    found = problems(text)

    assert [(p.key, p.message) for p in found] == [
        ("provider.people", "people only applies when kind is local"),
        ("provider.smtp", "smtp only applies when kind is local"),
    ]
    assert [where(p) for p in found] == [position(text, "org.csv"), position(text, "smtp:")]
    assert found[0].hint == "remove it, or set kind: local"


def test_a_google_section_with_kind_local_is_reported() -> None:
    text = MINIMAL + "  google: {credentials_file: sa.json, admin_email: admin@example.com}\n"

    problem = only_problem(text)

    assert where(problem) == position(text, "google:")
    assert (problem.key, problem.message) == (
        "provider.google",
        "google only applies when kind is google",
    )


def test_kind_microsoft_needs_a_microsoft_section() -> None:
    text = MINIMAL.replace("  people: org.csv\n", "").replace("kind: local", "kind: microsoft")

    problem = only_problem(text)

    assert problem.key == "provider.microsoft"
    assert problem.message == "a microsoft section is required when kind is microsoft"


def test_a_secret_written_where_an_environment_variable_name_belongs_is_refused() -> None:
    text = MINIMAL + "  smtp: {host: smtp.example.com, password_env: 'hunter2!'}\n"

    problem = only_problem(text)

    assert where(problem) == position(text, "'hunter2!'")
    assert problem.key == "provider.smtp.password_env"
    assert problem.hint is not None and "secrets never go in this file" in problem.hint


# --- unknown keys, syntax, several mistakes --------------------------------------------------


def test_a_misspelt_key_gets_a_did_you_mean() -> None:
    text = EXAMPLE.replace("  level_tolerance: 1", "  level_tolrance: 1")

    problem = only_problem(text)

    assert str(problem) == (
        "program.yaml:16:3: pairing.level_tolrance: unknown key (did you mean 'level_tolerance'?)"
    )


def test_a_misspelt_section_gets_a_did_you_mean() -> None:
    text = EXAMPLE.replace("meetings:", "meeting:")

    problem = only_problem(text)

    assert (where(problem), problem.key) == (position(text, "meeting:"), "meeting")
    assert problem.hint == "did you mean 'meetings'?"


def test_an_unknown_key_without_a_close_match_lists_the_keys_allowed_there() -> None:
    problem = only_problem(EXAMPLE.replace("  video: auto", "  colour: blue"))

    assert problem.key == "meetings.colour"
    assert problem.hint == (
        "the keys allowed here are: length, days, hours, stretch, book_ahead, video, organizer"
    )


def test_a_source_key_in_the_file_is_unknown() -> None:
    problem = only_problem(MINIMAL + "source: elsewhere.yaml\n")

    assert (problem.key, problem.message) == ("source", "unknown key")


def test_several_mistakes_in_one_file_are_all_reported_in_file_order() -> None:
    text = (
        EXAMPLE.replace("America/New_York", "Mars/Olympus")
        .replace("  level_tolerance: 1", "  level_tolrance: 1")
        .replace("times: 6", "times: 0")
        .replace("video: auto", "video: zoom")
        .replace("tell_owner_after_skips: 2", "tell_owner_after_skips: 0")
    )

    found = problems(text)

    assert [p.key for p in found] == [
        "program.timezone",
        "pairing.level_tolrance",
        "cadence[0].times",
        "meetings.video",
        "followup.tell_owner_after_skips",
    ]
    assert [p.line for p in found] == sorted(p.line for p in found)


def test_the_error_text_lists_every_problem_one_per_line() -> None:
    text = EXAMPLE.replace("video: auto", "video: zoom").replace(
        "odd_one_out: trio", "odd_one_out: x"
    )

    with pytest.raises(ConfigError) as caught:
        parse(text)

    lines = str(caught.value).splitlines()
    assert lines == [str(problem) for problem in caught.value.problems]
    assert lines[0].startswith(
        "program.yaml:20:16: pairing.odd_one_out: expected one of: trio, wait"
    )
    assert lines[1].startswith("program.yaml:31:10: meetings.video: expected one of:")


def test_a_yaml_syntax_error_is_one_problem_with_its_line_and_column() -> None:
    text = EXAMPLE.replace("  name: Peer Mentoring 2027", "  name: Peer: Mentoring 2027")

    problem = only_problem(text)

    assert where(problem) == (2, 13)
    assert problem.message == "not valid YAML: mapping values are not allowed here"


def test_a_tab_in_the_indentation_is_a_syntax_error_with_a_hint() -> None:
    problem = only_problem(EXAMPLE.replace("  name: Peer", "\tname: Peer"))

    assert where(problem) == (2, 1)
    assert problem.hint == "indent with spaces, not tabs"


def test_a_key_given_twice_is_a_syntax_error_at_the_second() -> None:
    text = EXAMPLE.replace("  book_ahead: 2\n", "  book_ahead: 2\n  book_ahead: 3\n")

    problem = only_problem(text)

    assert where(problem) == position(text, "book_ahead: 3")
    assert problem.hint == "each key may appear only once in a section"


def test_an_empty_file_is_reported() -> None:
    problem = only_problem("# nothing yet\n")

    assert (problem.line, problem.column, problem.message) == (1, 1, "the file is empty")


def test_a_file_that_is_a_list_is_reported_as_not_a_section() -> None:
    problem = only_problem("- program\n- provider\n")

    assert problem.message == "expected a section of 'key: value' lines"


def test_a_file_that_cannot_be_read_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    with pytest.raises(ConfigError) as caught:
        load_program(missing)

    assert str(caught.value) == f"{missing}:1:1: cannot read the file: No such file or directory"


def test_load_program_names_the_file_as_given_in_messages(tmp_path: Path) -> None:
    file = tmp_path / "program.yaml"
    file.write_text(EXAMPLE.replace("video: auto", "video: zoom"))

    with pytest.raises(ConfigError) as caught:
        load_program(file)

    assert caught.value.problems[0].file == str(file)


def test_the_hr_guide_shows_this_very_example() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "hr-guide.md").read_text(encoding="utf-8")

    example = guide.split("```yaml\n", 1)[1].split("```", 1)[0]

    assert example == EXAMPLE


_GUIDE_MISTAKES: list[list[tuple[str, str]]] = [
    [("  level_tolerance: 1", "  level_tolrance: 1")],
    [("meetings:", "meeting:")],
    [("avoid_reporting_line: direct", "avoid_reporting_line: chian")],
    [("America/New_York", "America/NewYork")],
    [("  timezone: America/New_York\n", "  timezone: America/New_York\n  locale: en-EN\n")],
    [("  mailbox: mentoring@example.com\n", "")],
    [("times: 6", "times: 0")],
    [("length: 30 minutes", "length: 30")],
    [("every: 2 weeks", "every: 36 hours")],
    [("2027-01-11", "11/01/2027")],
    [("avoid_repeats: true", "avoid_repeats: maybe")],
    [("owner: people-team@example.com", "owner: People Team")],
    [("{departments: [Engineering, Sales]}", "{departments: Engineering}")],
    [("    times: 6\n", "    times: 6\n    until: 3 months\n")],
    [("    until: 12 months\n", "")],
    [("until: 12 months", "until: 2 months"),
     ("meetings:", "  - every: 1 month\n    until: 1 month\nmeetings:")],
    [('"10:00-16:00"', '"10:00-10:15"')],
    [("[Mon, Tue, Wed, Thu]", "[Mon, Tue, Mon]")],
    [("nudge_after_skips: 1", "nudge_after_skips: 3")],
    [("kind: local ", "kind: google")],
    [("  mailbox: mentoring@example.com\n", "  mailbox: mentoring@example.com\n"
      "  smtp: {host: smtp.example.com, password_env: 'S3cret!'}\n")],
    [("  name: Peer Mentoring 2027", "  name: Peer Mentoring: 2027")],
    [("  name: Peer", "\tname: Peer")],
    [("  book_ahead: 2\n", "  book_ahead: 2\n  book_ahead: 3\n")],
]  # fmt: skip


@pytest.mark.parametrize("edits", _GUIDE_MISTAKES)
def test_the_hr_guide_quotes_the_error_lines_word_for_word(edits: list[tuple[str, str]]) -> None:
    guide = (Path(__file__).parents[2] / "docs" / "hr-guide.md").read_text(encoding="utf-8")
    text = EXAMPLE
    for old, new in edits:
        text = text.replace(old, new)

    for problem in problems(text):
        assert str(problem) in guide


def test_organizer_peer_is_refused_for_the_local_provider_which_books_by_email() -> None:
    text = (
        "program: {name: X, owner: o@x.org, start: 2027-01-11}\n"
        "provider: {kind: local, people: org.csv, mailbox: m@x.org}\n"
        "meetings:\n  organizer: peer\n"
    )
    with pytest.raises(ConfigError) as caught:
        parse_program(text, "program.yaml", Path("/tmp"))
    (problem,) = caught.value.problems
    assert (problem.line, problem.key) == (4, "meetings.organizer")
    assert "google or microsoft" in problem.message
