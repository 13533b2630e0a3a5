"""The mailbox's per-minute limit kept by every sender together (issue 13: each worker kept
it alone, so that several workers exceeded it together). Wall-clock times are the test's own:
each wait advances them, so the minutes pass at once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scheduler.bootstrap import build_runtime
from scheduler.ports import OutgoingMail, SendResult
from scheduler.steps import send
from scheduler.store import mail_pace
from scheduler.store.engine import Store
from scheduler.store.models import Outbox
from tests.integration.test_sending import prepared
from tests.integration.world import World

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
WALL = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


class Clock:
    """The wall clock of the senders: it moves only when a sender waits."""

    def __init__(self) -> None:
        self.now = WALL
        self.waits: list[float] = []

    def wall(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return (self.now - WALL).total_seconds()

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += timedelta(seconds=seconds)


class PacedMailer:
    """Takes every mail and notes when, by the senders' clock; limited to `per_minute`."""

    def __init__(self, clock: Clock, per_minute: int) -> None:
        self.clock, self.per_minute = clock, per_minute
        self.sent: list[tuple[datetime, str]] = []

    def send(self, mails: Sequence[OutgoingMail]) -> list[SendResult]:
        self.sent += [(self.clock.now, mail.message_id) for mail in mails]
        return [SendResult(mail.message_id, frozenset(mail.recipients)) for mail in mails]

    def sent_to(self, mails: Sequence[OutgoingMail]) -> dict[str, frozenset[str]]:
        done = {message_id for _, message_id in self.sent}
        return {m.message_id: frozenset(m.recipients) for m in mails if m.message_id in done}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(send, "wall_clock", clock.wall)
    monkeypatch.setattr(send, "sleep", clock.sleep)
    monkeypatch.setattr(send, "monotonic", clock.seconds)
    return clock


def most_in_any_minute(times: list[datetime]) -> int:
    return max(
        sum(1 for t in times if start <= t < start + timedelta(minutes=1)) for start in times
    )


def pending(world: World) -> int:
    with world.rt.store.session() as s:
        return s.scalar(select(func.count()).where(Outbox.state == "pending")) or 0


def test_one_sender_waits_out_each_minute_and_sends_everything_once(
    tmp_path: Path, store_url: str, clock: Clock
) -> None:
    world = prepared(tmp_path, store_url)
    mailer = PacedMailer(clock, per_minute=30)
    world.rt.providers.mailer = mailer  # type: ignore[assignment]
    send.send_mail(world.rt, NOW)
    times = [when for when, _ in mailer.sent]
    assert len({message_id for _, message_id in mailer.sent}) == len(mailer.sent) == 87
    assert most_in_any_minute(times) == 30
    assert clock.seconds() == pytest.approx(120)  # 30 now, 30 a minute later, 27 after two


def test_two_senders_together_keep_one_limit(tmp_path: Path, store_url: str, clock: Clock) -> None:
    # Given two senders of one program (two workers: two runtimes on one store)
    world = prepared(tmp_path, store_url)
    mailer = PacedMailer(clock, per_minute=30)
    other = build_runtime(world.folder / "program.yaml", world.env)
    for rt in (world.rt, other):
        rt.providers.mailer = mailer  # type: ignore[assignment]
    # When each sends what it may, giving up at once when the limit is reached
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(send, "STEP_TIME", 0.0)
        first = send.send_mail(world.rt, NOW)
        second = send.send_mail(other, NOW)
        assert (len(mailer.sent), pending(world)) == (30, 57)
        assert not second.done and "a minute" in second.notes[-1]
        assert first.done
        # and a minute later the second sender has room again
        clock.sleep(60)
        send.send_mail(other, NOW)
        send.send_mail(world.rt, NOW)
    assert (len(mailer.sent), pending(world)) == (60, 27)
    other.store.close()


def test_senders_reserving_at_once_share_the_minute_exactly(store: Store) -> None:
    # Six senders reserve at the same instant, 3 each, against a limit of 10
    start = threading.Barrier(6)
    granted: list[int] = []

    def reserve() -> None:
        start.wait(timeout=30)
        with store.session() as s:
            mail_pace.lock(s)
            room = mail_pace.room(s, per_minute=10, wall_now=WALL)
            mail_pace.reserve(s, min(room, 3), wall_now=WALL)
            granted.append(min(room, 3))

    threads = [threading.Thread(target=reserve) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(granted) == 10 and sorted(granted) == [0, 0, 1, 3, 3, 3]


def test_a_reservation_leaves_the_window_after_a_minute(store: Store) -> None:
    with store.session() as s:
        mail_pace.reserve(s, 5, wall_now=WALL)
    with store.session() as s:
        later = WALL + timedelta(seconds=20)
        assert mail_pace.room(s, per_minute=5, wall_now=later) == 0
        assert mail_pace.wait_for_room(s, wall_now=later) == timedelta(seconds=40)
        after = WALL + timedelta(seconds=60, microseconds=1)
        assert mail_pace.room(s, per_minute=5, wall_now=after) == 5
        assert mail_pace.wait_for_room(s, wall_now=after) == timedelta(0)
