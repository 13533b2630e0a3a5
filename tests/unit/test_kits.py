from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from scheduler.core.message_ids import make_message_id
from scheduler.core.model import Phase, Span, Unit
from scheduler.program.schema import DEFAULT_CADENCE
from scheduler.render.kits import (
    KINDS,
    KitError,
    Kits,
    Rendered,
    and_list,
    build_email,
    sample_context,
    starts_local,
)
from scheduler.render.local_time import Reader
from scheduler.render.messages import cadence_text, rhythm_left

BUILT_IN = Kits(None)
WHEN = datetime(2027, 1, 5, 9, 30, tzinfo=UTC)


def override(tmp_path: Path, **files: str) -> Kits:
    for name, text in files.items():
        (tmp_path / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return Kits(tmp_path)


def parse(message: EmailMessage) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


def email_of(rendered: Rendered, **changes: object) -> EmailMessage:
    arguments: dict[str, object] = {
        "sender_name": "Peer Circles",
        "sender": "mentoring@example.com",
        "to": [("Ana Ferreira", "ana@example.com"), ("Jonas Weber", "jonas@example.com")],
        "reply_to": "mentoring+p1.abcdefghijkl@example.com",
        "message_id": make_message_id("launch_kit/p1", "example.com"),
        "date": WHEN,
    }
    return build_email(rendered, **{**arguments, **changes})  # type: ignore[arg-type]


# Rendering the built-in templates


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_its_sample_in_text_and_html(kind: str) -> None:
    rendered = BUILT_IN.render(kind, sample_context(kind))
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip()
    assert rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert rendered.html.rstrip().endswith("</html>")


def test_the_built_in_templates_have_no_problems_to_report() -> None:
    assert BUILT_IN.check_all() == []


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        BUILT_IN.render("welcome", sample_context("launch_kit"))


def test_no_email_says_so_with_an_exclamation_mark() -> None:
    for kind in KINDS:
        rendered = BUILT_IN.render(kind, sample_context(kind))
        assert "!" not in rendered.subject + rendered.text


# The launch kit


def launch_kit_text() -> str:
    return BUILT_IN.render("launch_kit", sample_context("launch_kit")).text


def test_the_launch_kit_greets_and_introduces_both_peers() -> None:
    text = launch_kit_text()
    assert text.startswith("Hi Ana and Jonas,")
    for fact in [
        "Ana Ferreira",
        "Senior Product Designer, Payments",
        "Time zone: Eastern Time (New York)",
        "Jonas Weber",
        "Senior Data Engineer, Logistics",
        "Time zone: Central European Time (Berlin)",
    ]:
        assert fact in text


def test_the_launch_kit_says_why_the_program_exists() -> None:
    assert "someone to think out loud with" in launch_kit_text()


def test_the_launch_kit_guides_the_first_conversation_with_five_questions() -> None:
    text = launch_kit_text()
    for question in [
        "What shaped you",
        "What drives you",
        "What drains you",
        "What you are trying to grow into",
        "What support looks like for you",
    ]:
        assert question in text
    assert "Before offering any advice, reflect back what you heard" in text


def test_the_launch_kit_draws_the_boundaries() -> None:
    text = launch_kit_text()
    for boundary in [
        "not a complaint department",
        "not therapy",
        "not a fix-it service",
        "stays between the two of you",
        "pause or end this at any time",
        "without explaining why",
    ]:
        assert boundary in text


def test_the_launch_kit_lists_the_booked_dates_in_both_time_zones() -> None:
    text = launch_kit_text()
    assert "every 2 weeks for the first 6 meetings" in text
    assert "already on your calendars" in text
    # each peer reads the time in their own zone and locale (Jonas's row says de-DE)
    assert "  1. Ana: Tuesday, January 12 at 10:00 AM Eastern Time (New York)\n" in text
    assert "     Jonas: Dienstag, 12. Januar um 16:00 Mitteleuropäische Zeit (Berlin)\n" in text
    assert "https://meet.example.com/pc-7k2m-9q4x" in text


def test_the_launch_kit_says_when_the_dates_come_as_invitations_instead() -> None:
    context = {**sample_context("launch_kit"), "booked": False}
    text = BUILT_IN.render("launch_kit", context).text
    assert "invitations for the first dates come in separate emails" in text


def test_the_launch_kit_explains_how_to_pause_resume_or_end_by_reply() -> None:
    text = launch_kit_text()
    assert "Reply to this email and start the first line with one of these words" in text
    for example in ["pause for 3 weeks", "resume", "end"]:
        assert f"\n  {example}\n" in text
    assert "ana.ferreira@example.com and jonas.weber@example.com" in text


def test_the_launch_kit_speaks_to_a_trio_too() -> None:
    context = sample_context("launch_kit")
    third = {**context["peers"][0], "name": "Mei Chen", "first_name": "Mei"}  # type: ignore[index]
    context["peers"] = [*context["peers"], third]  # type: ignore[misc]
    text = BUILT_IN.render("launch_kit", context).text
    assert text.startswith("Hi Ana, Jonas and Mei,")
    assert "stays between the three of you" in text


def test_the_html_launch_kit_has_no_images_styles_sheets_or_tracking() -> None:
    html = BUILT_IN.render("launch_kit", sample_context("launch_kit")).html
    for forbidden in ["<img", "<style", "<link", "<script", "src="]:
        assert forbidden not in html
    assert '<html lang="en">' in html


def test_names_from_the_directory_are_escaped_in_html_but_not_in_text() -> None:
    context = sample_context("launch_kit")
    context["peers"][0]["name"] = 'Ana <b onclick="x">Ferreira</b>'  # type: ignore[index]
    rendered = BUILT_IN.render("launch_kit", context)
    assert "&lt;b onclick=&#34;x&#34;&gt;" in rendered.html
    assert '<b onclick="x">' not in rendered.html
    assert 'Ana <b onclick="x">Ferreira</b>' in rendered.text


# The other kinds


def test_the_nudge_is_gentle_and_offers_the_new_time_and_a_pause() -> None:
    text = BUILT_IN.render("nudge", sample_context("nudge")).text
    assert "Life gets busy" in text
    assert "Conversation 2 did not go ahead. It was booked for:" in text
    assert "  Ana: Tuesday, January 26 at 10:00 AM Eastern Time (New York)\n" in text
    assert "  2. Ana: Thursday, January 28 at 10:00 AM Eastern Time (New York)\n" in text
    assert '"pause for 3 weeks"' in text


def test_the_nudge_without_a_new_time_points_to_the_next_booked_one() -> None:
    context = {**sample_context("nudge"), "new_slot": None}
    rendered = BUILT_IN.render("nudge", context)
    assert "stays as booked" in rendered.text
    assert rendered.subject == "Peer Circles: about conversation 2"


def test_an_open_ended_pause_says_how_to_resume() -> None:
    context = {**sample_context("paused"), "until": ""}
    text = BUILT_IN.render("paused", context).text
    assert "Ana Ferreira has paused your conversations. No reason is needed." in text
    assert 'When you are ready to start again, reply to this email with "resume"' in text


def test_help_says_what_was_not_understood_only_to_its_author() -> None:
    rendered = BUILT_IN.render("help", sample_context("help"))
    assert rendered.text.startswith("Hi Jonas,")
    assert '"pasue for a month"' in rendered.text
    for command in sample_context("help")["commands"]:  # type: ignore[attr-defined]
        assert command["example"] in rendered.text


def test_the_owner_digest_names_at_risk_pairs_and_waiting_people_and_shows_the_chart() -> None:
    rendered = BUILT_IN.render("owner_digest", sample_context("owner_digest"))
    assert "Ana Ferreira and Jonas Weber" in rendered.text
    assert "Sam Osei" in rendered.text
    assert "Held: 57" in rendered.text
    assert '<img src="cid:chart.p7k2m9q4@example.com"' in rendered.html


def test_the_confirmation_says_what_was_done() -> None:
    text = BUILT_IN.render("confirmation", sample_context("confirmation")).text
    assert "Done: conversation 2 is skipped and off your calendars" in text
    assert "Conversation 2 was booked for:\n\n  Ana: Tuesday, January 26 at 10:00 AM" in text
    assert "  Jonas: Dienstag, 26. Januar um 16:00 Mitteleuropäische Zeit (Berlin)\n" in text


# HR overrides and their mistakes


def test_an_override_replaces_one_template_and_the_others_stay_built_in(tmp_path: Path) -> None:
    kits = override(tmp_path, nudge__subject__txt="Checking in, {{ peers[0].first_name }}")
    rendered = kits.render("nudge", sample_context("nudge"))
    assert rendered.subject == "Checking in, Ana"
    assert "Life gets busy" in rendered.text
    assert kits.render("launch_kit", sample_context("launch_kit")) == BUILT_IN.render(
        "launch_kit", sample_context("launch_kit")
    )


def test_an_override_can_replace_a_shared_partial(tmp_path: Path) -> None:
    kits = override(tmp_path, _signature__txt="The People team")
    assert kits.render("ended", sample_context("ended")).text.endswith("The People team\n")


def test_an_undefined_variable_names_the_template_line_and_variable(tmp_path: Path) -> None:
    kits = override(tmp_path, launch_kit__txt="Hi,\n\n{{ mentor.name }}\n")
    with pytest.raises(KitError) as caught:
        kits.render("launch_kit", sample_context("launch_kit"))
    assert caught.value.filename == str(tmp_path / "launch_kit.txt")
    assert caught.value.line == 3
    assert "'mentor' is undefined" in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path / 'launch_kit.txt'}:3: ")


