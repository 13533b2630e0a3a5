"""Promises of docs/admin/google.md that no other test held: each test quotes the guide's
sentence (with its line) and fails if the code stops keeping it. Run against the local fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.google import provider
from integrations.google.auth import ALL_SCOPES, GoogleAccess
from integrations.google.busy import GoogleBusy
from integrations.google.calendar import GoogleCalendar
from integrations.google.check import checks
from integrations.google.directory import GoogleDirectory
from integrations.google.inbox import GmailInbox
from integrations.google.settings import GoogleSettings
from scheduler.ports import Check
from scheduler.program.load import parse_program
from tests.fakes.google import GoogleFake, ServiceAccount
from tests.integrations.google.conftest import ADMIN, MAILBOX
from tests.integrations.google.test_calendar import ANA, BO, booking
from tests.integrations.google.test_directory import by_email
from tests.integrations.google.test_mail import read_all, reply
from tests.integrations.google.test_run import PROGRAM

GROUP = f"mentors@{ADMIN.split('@')[1]}"
WRITES = ("insert", "patch", "update", "delete", "send", "modify", "trash", "import")


def short(scope: str) -> str:
    return scope.rsplit("/", 1)[1]


def run_checks(access: GoogleAccess, groups: tuple[str, ...] = ()) -> list[Check]:
    return checks(access, admin=ADMIN, mailbox=MAILBOX, customer="my_customer", groups=groups)


@pytest.mark.parametrize("scope", ALL_SCOPES, ids=short)
def test_check_names_exactly_the_one_scope_that_is_not_delegated(
    fake: GoogleFake, account: ServiceAccount, access: GoogleAccess, scope: str
) -> None:
    """google.md:40-41: "Tandem asks for each scope only with the account that needs it (one
    token grant per account and scope set, cached for a run), so `tandem check` can tell you
    which one is missing." (and the table of lines 119-128)."""
    fake.add_group(GROUP, [MAILBOX])
    fake.revoke(account.client_id, [scope])
    found = run_checks(access, groups=(GROUP,))
    missing = [check.name for check in found if not check.ok]
    assert missing == [f"{short(scope)} as {ADMIN if 'directory' in scope else MAILBOX}"]
    assert len(found) == 7


def test_a_missing_scope_shows_googles_own_unauthorized_client_refusal(
    fake: GoogleFake, account: ServiceAccount, access: GoogleAccess
) -> None:
    """google.md:130-131: "A missing scope shows Google's own refusal, such as
    `unauthorized_client: Client is unauthorized to retrieve access tokens using this method,
    or client not authorized for any of the scopes requested`"."""
    fake.revoke(account.client_id, ALL_SCOPES)
    found = run_checks(access)
    assert all(not check.ok for check in found)
    for check in found:
        assert "unauthorized_client" in check.detail, (check.name, check.detail)


def test_check_sends_books_and_changes_nothing(fake: GoogleFake, access: GoogleAccess) -> None:
    """google.md:116-117: "`tandem check program.yaml` prints one line per permission ... It
    sends, books and changes nothing." and line 127: "`gmail.send as MAILBOX` | a token grant
    only: a check sends nothing"."""
    fake.add_group(GROUP, [MAILBOX])
    fake.reset_counters()
    found = run_checks(access, groups=(GROUP,))
    assert all(check.ok for check in found), [(c.name, c.detail) for c in found]
    writes = [name for name in fake.requests if any(w in name.lower() for w in WRITES)]
    assert writes == []
    assert fake.sent == []
    assert fake.requests["token"] >= 7, "every scope was at least granted"


