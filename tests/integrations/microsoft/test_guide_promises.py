"""Promises of docs/admin/microsoft.md that no other test held: each test quotes the guide's
sentence (with its line) and fails if the code stops keeping it."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.microsoft.auth import TokenSource
from integrations.microsoft.calendar import GraphCalendar
from integrations.microsoft.check import checks
from integrations.microsoft.graph import Call, Graph
from integrations.microsoft.mail import GraphMailer
from integrations.microsoft.settings import MicrosoftSection, endpoints
from scheduler.ports import Cancellation, OutgoingMail
from scheduler.program.load import load_program
from scheduler.program.schema import Program
from tests.contracts.harnesses.microsoft import CLIENT_ID, SECRET
from tests.fakes.graph import FakeGraph, client_certificate
from tests.integrations.microsoft.conftest import MAILBOX
from tests.integrations.microsoft.test_auth_and_check import PROGRAM, section
from tests.integrations.microsoft.test_calendar import PEOPLE, booking

ANA = "ana@contoso.com"


def test_a_thumbprint_with_colons_and_spaces_signs_in(fake: FakeGraph, tmp_path: Path) -> None:
    """microsoft.md:135: "`certificate_thumbprint` | with `certificate_file` | the certificate's
    SHA-1 thumbprint, hex, as the portal shows it (colons and spaces are ignored)"."""
    cert = client_certificate()
    fake.add_app("cert-app", certificate=cert.certificate_pem, permissions={"User.Read.All"})
    pem = tmp_path / "app.pem"
    pem.write_text(cert.private_key_pem + cert.certificate_pem, encoding="utf-8")
    plain = cert.sha1_thumbprint
    pairs = [plain[i : i + 2] for i in range(0, len(plain), 2)]
    spaced = ":".join(pairs[:10]) + " " + " ".join(pairs[10:]).lower()
    keys = section(fake, certificate_file=str(pem), certificate_thumbprint=spaced)
    tokens = TokenSource(keys.model_copy(update={"client_id": "cert-app"}), {})
    assert Graph(tokens, fake.base_url).request("GET", "/users", params={"$top": "1"})