def test_a_missing_key_of_a_peer_is_named_too(tmp_path: Path) -> None:
    kits = override(tmp_path, nudge__html="{% for p in peers %}\n{{ p.nickname }}{% endfor %}")
    with pytest.raises(KitError, match=r"nudge\.html:2: .*'nickname'"):
        kits.render("nudge", sample_context("nudge"))


def test_a_syntax_error_names_the_template_and_line(tmp_path: Path) -> None:
    kits = override(tmp_path, paused__txt="Hi\n{% if until %}\nuntil {{ until }}\n")
    with pytest.raises(KitError, match=r"paused\.txt:3: Unexpected end of template"):
        kits.render("paused", sample_context("paused"))


def test_the_sandbox_refuses_unsafe_attribute_access(tmp_path: Path) -> None:
    kits = override(tmp_path, help__txt="{{ ''.__class__.__mro__ }}")
    with pytest.raises(KitError, match=r"help\.txt:1: .*unsafe") as caught:
        kits.render("help", sample_context("help"))
    assert type(caught.value.__cause__).__name__ == "SecurityError"


def test_templates_cannot_change_the_context_they_are_given(tmp_path: Path) -> None:
    kits = override(tmp_path, ended__txt="{{ peers.append(1) }}")
    with pytest.raises(KitError, match="unsafe"):
        kits.render("ended", sample_context("ended"))


