"""SmtpMailer against a real aiosmtpd relay on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from tenacity import wait_none

from integrations.local.mail_out import SmtpMailer
from scheduler.ports import OutgoingMail, ProviderError
from tests.integration.local.relay import SMTP_PASSWORD, SMTP_USER, Certificate, Relay, free_port


def mail(number: int, *, sender: str = "Tandem <program@example.org>") -> OutgoingMail:
    message_id = f"<tandem.{number}@example.org>"
    raw = (
        f"From: {sender}\r\nTo: Ana <ana@example.org>\r\nSubject: Meet your peer {number}\r\n"
        f"Message-ID: {message_id}\r\n\r\nHello.\r\n..a line that starts with a dot\r\n"
    ).encode()
    return OutgoingMail(f"kit:{number}", message_id, raw, ("ana@example.org", "bo@example.org"))


def mailer(relay: Relay, tmp_path: Path, **options: object) -> SmtpMailer:
    settings: dict[str, object] = {"username": SMTP_USER, "password": SMTP_PASSWORD}
    settings.update(options)
    return SmtpMailer(
        relay.host, relay.port, sent_log=tmp_path / "sent.log", timeout=5, wait=wait_none(),
        **settings,  # type: ignore[arg-type]
    )  # fmt: skip


def test_it_delivers_a_batch_over_one_connection_with_exact_bytes(
    relay: Relay, tmp_path: Path
) -> None:
    batch = [mail(1), mail(2)]

    mailer(relay, tmp_path).send(batch)

    assert [r.content for r in relay.received] == [m.raw for m in batch]
    assert all(r.sender == "program@example.org" for r in relay.received)
    assert all(r.recipients == ["ana@example.org", "bo@example.org"] for r in relay.received)
    assert len({r.connection for r in relay.received}) == 1


def test_bare_line_feeds_go_out_as_crlf(relay: Relay, tmp_path: Path) -> None:
    unix = mail(1)
    unix = OutgoingMail(
        unix.key, unix.message_id, unix.raw.replace(b"\r\n", b"\n"), unix.recipients
    )

    mailer(relay, tmp_path).send([unix])

    assert [r.content for r in relay.received] == [mail(1).raw]  # RFC 5321, 2.3.8


def test_sent_to_reflects_accepted_mail_and_a_resend_sends_nothing(
    relay: Relay, tmp_path: Path
) -> None:
    first = mailer(relay, tmp_path)
    first.send([mail(1)])

    again = mailer(relay, tmp_path)  # a new process reading the same log
    again.send([mail(1), mail(2), mail(2)])

    both = frozenset({"ana@example.org", "bo@example.org"})
    other = OutgoingMail("k", "<other@x>", b"", ("a@b.c",))
    assert again.sent_to([mail(1), mail(2), other]) == {
        mail(1).message_id: both,
        mail(2).message_id: both,
    }
    assert [r.content for r in relay.received] == [mail(1).raw, mail(2).raw]


def test_a_second_sender_sees_what_the_first_logged_after_its_own_last_read(
    relay: Relay, tmp_path: Path
) -> None:
    # Given two senders sharing one log, the second having read it before the first sent
    first, second = mailer(relay, tmp_path), mailer(relay, tmp_path)
    assert second.sent_to([mail(1)]) == {}
    first.send([mail(1)])

    # When the second is handed the same mail (issue 13, defect 1: the log was read once)
    second.send([mail(1)])

    # Then the server received it once
    assert [r.content for r in relay.received] == [mail(1).raw]


def test_a_message_every_recipient_refuses_is_refused_and_the_batch_goes_on(
    relay: Relay, tmp_path: Path
) -> None:
    relay.rcpt_replies = {"ana@example.org": "550 5.1.1 No such user", "bo@example.org": "550 no"}
    outbox = mailer(relay, tmp_path)
    doomed = mail(2)

    results = outbox.send([doomed, mail(3)])

    assert [r.message_id for r in results] == [doomed.message_id, mail(3).message_id]
    assert results[0].delivered == frozenset() and results[0].deferred == {}
    assert results[0].refused == {
        "ana@example.org": "550 5.1.1 No such user",
        "bo@example.org": "550 no",
    }
    assert outbox.sent_to([doomed, mail(3)]) == {}
    assert relay.received == []


def test_a_recipient_refused_for_good_fails_alone(relay: Relay, tmp_path: Path) -> None:
    relay.rcpt_replies = {"bo@example.org": "550 5.1.1 No such user"}
    outbox = mailer(relay, tmp_path)

    (result,) = outbox.send([mail(1)])

    assert [r.recipients for r in relay.received] == [["ana@example.org"]]
    assert result.delivered == {"ana@example.org"}
    assert result.refused == {"bo@example.org": "550 5.1.1 No such user"}
    assert outbox.sent_to([mail(1)]) == {mail(1).message_id: frozenset({"ana@example.org"})}


def test_a_recipient_refused_for_now_is_deferred_and_later_gets_it_alone(
    relay: Relay, tmp_path: Path
) -> None:
    # Given a server that refuses one recipient for now (issue 13, defect 5)
    relay.rcpt_replies = {"bo@example.org": "450 4.2.1 Mailbox busy, try later"}
    outbox = mailer(relay, tmp_path)

    (result,) = outbox.send([mail(1)])

    # Then ana has it, bo is owed it with the server's reason, nothing is refused
    assert result.delivered == {"ana@example.org"}
    assert result.deferred == {"bo@example.org": "450 4.2.1 Mailbox busy, try later"}
    assert result.refused == {}

    # When the recipient is accepted later, only bo receives the message
    relay.rcpt_replies = {}
    later = mail(1)
    later = OutgoingMail(later.key, later.message_id, later.raw, ("bo@example.org",))
    (again,) = outbox.send([later])
    assert [r.recipients for r in relay.received] == [["ana@example.org"], ["bo@example.org"]]
    assert again.delivered == {"bo@example.org"}
    both = frozenset({"ana@example.org", "bo@example.org"})
    assert outbox.sent_to([mail(1)]) == {mail(1).message_id: both}


def test_a_5xx_after_data_refuses_that_message_for_good(relay: Relay, tmp_path: Path) -> None:
    relay.data_replies = ["554 5.7.1 Message rejected as spam"]

    (result,) = mailer(relay, tmp_path).send([mail(1)])

    assert set(result.refused) == {"ana@example.org", "bo@example.org"}
    assert all(reason.startswith("554") for reason in result.refused.values())
    assert len(relay.data_replies) == 0 and relay.received == []


def test_a_451_is_retried_and_the_message_delivered_once(relay: Relay, tmp_path: Path) -> None:
    relay.data_replies = ["451 4.3.0 Try again later"]
    outbox = mailer(relay, tmp_path)

    outbox.send([mail(1), mail(2)])

    assert [r.content for r in relay.received] == [mail(1).raw, mail(2).raw]
    assert len({r.connection for r in relay.received}) == 1  # the retry's new connection


def test_a_4xx_three_times_in_a_row_is_transient(relay: Relay, tmp_path: Path) -> None:
    relay.data_replies = ["421 4.7.0 Busy"] * 2 + ["452 4.3.1 Out of storage"]

    with pytest.raises(ProviderError) as raised:
        mailer(relay, tmp_path).send([mail(1)])

    assert not raised.value.permanent
    assert relay.data_replies == [] and relay.received == []


def test_a_server_that_is_not_there_is_transient(tmp_path: Path) -> None:
    outbox = SmtpMailer("127.0.0.1", free_port(), sent_log=tmp_path / "s", wait=wait_none())

    with pytest.raises(ProviderError) as raised:
        outbox.send([mail(1)])

    assert not raised.value.permanent


def test_a_wrong_password_is_permanent_and_never_shown(relay: Relay, tmp_path: Path) -> None:
    secret = "Wrong-Secret-Pa55"

    with pytest.raises(ProviderError) as raised:
        mailer(relay, tmp_path, password=secret).send([mail(1)])

    assert raised.value.permanent and "535" in str(raised.value)
    assert secret not in str(raised.value) and secret not in repr(raised.value)


def test_a_server_that_echoes_the_password_has_it_redacted(relay: Relay, tmp_path: Path) -> None:
    relay.rcpt_replies = {
        address: f"550 refused, you said {SMTP_PASSWORD}"
        for address in ("ana@example.org", "bo@example.org")
    }

    (result,) = mailer(relay, tmp_path).send([mail(1)])

    reasons = " ".join(result.refused.values())
    assert SMTP_PASSWORD not in reasons and "********" in reasons


def test_a_message_without_from_is_refused_for_good(relay: Relay, tmp_path: Path) -> None:
    bare = OutgoingMail("k", "<x@example.org>", b"Subject: no sender\r\n\r\nHi\r\n", ("a@b.c",))

    (result,) = mailer(relay, tmp_path).send([bare])

    assert result.refused == {"a@b.c": "the message has no From address"}
    assert relay.received == []


def test_starttls_delivers_to_a_trusted_certificate(
    tls_relay: Relay, certificate: Certificate, tmp_path: Path
) -> None:
    outbox = mailer(tls_relay, tmp_path, starttls=True, ssl_context=certificate.client_context())

    outbox.send([mail(1)])

    assert [r.content for r in tls_relay.received] == [mail(1).raw]


def test_starttls_refuses_an_untrusted_certificate_for_good(
    tls_relay: Relay, tmp_path: Path
) -> None:
    with pytest.raises(ProviderError) as raised:
        mailer(tls_relay, tmp_path, starttls=True).send([mail(1)])

    assert raised.value.permanent and tls_relay.received == []


def test_ssl_and_starttls_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        SmtpMailer("h", 25, ssl=True, starttls=True, sent_log=tmp_path / "s")