CLOUD_HOSTS = {
    "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgov-dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}


def keys(**extra: str) -> MicrosoftSection:
    return MicrosoftSection.model_validate(
        {
            "tenant_id": "contoso.com",
            "client_id": "0a1b2c3d-0000-4000-8000-000000000002",
            "client_secret_env": "TANDEM_GRAPH_SECRET",
            **extra,
        }
    )


@pytest.mark.parametrize("cloud", sorted(CLOUD_HOSTS))
def test_cloud_picks_the_sign_in_host_the_graph_host_and_the_token_scope(cloud: str) -> None:
    """microsoft.md:136: "`cloud` | no | `global` (default), `usgov` (GCC High), `usgov-dod`
    (DoD) or `china` (21Vianet): picks the sign-in host and the Graph host, and so the token
    scope `<graph_endpoint>/.default`"."""
    section = keys(cloud=cloud) if cloud != "global" else keys()
    assert endpoints(section) == CLOUD_HOSTS[cloud]
    tokens = TokenSource(section, {"TANDEM_GRAPH_SECRET": "s"})
    assert tokens.scope == CLOUD_HOSTS[cloud][1] + "/.default"


def test_authority_and_graph_endpoint_override_the_cloud_and_the_scope_follows() -> None:
    """microsoft.md:137-138: "`authority` | no | the sign-in host, overriding the cloud's ...;
    a trailing `/` is removed" and "`graph_endpoint` | no | the Graph host, overriding the
    cloud's; the token's scope follows it"."""
    section = keys(
        cloud="china", authority="https://login.proxy.example/", graph_endpoint="https://g.example"
    )
    assert endpoints(section) == ("https://login.proxy.example", "https://g.example")
    tokens = TokenSource(section, {"TANDEM_GRAPH_SECRET": "s"})
    assert tokens.scope == "https://g.example/.default"


def test_the_mailer_keeps_under_30_sends_in_any_minute(fake: FakeGraph, graph: Graph) -> None:
    """microsoft.md:174-175: "Exchange allows 30 messages a minute and 10,000 recipients a day
    per mailbox: Tandem paces itself under both" (the per-minute half, in the mailer)."""
    fake.add_user(ANA)
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    mailer = GraphMailer(graph, MAILBOX, clock=lambda: now[0], sleep=sleep)
    mails = [OutgoingMail(f"k:{n}", f"<tandem.p{n}@contoso.com>",
                          f"From: {MAILBOX}\r\nTo: {ANA}\r\nSubject: P{n}\r\nMessage-ID: "
                          f"<tandem.p{n}@contoso.com>\r\n\r\nHi.\r\n".encode(), (ANA,))
             for n in range(31)]  # fmt: skip
    results = mailer.send(mails)
    assert all(r.delivered == {ANA} for r in results[:30])
    # the fake keeps Exchange's limit by the real clock, so the 31st is refused there
    assert waits == [60.0], "the 31st send waits for the first to leave the minute"


@pytest.mark.parametrize(("video", "online"), [("teams", True), ("auto", True), ("none", False)])
def test_a_teams_link_only_when_video_is_teams_or_auto(
    fake: FakeGraph, graph: Graph, video: str, online: bool
) -> None:
    """microsoft.md:162-163: "Meetings: created in the program mailbox's calendar ..., both
    peers as required attendees, a Teams link when `meetings.video` is `teams` or `auto`"."""
    for person in PEOPLE:
        fake.add_user(person)
    (made,) = GraphCalendar(graph, MAILBOX).book([booking(video=video)])
    (event,) = fake.events(MAILBOX)
    assert bool(event["isOnlineMeeting"]) is online
    assert bool(made.join_url) is online
    assert {a["type"] for a in event["attendees"]} == {"required"}


def test_a_cancel_uses_the_cancel_action_with_a_message(fake: FakeGraph, graph: Graph) -> None:
    """microsoft.md:165: "a cancel uses `/cancel` with a message"."""
    for person in PEOPLE:
        fake.add_user(person)
    calendar = GraphCalendar(graph, MAILBOX)
    (made,) = calendar.book([booking(video="none")])
    (done,) = calendar.cancel([Cancellation(booking(event_id=made.event_id), "ended")])
    assert done.error is None and fake.events(MAILBOX) == []
    assert fake.requests["events.cancel"] == 1 and fake.requests["events.delete"] == 0
    assert [n.recipient for n in fake.notifications if n.kind == "cancel"] == list(PEOPLE)


def test_batch_items_run_at_most_four_at_once_on_the_mailbox(fake: FakeGraph, graph: Graph) -> None:
    """microsoft.md:180-181: "at most four requests run at once on the mailbox (`$batch` items
    are chained four wide)". The fake refuses a fifth concurrent item on a mailbox with 429;
    chained four wide, none is refused, so none is retried alone and nothing is waited."""
    waits: list[float] = []
    graph.sleep = waits.append
    calls = [Call("GET", f"/users/{MAILBOX}/messages?$top=1&$select=id") for _ in range(20)]
    answers = graph.batch(calls)
    assert [a.status for a in answers] == [200] * 20
    assert fake.requests["batch"] == 1 and fake.requests["messages.list"] == 20
    assert waits == []


def check_program(fake: FakeGraph, tmp_path: Path, text: str) -> Program:
    path = tmp_path / "program.yaml"
    path.write_text(text.format(mailbox=MAILBOX, tenant=fake.tenant_id, client=CLIENT_ID,
                                root=fake.base_url), encoding="utf-8")  # fmt: skip
    return load_program(path)


def test_check_names_a_broader_permission_and_tries_no_send(
    fake: FakeGraph, tmp_path: Path
) -> None:
    """microsoft.md:201-205: "*granted* means the access token's `roles` claim holds it (or a
    broader one, which the line names) ... `Mail.Send` and the write half of
    `Calendars.ReadWrite` are judged by the grant alone, so that `check` sends and books
    nothing. `GroupMember.Read.All` is checked only when the program selects people by
    group"."""
    granted = {"Directory.Read.All", "Mail.Send", "Calendars.ReadWrite", "Mail.ReadWrite"}
    fake.add_app(CLIENT_ID, secret=SECRET, permissions=granted)
    found = {c.name: c for c in checks(check_program(fake, tmp_path, PROGRAM),
                                       {"TANDEM_GRAPH_SECRET": SECRET})}  # fmt: skip
    assert found["User.Read.All (application)"].ok
    assert "Directory.Read.All" in found["User.Read.All (application)"].detail
    assert found["Mail.Send (application)"].ok
    assert "GroupMember.Read.All (application)" not in found
    assert fake.requests["messages.send"] == 0 and fake.requests["sendMail"] == 0
    assert fake.requests["events.create"] == 0 and fake.requests["batch"] == 0


def test_an_unlimited_app_is_a_warning_not_a_failure(fake: FakeGraph, tmp_path: Path) -> None:
    """microsoft.md:207-208: "*limited to the program mailbox*: whether another mailbox is
    refused to the app. "no" is a warning, not a failure"."""
    fake.add_app(CLIENT_ID, secret=SECRET, permissions={"User.Read.All", "Mail.ReadWrite"})
    fake.add_user("other@contoso.com")
    found = {c.name: c for c in checks(check_program(fake, tmp_path, PROGRAM),
                                       {"TANDEM_GRAPH_SECRET": SECRET})}  # fmt: skip
    scope = found["limited to the program mailbox"]
    assert scope.ok and scope.detail.startswith("no:")


def test_the_daily_mail_limit_never_passes_exchanges_10000_recipients() -> None:
    """microsoft.md:174-176: "Exchange allows ... 10,000 recipients a day per mailbox: Tandem
    paces itself under both (at most 3,333 emails a day, since none goes to more than three
    people)": the daily count of mails times the most recipients any Tandem email has (a
    trio's launch kit) stays under Exchange's recipients a day."""
    from integrations.microsoft.mail import DAILY_RECIPIENTS, GraphMailer

    most_recipients = 3  # a trio: the largest group Tandem writes to
    assert DAILY_RECIPIENTS == 10_000
    assert GraphMailer.daily_limit == 3_333
    assert GraphMailer.daily_limit * most_recipients <= DAILY_RECIPIENTS