def test_check_all_finds_a_mistake_in_a_branch_the_sample_does_not_take(tmp_path: Path) -> None:
    kits = override(
        tmp_path, paused__txt="{% if until %}{{ until }}{% else %}{{ resum }}{% endif %}"
    )
    assert kits.check_all() == [f"{tmp_path / 'paused.txt'}:1: 'resum' is undefined"]


def test_check_all_reports_each_broken_override_and_unused_file(tmp_path: Path) -> None:
    kits = override(tmp_path, resumed__txt="{{ nope }}", lanch_kit__txt="typo in the name")
    problems = kits.check_all()
    assert len(problems) == 2
    assert problems[0].startswith("lanch_kit.txt: no built-in template has this name")
    assert "resumed.txt:1: 'nope' is undefined" in problems[1]


# Building the email


def test_an_email_is_text_and_html_alternatives_with_the_right_headers() -> None:
    rendered = BUILT_IN.render("launch_kit", sample_context("launch_kit"))
    parsed = parse(email_of(rendered))
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Subject"] == rendered.subject
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Reply-To"] == "mentoring+p1.abcdefghijkl@example.com"
    assert parsed["Message-ID"] == make_message_id("launch_kit/p1", "example.com")
    assert parsed["Date"].datetime == WHEN
    assert parsed.get_body(("plain",)).get_content() == rendered.text  # type: ignore[union-attr]


