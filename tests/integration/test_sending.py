"""Sending the outbox in batches: a refused message fails alone, a server that is down stops
the sending until the backoff, and nothing is sent twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from scheduler.ports import OutgoingMail, ProviderError, SendResult
from scheduler.steps import book, kits, people_sync, plan, rounds
from scheduler.steps.send import send_mail
from scheduler.store.models import Outbox
from tests.integration.world import World

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


class MailerTwin:
    """Keeps what it sends; refuses one Message-ID for good, or is down for a while."""

    def __init__(self, refuse: str | None = None, down: bool = False) -> None:
        self.sent: list[str] = []
        self.refuse, self.down = refuse, down

    def send(self, mails: Sequence[OutgoingMail]) -> list[SendResult]:
        results = []
        for mail in mails:
            if self.down:
                raise ProviderError("connection refused", permanent=False)
            if mail.message_id == self.refuse:
                refused = dict.fromkeys(mail.recipients, "550 no such user")
                results.append(SendResult(mail.message_id, refused=refused))
                continue
            self.sent.append(mail.message_id)
            results.append(SendResult(mail.message_id, frozenset(mail.recipients)))
        return results

    def sent_to(self, mails: Sequence[OutgoingMail]) -> dict[str, frozenset[str]]:
        return {m.message_id: frozenset(m.recipients) for m in mails if m.message_id in self.sent}


def prepared(tmp_path: Path, store_url: str | None = None) -> World:
    """The demo company's first round, with its 87 emails waiting in the outbox (SQLite
    beside it unless `store_url` names a store)."""
    world = World(tmp_path / "demo", store_url or f"sqlite:///{tmp_path / 'state.db'}")
    for step in (
        people_sync.sync_people,
        rounds.pair_round,
        plan.plan_meetings,
        book.book_meetings,
        kits.send_launch_kits,
    ):
        step(world.rt, NOW)
    return world


def states(world: World) -> dict[str, int]:
    with world.rt.store.session() as s:
        return dict(s.execute(select(Outbox.state, func.count()).group_by(Outbox.state)).all())  # type: ignore[arg-type]


def test_a_refused_message_fails_alone_and_the_rest_go_out_once(tmp_path: Path) -> None:
    world = prepared(tmp_path)
    with world.rt.store.session() as s:
        victim = s.scalars(select(Outbox.message_id).order_by(Outbox.id).offset(3)).first()
    twin = MailerTwin(refuse=victim)
    world.rt.providers.mailer = twin
    send_mail(world.rt, NOW)
    assert states(world) == {"sent": 86, "failed": 1}
    assert len(twin.sent) == len(set(twin.sent)) == 86


def test_a_server_that_is_down_stops_the_sending_until_the_backoff(tmp_path: Path) -> None:
    world = prepared(tmp_path)
    twin = MailerTwin(down=True)
    world.rt.providers.mailer = twin
    report = send_mail(world.rt, NOW)
    assert len(report.problems) == 1, "one failed try, not one per email"
    assert states(world) == {"pending": 87}
    twin.down = False
    send_mail(world.rt, NOW)
    assert states(world) == {"pending": 50, "sent": 37}, "the batch that failed waits its backoff"
    send_mail(world.rt, NOW + timedelta(hours=1))
    assert states(world) == {"sent": 87}
    assert len(twin.sent) == len(set(twin.sent)) == 87
