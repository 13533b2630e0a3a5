"""Mail as the program mailbox: a draft from the MIME, then send; looked up by Message-ID
before anything, so a retry never sends twice; Exchange's per-minute limit waited out."""

from __future__ import annotations

from integrations.microsoft.graph import Graph
from integrations.microsoft.inbox import GraphInbox
from integrations.microsoft.mail import GraphMailer, addressed_to
from scheduler.ports import OutgoingMail
from tests.fakes.graph import FakeGraph
from tests.integrations.microsoft.conftest import MAILBOX

ANA, BO = "ana@contoso.com", "bo@contoso.com"


def mail(number: int, recipients: tuple[str, ...] = (ANA, BO)) -> OutgoingMail:
    message_id = f"<tandem.kit{number}@contoso.com>"
    raw = (
        f"From: Mentoring <{MAILBOX}>\r\nTo: {ANA}, {BO}\r\nSubject: Kit {number}\r\n"
        f"Message-ID: {message_id}\r\nX-Tandem-Key: kit:{number}\r\n\r\nHello.\r\n"
    ).encode()
    return OutgoingMail(f"kit:{number}", message_id, raw, recipients)


def test_each_mail_goes_once_with_its_message_id_and_headers(fake: FakeGraph, graph: Graph) -> None:
    fake.add_user(ANA)
    fake.add_user(BO)
    mailer = GraphMailer(graph, MAILBOX)
    results = mailer.send([mail(1), mail(2)])
    assert [r.delivered for r in results] == [{ANA, BO}, {ANA, BO}]
    assert mailer.send([mail(1)])[0].delivered == {ANA, BO}, "found sent: not again"
    assert fake.requests["messages.send"] == 2 and fake.requests["sendMail"] == 0
    (received,) = [m for m in fake.messages(ANA, "inbox") if m["subject"] == "Kit 1"]
    assert received["internetMessageId"] == "<tandem.kit1@contoso.com>"
    assert mailer.sent_to([mail(1), mail(3)]) == {mail(1).message_id: frozenset({ANA, BO})}


def test_a_draft_left_by_a_lost_send_is_sent_not_made_again(fake: FakeGraph, graph: Graph) -> None:
    fake.add_user(ANA)
    fake.add_user(BO)
    mailer = GraphMailer(graph, MAILBOX)
    fake.fault("messages.send", 500, times=10, in_batch=False)
    (failed,) = mailer.send([mail(1)])
    assert failed.delivered == frozenset() and set(failed.deferred) == {ANA, BO}
    assert mailer.sent_to([mail(1)]) == {}
    fake.service.throttle.faults.clear()
    (sent,) = mailer.send([mail(1)])
    assert sent.delivered == {ANA, BO}
    assert fake.requests["messages.create"] == 1, "the draft made before is the one sent"
    assert len(fake.messages(MAILBOX, "sentitems")) == 1
    assert fake.messages(MAILBOX, "drafts") == []


def test_only_the_recipients_still_owed_get_a_retry(fake: FakeGraph, graph: Graph) -> None:
    fake.add_user(ANA)
    fake.add_user(BO)
    GraphMailer(graph, MAILBOX).send([mail(1, (ANA,))])
    (result,) = GraphMailer(graph, MAILBOX).send([mail(1)])
    assert result.delivered == {ANA, BO}
    assert len([m for m in fake.messages(ANA, "inbox") if m["subject"] == "Kit 1"]) == 1
    assert len([m for m in fake.messages(BO, "inbox") if m["subject"] == "Kit 1"]) == 1
    raw = addressed_to(mail(1).raw, (BO,))
    assert b"To: bo@contoso.com" in raw and b"ana@" not in raw


def test_the_message_rate_limit_is_waited_out(fake: FakeGraph, graph: Graph) -> None:
    fake.add_user(ANA)
    fake.add_user(BO)
    fake.fault("messages.send", 429, times=2, retry_after=7, in_batch=False,
               code="ErrorExceededMessageLimit")  # fmt: skip
    waits: list[float] = []
    graph.sleep = waits.append
    (result,) = GraphMailer(graph, MAILBOX).send([mail(1)])
    assert result.delivered == {ANA, BO} and waits == [7.0, 7.0]


def test_replies_are_read_once_through_the_inbox_delta(fake: FakeGraph, graph: Graph) -> None:
    inbox = GraphInbox(graph, MAILBOX)
    for number in range(5):
        fake.deliver(MAILBOX, f"From: {ANA}\r\nSubject: r{number}\r\n\r\npause\r\n".encode())
    fake.deliver(
        MAILBOX,
        (
            f"From: {ANA}\r\nSubject: Declined: Pair 1\r\n"
            "Content-Class: urn:content-classes:calendarmessage\r\n\r\nDeclined\r\n"
        ).encode(),
    )
    seen, cursor = [], None
    while True:
        batch = inbox.fetch(cursor)
        cursor = batch.cursor
        if not batch.messages:
            break
        seen += [m.raw for m in batch.messages]
    assert len(seen) == 5 and all(b"pause" in raw for raw in seen)
    fake.deliver(MAILBOX, f"From: {BO}\r\nSubject: r9\r\n\r\nskip\r\n".encode())
    assert [b"skip" in m.raw for m in inbox.fetch(cursor).messages] == [True]