def test_a_name_with_a_line_break_cannot_inject_a_header() -> None:
    rendered = Rendered(subject="Hello\r\nBcc: subject@evil.example", text="t", html="<p>h</p>")
    message = email_of(
        rendered,
        sender_name="Peer\nCircles",
        to=[
            ("Eve\r\nBcc: x@evil.example", "eve@example.com"),
            ('Bob "the, Boss"', "b@example.com"),
        ],
    )
    parsed = parse(message)
    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["eve@example.com", "b@example.com"]
    assert parsed["To"].addresses[0].display_name == "Eve Bcc: x@evil.example"
    assert parsed["To"].addresses[1].display_name == 'Bob "the, Boss"'
    assert parsed["Subject"] == "Hello Bcc: subject@evil.example"
    assert parsed["From"].addresses[0].display_name == "Peer Circles"


def test_unicode_names_and_line_separators_are_encoded_not_broken() -> None:
    rendered = Rendered(subject="Für Zoë", text="t", html="<p>h</p>")
    message = email_of(rendered, to=[("Zoë\u2028Bcc: x@evil.example Ōkubo", "zoe@example.com")])
    raw = message.as_bytes()
    assert raw.isascii()
    parsed = parse(message)
    assert parsed["Bcc"] is None
    assert parsed["To"].addresses[0].display_name == "Zoë Bcc: x@evil.example Ōkubo"
    assert parsed["Subject"] == "Für Zoë"


def test_an_address_with_a_line_break_is_refused() -> None:
    rendered = Rendered(subject="s", text="t", html="h")
    with pytest.raises(ValueError):
        email_of(rendered, to=[("Eve", "eve@example.com\r\nBcc: x@evil.example")])


def test_a_reply_in_a_thread_carries_in_reply_to_and_references() -> None:
    rendered = Rendered(subject="s", text="t", html="h")
    parsed = parse(email_of(rendered, in_reply_to="<a@x>", references=["<root@x>", "<a@x>"]))
    assert parsed["In-Reply-To"] == "<a@x>"
    assert parsed["References"] == "<root@x> <a@x>"


def test_attachments_make_the_email_mixed_and_keep_their_content_type() -> None:
    rendered = Rendered(subject="s", text="t", html="h")
    invite = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    message = email_of(
        rendered, attachments=[("invite.ics", "text/calendar; method=REQUEST", invite)]
    )
    parsed = parse(message)
    assert parsed.get_content_type() == "multipart/mixed"
    (attachment,) = parsed.iter_attachments()
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == invite


def test_an_inline_chart_is_related_to_the_html_part() -> None:
    rendered = BUILT_IN.render("owner_digest", sample_context("owner_digest"))
    chart = b"\x89PNG\r\n\x1a\n"
    parsed = parse(email_of(rendered, inline=[("chart.p7k2m9q4@example.com", "image/png", chart)]))
    html = parsed.get_body(("html",))
    assert html is not None and "cid:chart.p7k2m9q4@example.com" in html.get_content()
    related = next(p for p in parsed.walk() if p.get_content_type() == "multipart/related")
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<chart.p7k2m9q4@example.com>"
    assert image.get_payload(decode=True) == chart


def test_a_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        email_of(Rendered("s", "t", "h"), date=datetime(2027, 1, 5, 9, 30))


def test_a_message_id_depends_only_on_the_outbox_key() -> None:
    first = make_message_id("launch_kit/p1", "example.com")
    assert first == make_message_id("launch_kit/p1", "Example.COM")
    assert first != make_message_id("launch_kit/p2", "example.com")
    assert first.startswith("<tandem.") and first.endswith("@example.com>")
    assert len(first) == len("<tandem.@example.com>") + 24


def test_a_message_id_needs_a_plain_domain() -> None:
    with pytest.raises(ValueError):
        make_message_id("k", "example.com>\r\nBcc: x")


# Small helpers the templates and the jobs share


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], ""),
        (["Ana"], "Ana"),
        (["Ana", "Jonas"], "Ana and Jonas"),
        (["A", "B", "C"], "A, B and C"),
    ],
)
def test_and_list_joins_names_as_a_sentence_would(items: list[str], expected: str) -> None:
    assert and_list(items) == expected


# Times as each reader reads them (issue 9, item 8)