def test_check_says_missing_for_a_group_that_does_not_exist(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    """google.md:123: "`admin.directory.group.member.readonly as ADMIN` | `members.list` of each
    group `participants` names ... | the scope is not delegated, or a group does not exist"."""
    found = {check.name: check for check in run_checks(access, groups=(GROUP,))}
    groups = found[f"admin.directory.group.member.readonly as {ADMIN}"]
    assert not groups.ok
    assert GROUP in groups.detail
    assert [name for name, check in found.items() if not check.ok] == [groups.name]


def program_text(fake: GoogleFake, credentials_line: str) -> str:
    text = PROGRAM.format(mailbox=MAILBOX, admin=ADMIN, root=fake.root)
    return text.replace("    credentials_file: service-account.json\n", credentials_line)


@pytest.mark.parametrize("content", [None, '{"type": "authorized_user"}'], ids=["absent", "other"])
def test_check_says_missing_for_a_key_file_absent_or_not_a_service_account(
    fake: GoogleFake, tmp_path: Path, content: str | None
) -> None:
    """google.md:121: "`service-account key` | reads the key file and shows the client ID the
    Admin console must name | the file is missing or not a service-account key"."""
    key = tmp_path / "other-key.json"
    if content is not None:
        key.write_text(content, encoding="utf-8")
    line = "    credentials_file: other-key.json\n"
    program = parse_program(program_text(fake, line), "program.yaml", tmp_path)
    found = provider.check(program, {})
    assert [(check.name, check.ok) for check in found] == [("service-account key", False)]


def test_check_shows_the_client_id_the_admin_console_must_name(
    fake: GoogleFake, account: ServiceAccount, tmp_path: Path
) -> None:
    """google.md:121: "`service-account key` | reads the key file and shows the client ID the
    Admin console must name"."""
    line = "    credentials_file: service-account.json\n"
    program = parse_program(program_text(fake, line), "program.yaml", tmp_path)
    key = provider.check(program, {})[0]
    assert key.name == "service-account key" and key.ok
    assert account.client_id in key.detail


def test_without_credentials_file_the_key_is_the_one_the_environment_names(
    fake: GoogleFake, account: ServiceAccount, tmp_path: Path
) -> None:
    """google.md:94: "`google.credentials_file` | no | path of the JSON key, relative to the
    program file; without it, the file the environment variable
    `GOOGLE_APPLICATION_CREDENTIALS` names"."""
    program = parse_program(program_text(fake, ""), "program.yaml", tmp_path)
    found = provider.check(program, {"GOOGLE_APPLICATION_CREDENTIALS": str(account.path)})
    assert found[0].ok and account.client_id in found[0].detail
    assert [check.name for check in found if not check.ok] == []


def test_customer_and_daily_send_limit_default_to_my_customer_and_2000(
    fake: GoogleFake, tmp_path: Path
) -> None:
    """google.md:96 and 100: "`google.customer` | no | ... default `my_customer`" and
    "`google.daily_send_limit` | no | mail sent per 24 hours at most; default 2000"."""
    text = program_text(fake, "    credentials_file: service-account.json\n")
    text = text.replace("    customer: my_customer\n", "").replace(
        "    daily_send_limit: 2000\n", ""
    )
    assert "customer" not in text and "daily_send_limit" not in text
    settings = GoogleSettings.of(parse_program(text, "program.yaml", tmp_path)).google
    assert (settings.customer, settings.daily_send_limit) == ("my_customer", 2000)


def test_an_empty_timezone_field_leaves_the_zone_to_the_calendar(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    """google.md:98: "`google.timezone_field` | ... without it (or where it is empty), the zone
    of the person's calendar, else the program's zone"."""
    fake.add_user("ana@example.com", custom={"Employment": {"timezone": ""}})
    directory = GoogleDirectory(access, ADMIN, timezone_field="Employment.timezone")
    assert "timezone" not in by_email(directory)["ana@example.com"]


@pytest.mark.parametrize("meet", [True, False], ids=["calendar-meet", "video-none"])
def test_video_none_adds_no_meet_link(fake: GoogleFake, access: GoogleAccess, meet: bool) -> None:
    """google.md:102-103: "`meetings.video` (`auto` or `meet` adds a Google Meet link; `none`
    adds none)"."""
    fake.add_user(ANA)
    fake.add_user(BO)
    calendar = GoogleCalendar(access, MAILBOX, GoogleBusy(access, MAILBOX), meet=meet)
    video = "none" if meet else "auto"  # none on the booking, or none for the whole program
    (made,) = calendar.book([booking(video=video)])
    event = fake.event(MAILBOX, made.event_id)
    assert not event.get("hangoutLink") and not event.get("conferenceData")


def test_reading_replies_never_deletes_moves_or_labels_mail(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    """google.md:19: "Gmail `history.list` (INBOX only) and `messages.get`, read only: Tandem
    never deletes, moves or labels mail"."""
    inbox = GmailInbox(access, MAILBOX)
    fake.deliver(MAILBOX, reply(1))
    found, cursor = read_all(inbox, None)
    fake.deliver(MAILBOX, reply(2))
    found += read_all(inbox, cursor)[0]
    assert len(found) == 2
    gmail_calls = [name for name in fake.requests if name.startswith("gmail.")]
    assert gmail_calls and all(
        name.rsplit(".", 1)[1] in ("list", "get", "getProfile") for name in gmail_calls
    ), gmail_calls


def test_waits_between_retries_grow_are_jittered_and_honour_retry_after() -> None:
    """google.md:136-137: "retried with growing, jittered waits that honour `Retry-After`"."""
    import random

    from integrations.google.retry import RetryPolicy

    policy = RetryPolicy(attempts=6, first=1.0, longest=60.0)
    state = random.getstate()
    random.seed(7)
    try:
        waits = {a: [policy.wait(a, None) for _ in range(400)] for a in (1, 3, 8)}
    finally:
        random.setstate(state)
    for attempt, drawn in waits.items():
        bound = min(60.0, 2.0 ** (attempt - 1))
        assert all(0.0 <= wait <= bound for wait in drawn)  # growing bounds, capped at 60 s
        assert len({round(wait, 6) for wait in drawn}) > 300  # jittered: never one fixed wait
    assert max(waits[3]) > max(waits[1])  # the waits grow with the attempt
    assert max(waits[8]) > 30.0
    assert all(policy.wait(1, 12.5) >= 12.5 for _ in range(100))  # never before Retry-After
