"""The Mailer contract: each mail once, per recipient, found again by its Message-ID."""

from __future__ import annotations

from scheduler.ports import OutgoingMail
from tests.contracts.harnesses.base import Harness

ANA, BO = "ana@contract.example", "bo@contract.example"


def mail(number: int) -> OutgoingMail:
    message_id = f"<tandem.contract{number}@contract.example>"
    raw = (
        f"From: Contract <mentoring@contract.example>\r\nTo: {ANA}, {BO}\r\n"
        f"Subject: Mail {number}\r\nMessage-ID: {message_id}\r\n\r\nHello.\r\n"
    ).encode()
    return OutgoingMail(f"kit:{number}", message_id, raw, (ANA, BO), kind="kit",
                        subject=f"Mail {number}")  # fmt: skip


def test_a_sent_message_is_found_by_its_message_id_before_a_retry(provider: Harness) -> None:
    with provider.mailer() as harness:
        (result,) = harness.mailer.send([mail(1)])
        assert result.delivered == {ANA, BO}
        found = harness.mailer.sent_to([mail(1), mail(2)])
        assert found == {mail(1).message_id: frozenset({ANA, BO})}
        harness.mailer.send([mail(1)])  # a retry after a crash that hid the first result
        assert [m for m, _ in harness.received()].count(mail(1).message_id) == 1


def test_a_refused_recipient_comes_back_alone_and_the_batch_goes_on(provider: Harness) -> None:
    with provider.mailer() as harness:
        if not harness.can_refuse:  # the server takes every address (Exchange refuses by a
            # later non-delivery report): each mail comes back with its own result, in order
            results = harness.mailer.send([mail(1), mail(2)])
            assert [r.message_id for r in results] == [mail(1).message_id, mail(2).message_id]
            assert [r.delivered for r in results] == [{ANA, BO}, {ANA, BO}]
            assert [r for _, r in harness.received()] == [(ANA, BO), (ANA, BO)]
            return
        harness.refuse(BO)
        results = harness.mailer.send([mail(1), mail(2)])
        assert [r.message_id for r in results] == [mail(1).message_id, mail(2).message_id]
        for result in results:
            assert result.delivered == {ANA}
            assert set(result.refused) == {BO} and result.refused[BO]
        assert [r for _, r in harness.received()] == [(ANA,), (ANA,)]