NEW_YORK, BERLIN, KOLKATA = "America/New_York", "Europe/Berlin", "Asia/Kolkata"
JAN_12 = datetime(2027, 1, 12, 15, tzinfo=UTC)


def test_a_meeting_is_one_line_when_every_peer_reads_it_alike() -> None:
    readers = [Reader("Ana", NEW_YORK, "en-US"), Reader("Bo", NEW_YORK, "en-US")]
    assert starts_local(JAN_12, readers) == [
        "Tuesday, January 12 at 10:00 AM Eastern Time (New York)"
    ]


def test_a_meeting_gets_a_line_per_zone_and_locale_led_by_whose_it_is() -> None:
    readers = [
        Reader("Ana", NEW_YORK, "en-US"),
        Reader("Jonas", BERLIN, "de-DE"),
        Reader("Mei", NEW_YORK, "en-US"),
        Reader("Priya", KOLKATA, "en-GB"),
    ]
    assert starts_local(JAN_12, readers) == [
        "Ana and Mei: Tuesday, January 12 at 10:00 AM Eastern Time (New York)",
        "Jonas: Dienstag, 12. Januar um 16:00 Mitteleuropäische Zeit (Berlin)",
        "Priya: Tuesday 12 January at 20:30 India Time",
    ]


def test_two_peers_in_one_zone_with_different_locales_get_a_line_each() -> None:
    readers = [Reader("Ana", BERLIN, "en-GB"), Reader("Jonas", BERLIN, "de-DE")]
    assert starts_local(JAN_12, readers) == [
        "Ana: Tuesday 12 January at 16:00 Central European Time (Berlin)",
        "Jonas: Dienstag, 12. Januar um 16:00 Mitteleuropäische Zeit (Berlin)",
    ]


IANA = re.compile(
    r"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/\w+"
)


def every_rendering() -> list[tuple[str, Rendered]]:
    from scheduler.render.samples import VARIANTS

    return [
        (kind, BUILT_IN.render(kind, {**sample_context(kind), **variant}))
        for kind in KINDS
        for variant in ({}, *VARIANTS.get(kind, ()))
    ]


def test_no_email_of_any_kind_shows_an_iana_zone_key() -> None:
    for kind, rendered in every_rendering():
        for part in (rendered.subject, rendered.text, rendered.html):
            assert not IANA.search(part), (kind, IANA.search(part))


def trio_kit_context(meetings: int = 2) -> dict[str, object]:
    """The sample kit for a trio in three zones and three locales: the longest kit a default
    program (book_ahead: 2) sends."""
    context = sample_context("launch_kit")
    mei = {**context["peers"][0], "name": "Mei Chen", "first_name": "Mei"}  # type: ignore[index]
    mei.update(email="mei.chen@example.com", timezone="India Time")
    context["peers"] = [*context["peers"], mei]  # type: ignore[misc]
    readers = [
        Reader("Ana", NEW_YORK, "en-US"),
        Reader("Jonas", BERLIN, "de-DE"),
        Reader("Mei", KOLKATA, "en-IN"),
    ]
    context["meetings"] = [
        {"number": n + 1, "starts_local": starts_local(JAN_12 + timedelta(weeks=2 * n), readers)}
        | {"join_url": None, "outside_hours": []}
        for n in range(meetings)
    ]
    return context


def three_dates_kit_context() -> dict[str, object]:
    context = sample_context("launch_kit")
    third = sample_context("resumed")["meetings"][0]  # type: ignore[index]
    context["meetings"] = [*context["meetings"], third]  # type: ignore[misc]
    return context


