"""The Inbox contract: a cursor only moves forward; an expired one is said so."""

from __future__ import annotations

from scheduler.ports import CursorExpired, InboundMail, Inbox
from tests.contracts.harnesses.base import Harness


def message(number: int) -> bytes:
    return (
        f"From: ana@contract.example\r\nTo: mentoring@contract.example\r\n"
        f"Subject: pause\r\nMessage-ID: <in{number}@contract.example>\r\n\r\npause\r\n"
    ).encode()


def read_all(inbox: Inbox, cursor: str | None) -> tuple[list[InboundMail], str | None]:
    found: list[InboundMail] = []
    while True:
        batch = inbox.fetch(cursor)
        cursor = batch.cursor if batch.cursor is not None else cursor
        if not batch.messages:
            return found, cursor
        found += batch.messages


def test_a_cursor_only_moves_forward(provider: Harness) -> None:
    with provider.inbox() as harness:
        for number in range(3):
            harness.deliver(message(number))
        first, cursor = read_all(harness.inbox, None)
        assert sorted(m.raw for m in first) == sorted(message(n) for n in range(3))
        again, same = read_all(harness.inbox, cursor)
        assert again == []
        harness.deliver(message(3))
        new, _ = read_all(harness.inbox, same)
        assert [m.raw for m in new] == [message(3)]


def test_an_expired_cursor_is_said_so_and_a_full_read_has_every_message(
    provider: Harness,
) -> None:
    with provider.inbox() as harness:
        harness.deliver(message(1))
        _, cursor = read_all(harness.inbox, None)
        harness.deliver(message(2))
        if harness.can_expire:
            harness.expire()
            try:
                harness.inbox.fetch(cursor)
            except CursorExpired:
                pass
            else:
                raise AssertionError("an expired cursor must raise CursorExpired")
            everything, _ = read_all(harness.inbox, None)
            assert sorted(m.raw for m in everything) == [message(1), message(2)]
        else:
            rest, _ = read_all(harness.inbox, cursor)
            assert [m.raw for m in rest] == [message(2)]
