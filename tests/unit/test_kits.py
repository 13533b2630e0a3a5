from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from scheduler.kits import (
    KINDS,
    KitError,
    Kits,
    Rendered,
    and_list,
    build_email,
    local_times,
    make_message_id,
    sample_context,
)

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
        "America/New_York",
        "Jonas Weber",
        "Senior Data Engineer, Logistics",
        "Europe/Berlin",
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
    assert "Tuesday 12 January, 10:00 (America/New_York)" in text
    assert "Tuesday 12 January, 16:00 (Europe/Berlin)" in text
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
    assert "Thursday 28 January, 10:00 (America/New_York)" in text
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
    assert "Done: conversation 2 on Tuesday 26 January is skipped" in text


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


def test_local_times_follow_each_zones_own_daylight_saving() -> None:
    # 16 March 2027: New York has moved to summer time, Berlin not yet.
    start = datetime(2027, 3, 16, 15, tzinfo=UTC)
    assert local_times(start, ["America/New_York", "Europe/Berlin", "America/New_York"]) == [
        "Tuesday 16 March, 11:00 (America/New_York)",
        "Tuesday 16 March, 16:00 (Europe/Berlin)",
    ]


def test_local_times_accept_any_aware_start() -> None:
    start = datetime(2027, 1, 12, 10, tzinfo=timezone(timedelta(hours=-5)))
    assert local_times(start, ["Asia/Kolkata"]) == ["Tuesday 12 January, 20:30 (Asia/Kolkata)"]