@pytest.mark.parametrize(
    ("who", "context"),
    [
        ("a pair", sample_context("launch_kit")),
        ("a pair with three dates", three_dates_kit_context()),
        ("a trio in three zones", trio_kit_context()),
    ],
)
def test_the_launch_kit_stays_under_450_words_with_every_part_in_order(
    who: str, context: dict[str, object]
) -> None:
    text = BUILT_IN.render("launch_kit", context).text
    assert len(text.split()) < 450, f"{who}: {len(text.split())} words"
    parts = [
        "Let me introduce you",  # who the peers are, with their zones
        "Time zone: Eastern Time (New York)",
        "1. What shaped you",  # the five prompts, in order
        "2. What drives you",
        "3. What drains you",
        "4. What you are trying to grow into",
        "5. What support looks like for you",
        "Before offering any advice, reflect back what you heard",  # reflection before advice
        "not a complaint department, not therapy, and not a fix-it service",  # boundaries
        "stays between",
        "pause or end this at any time, without explaining why",
        "You will meet every 2 weeks",  # the rhythm, then the dates
        "1. Ana: Tuesday, January 12 at 10:00 AM Eastern Time (New York)",
        "2. Ana: Tuesday, January 26 at 10:00 AM Eastern Time (New York)",
        "Reply to this email and start the first line with one of these words",
    ]
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found != -1, f"{who}: {part!r} is missing, or comes too early"
        at = found + len(part)


def test_the_pause_note_lists_the_dates_it_took_off_in_each_readers_time() -> None:
    text = BUILT_IN.render("paused", sample_context("paused")).text
    assert "paused your conversations until Tuesday, March 2. No reason is needed." in text
    taken_off = text.partition("These dates are cancelled and off your calendars:")[2]
    assert "  2. Ana: Tuesday, January 26 at 10:00 AM Eastern Time (New York)\n" in taken_off
    assert (
        "     Jonas: Dienstag, 9. Februar um 16:00 Mitteleuropäische Zeit (Berlin)\n" in taken_off
    )
    assert "Join:" not in taken_off, "a cancelled call has no link to join"


def test_a_pause_that_took_one_date_off_says_so_in_the_singular() -> None:
    context = sample_context("paused")
    context["cancelled"] = context["cancelled"][:1]  # type: ignore[index]
    text = BUILT_IN.render("paused", context).text
    assert "This date is cancelled and off your calendars:" in text


def test_the_resume_note_tells_the_rhythm_that_is_left() -> None:
    text = BUILT_IN.render("resumed", sample_context("resumed")).text
    assert "After these, you will meet 2 more times every 2 weeks, then monthly until" in text
    last = BUILT_IN.render("resumed", {**sample_context("resumed"), "rhythm_left": ""}).text
    assert "These are the last conversations your pairing has planned." in last


def test_the_digest_greets_the_owner_by_name_or_else_neutrally() -> None:
    from scheduler.render.samples import VARIANTS

    assert BUILT_IN.render("owner_digest", sample_context("owner_digest")).text.startswith(
        "Hi Maya,\n"
    )
    nameless = {**sample_context("owner_digest"), **VARIANTS["owner_digest"][1]}
    rendered = BUILT_IN.render("owner_digest", nameless)
    assert rendered.text.startswith("Hello,\n")
    assert "<p>Hello,</p>" in rendered.html


# The rhythm in words

START = date(2027, 1, 11)  # meetings 1-6 every 2 weeks to 22 March, then monthly to 22 December


@pytest.mark.parametrize(
    ("after", "words"),
    [
        (0, "6 more times every 2 weeks, then monthly until December 2027"),
        (4, "2 more times every 2 weeks, then monthly until December 2027"),
        (5, "once more, 2 weeks later, then monthly until December 2027"),
        (6, "monthly until December 2027"),
        (15, ""),
    ],
)
def test_the_rhythm_left_counts_the_meetings_still_to_come(after: int, words: str) -> None:
    assert rhythm_left(DEFAULT_CADENCE, START, after) == words


def test_a_single_meeting_left_a_week_or_a_month_apart_reads_naturally() -> None:
    weekly = (Phase(Span(1, Unit.WEEKS), times=3), Phase(Span(1, Unit.MONTHS), times=2))
    assert rhythm_left(weekly, START, 2) == "once more, a week later, then 2 more times monthly"
    assert rhythm_left(weekly, START, 4) == "once more, a month later"


def test_the_month_in_the_rhythm_follows_the_programs_locale() -> None:
    assert cadence_text(DEFAULT_CADENCE, START, "de-DE") == (
        "every 2 weeks for the first 6 meetings, then monthly until Dezember 2027"
    )
    assert rhythm_left(DEFAULT_CADENCE, START, 6, "fr-FR") == "monthly until décembre 2027"
