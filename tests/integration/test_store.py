"""The store on real databases: the schema, and the operations that must stay right when two
workers run them at once. Every test that takes `store` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from multiprocessing.synchronize import Barrier as BarrierType
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from scheduler.settings import database_url
from scheduler.store.engine import MIGRATIONS, Store, open_store
from scheduler.store.leases import holder_name, is_dead
from scheduler.store.mail_queue import (
    MAX_ATTEMPTS,
    abandoned_claims,
    claim_due_mail,
    claim_mail,
    due_mail,
    enqueue_mail,
    mark_sent,
    release_mail,
    settle_mail,
    take_over_claim,
)
from scheduler.store.models import (
    Base,
    Inbound,
    Meeting,
    Outbox,
    Pair,
    PairMember,
    Person,
    Round,
)
from scheduler.store.ops import (
    acquire_lease,
    get_cursor,
    partners_history,
    record_fact,
    record_inbound,
    release_lease,
    set_cursor,
    upsert_people,
)

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
T = TypeVar("T")


# --- the schema ---------------------------------------------------------------------------


def test_migrations_create_every_table(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())

    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_the_migrations_build_exactly_what_the_models_describe(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert differences == []


def test_upgrading_twice_is_a_no_op(store_url: str) -> None:
    first = open_store(store_url)
    with first.session() as s:
        set_cursor(s, "inbox", "41")
    first.close()

    second = open_store(store_url)
    with second.session() as s:
        assert get_cursor(s, "inbox") == "41"
    with second.engine.connect() as connection:
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == head
    second.close()


def test_two_processes_opening_a_fresh_database_at_once_both_succeed(store_url: str) -> None:
    # Processes, not threads: Alembic keeps its migration context in module globals.
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(2)
    processes = [spawn.Process(target=open_when_released, args=(store_url, start)) for _ in "ab"]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)

    assert [process.exitcode for process in processes] == [0, 0]
    opened = open_store(store_url)
    with opened.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0
    opened.close()


def test_a_pair_member_who_is_not_a_person_is_refused(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as s:
        add_pair(s, "p1", ["ana@example.com", "ben@example.com"])
        s.add(PairMember(pair_id="p1", email="nobody@example.com", position=3))


def test_a_second_meeting_with_the_same_pair_number_and_attempt_is_refused(store: Store) -> None:
    with store.session() as s:
        add_pair(s, "p1", ["ana@example.com", "ben@example.com"])
        s.add(meeting("p1", number=1, attempt=0, uid="u1"))

    with pytest.raises(IntegrityError), store.session() as s:
        s.add(meeting("p1", number=1, attempt=0, uid="u2"))


def test_a_rebooking_is_a_new_attempt_of_the_same_meeting(store: Store) -> None:
    with store.session() as s:
        add_pair(s, "p1", ["ana@example.com", "ben@example.com"])
        s.add(meeting("p1", number=1, attempt=0, uid="u1"))
        s.add(meeting("p1", number=1, attempt=1, uid="u1b"))

    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Meeting)) == 2


def test_a_json_column_set_to_none_holds_sql_null(store: Store) -> None:
    # Regression: JSON's default stores None as the JSON value null, which IS NOT NULL matched.
    with store.session() as s:
        add_pair(s, "p1", ["ana@example.com", "ben@example.com"])
        pair = s.get_one(Pair, "p1")
        pair.pending_notice = {"kind": "resumed", "key": "resumed:p1:1"}
        s.flush()
        pair.pending_notice = None

    with store.session() as s:
        assert s.scalars(select(Pair.id).where(Pair.pending_notice.is_(None))).all() == ["p1"]


# --- time ---------------------------------------------------------------------------------


def test_aware_datetimes_come_back_as_the_same_instant_in_utc(store: Store) -> None:
    kolkata = datetime(2025, 3, 3, 14, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Kolkata"))
    with store.session() as s:
        s.add(Round(opened_at=kolkata, seed=7))

    with store.session() as s:
        if s.get_bind().dialect.name == "postgresql":
            # the server answers in the session's zone: make sure it is not UTC by chance
            s.execute(text("SET LOCAL TIME ZONE 'America/New_York'"))
        opened_at = s.scalars(select(Round.opened_at)).one()

    assert opened_at == kolkata
    assert opened_at.tzinfo is UTC
    assert opened_at == datetime(2025, 3, 3, 9, 0, 15, 123456, tzinfo=UTC)


def test_comparisons_in_sql_use_the_instant_not_the_wall_clock(store: Store) -> None:
    with store.session() as s:
        s.add(Round(opened_at=datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), seed=1))

    with store.session() as s:
        # 10:00 in Paris is 09:00 UTC: a wall-clock comparison would put it an hour later
        count = select(func.count()).select_from(Round)
        assert s.scalar(count.where(Round.opened_at == NOW)) == 1
        assert s.scalar(count.where(Round.opened_at > NOW - timedelta(minutes=30))) == 1
        assert s.scalar(count.where(Round.opened_at > NOW)) == 0


def test_a_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.session() as s:
        s.add(Round(opened_at=datetime(2025, 3, 3, 9, 0), seed=7))
        s.flush()


# --- the outbox ---------------------------------------------------------------------------


def test_enqueuing_a_mail_twice_with_one_key_stores_one_row(store: Store) -> None:
    with store.session() as s:
        assert enqueue(s, "kit:p1") is True
    with store.session() as s:
        assert enqueue(s, "kit:p1") is False

    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1


def test_two_workers_enqueuing_one_key_at_once_store_one_row(store: Store) -> None:
    def enqueue_once() -> bool:
        with store.session() as s:
            return enqueue(s, "kit:p1")

    assert sorted(race(2, enqueue_once)) == [False, True]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1


def test_a_message_id_reused_under_another_key_is_refused(store: Store) -> None:
    with store.session() as s:
        enqueue(s, "kit:p1", message_id="<m1@tandem>")

    with pytest.raises(IntegrityError), store.session() as s:
        enqueue(s, "kit:p2", message_id="<m1@tandem>")


def test_two_workers_racing_to_claim_one_mail_exactly_one_wins(store: Store) -> None:
    with store.session() as s:
        for number in range(10):
            enqueue(s, f"kit:p{number}")
        ids = [mail.id for mail in due_mail(s, now=NOW)]

    for outbox_id in ids:

        def claim(outbox_id: int = outbox_id) -> bool:
            with store.session() as s:
                return claim_mail(s, outbox_id, now=NOW)

        assert sorted(race(2, claim)) == [False, True]

    with store.session() as s:
        attempts = s.scalars(select(Outbox.attempts)).all()
    assert attempts == [1] * 10


def test_a_claimed_mail_is_no_longer_due(store: Store) -> None:
    with store.session() as s:
        enqueue(s, "kit:p1")
        (mail,) = due_mail(s, now=NOW)
        assert claim_mail(s, mail.id, now=NOW)

        assert mail.state == "sending"
        assert due_mail(s, now=NOW) == []
        assert claim_mail(s, mail.id, now=NOW) is False


def test_a_sent_mail_is_marked_and_never_claimed_again(store: Store) -> None:
    with store.session() as s:
        enqueue(s, "kit:p1")
        (mail,) = due_mail(s, now=NOW)
        claim_mail(s, mail.id, now=NOW)
        mark_sent(s, mail.id, now=NOW)

    with store.session() as s:
        sent = s.get_one(Outbox, mail.id)
        assert (sent.state, sent.sent_at) == ("sent", NOW)
        assert claim_mail(s, mail.id, now=NOW + timedelta(days=1)) is False


def test_a_failed_send_waits_out_its_backoff_before_it_is_due_again(store: Store) -> None:
    with store.session() as s:
        enqueue(s, "kit:p1")
        (mail,) = due_mail(s, now=NOW)
        claim_mail(s, mail.id, now=NOW)
        release_mail(
            s,
            mail.id,
            error="421 try later",
            permanent=False,
            now=NOW,
            backoff=lambda attempts: timedelta(minutes=5 * attempts),
        )

    with store.session() as s:
        released = s.get_one(Outbox, mail.id)
        assert (released.state, released.last_error) == ("pending", "421 try later")
        assert released.not_before == NOW + timedelta(minutes=5)
        assert claim_mail(s, mail.id, now=NOW + timedelta(minutes=4)) is False
        assert claim_mail(s, mail.id, now=NOW + timedelta(minutes=5)) is True


def test_a_mail_fails_for_good_after_its_last_try(store: Store) -> None:
    with store.session() as s:
        enqueue(s, "kit:p1")
        (mail,) = due_mail(s, now=NOW)
        at = NOW
        for _ in range(MAX_ATTEMPTS):
            assert claim_mail(s, mail.id, now=at)
            release_mail(s, mail.id, error="timeout", permanent=False, now=at)
            at += timedelta(days=1)

    with store.session() as s:
        failed = s.get_one(Outbox, mail.id)
        assert (failed.state, failed.attempts) == ("failed", MAX_ATTEMPTS)


def test_a_permanent_error_fails_the_mail_at_once(store: Store) -> None:
    with store.session() as s:
        enqueue(s, "kit:p1")
        (mail,) = due_mail(s, now=NOW)
        claim_mail(s, mail.id, now=NOW)
        release_mail(s, mail.id, error="550 no such user", permanent=True, now=NOW)

    with store.session() as s:
        assert s.get_one(Outbox, mail.id).state == "failed"
        assert due_mail(s, now=NOW + timedelta(days=30)) == []


def dead_holder() -> str:
    """The holder name of a process of this machine that has exited."""
    child = multiprocessing.get_context("fork").Process(target=lambda: None)
    child.start()
    child.join()
    alive = holder_name()
    place, _, _ = alive.rpartition(":")[0].rpartition(":")
    return f"{place}:{child.pid}:deadbeef"


def test_a_live_senders_claim_is_never_abandoned_however_old(store: Store) -> None:
    # issue 13, defect 1: another run's mail in flight is not a crash's leftover
    with store.session() as s:
        enqueue(s, "kit:live")
        (mail,) = due_mail(s, now=NOW)
        claim_mail(s, mail.id, now=NOW - timedelta(days=1), holder=holder_name(), expires=NOW)

    with store.session() as s:
        assert abandoned_claims(s, wall_now=NOW - timedelta(seconds=1), is_dead=is_dead) == []
        expired = abandoned_claims(s, wall_now=NOW, is_dead=is_dead)
        assert [m.key for m in expired] == ["kit:live"], "an expired claim is abandoned"


def test_a_dead_senders_claim_is_abandoned_at_once(store: Store) -> None:
    with store.session() as s:
        enqueue(s, "kit:dead")
        enqueue(s, "kit:old-format")
        dead, old = due_mail(s, now=NOW)
        claim_mail(s, dead.id, now=NOW, holder=dead_holder(), expires=NOW + timedelta(hours=1))
        claim_mail(s, old.id, now=NOW)  # claimed before claims had holders

    with store.session() as s:
        abandoned = abandoned_claims(s, wall_now=NOW, is_dead=is_dead)
        assert [m.key for m in abandoned] == ["kit:dead", "kit:old-format"]


def test_two_senders_taking_over_one_abandoned_claim_give_it_to_one(store: Store) -> None:
    gone = dead_holder()
    with store.session() as s:
        enqueue(s, "kit:p1")
        (mail,) = due_mail(s, now=NOW)
        claim_mail(s, mail.id, now=NOW, holder=gone, expires=NOW)

    def take(holder: str) -> bool:
        with store.session() as s:
            return take_over_claim(
                s, mail.id, old_holder=gone, holder=holder, expires=NOW + timedelta(minutes=5)
            )

    assert sorted(race(2, lambda: take(holder_name()))) == [False, True]


def test_two_senders_claiming_batches_at_once_share_the_mail_without_overlap(
    store: Store,
) -> None:
    with store.session() as s:
        for number in range(30):
            enqueue(s, f"kit:p{number}")

    def claim_batches() -> list[int]:
        holder, taken = holder_name(), []
        while True:
            with store.session() as s:
                rows = claim_due_mail(
                    s, now=NOW, holder=holder, expires=NOW + timedelta(minutes=5), limit=4
                )
                if not rows:
                    return taken
                taken += [row.id for row in rows]

    first, second = race(2, claim_batches)
    assert not set(first) & set(second)
    assert len(first) + len(second) == 30


def test_a_recipient_refused_for_now_keeps_the_mail_pending_for_that_recipient(
    store: Store,
) -> None:
    with store.session() as s:
        enqueue(s, "kit:p1")
        (mail,) = due_mail(s, now=NOW)
        claim_mail(s, mail.id, now=NOW)
        settle_mail(
            s, mail.id, delivered={"ana@example.com"}, refused={}, error="450 busy", now=NOW
        )

    with store.session() as s:
        kept = s.get_one(Outbox, mail.id)
        assert (kept.state, kept.delivered, kept.last_error) == (
            "pending",
            ["ana@example.com"],
            "450 busy",
        )
        assert claim_mail(s, mail.id, now=NOW + timedelta(minutes=1))
        settle_mail(s, mail.id, delivered=set(), refused={"ben@example.com": "550 no"}, error=None,
                    now=NOW)  # fmt: skip

    with store.session() as s:
        done = s.get_one(Outbox, mail.id)
        assert (done.state, done.refused) == ("sent", {"ben@example.com": "550 no"})
        assert done.last_error == "ben@example.com: 550 no"


# --- inbound mail, calendar facts, cursors --------------------------------------------------


def test_recording_an_inbound_message_twice_returns_none_the_second_time(store: Store) -> None:
    with store.session() as s:
        first = receive(s, "<r1@example.com>")
        assert first is not None
        assert (first.sender, first.outcome) == ("ana@example.com", None)
    with store.session() as s:
        assert receive(s, "<r1@example.com>") is None


def test_two_workers_recording_one_message_at_once_record_it_once(store: Store) -> None:
    def record_once() -> bool:
        with store.session() as s:
            return receive(s, "<r1@example.com>") is not None

    assert sorted(race(2, record_once)) == [False, True]


def test_recording_a_calendar_fact_twice_returns_none_the_second_time(store: Store) -> None:
    moved_to = (NOW + timedelta(days=2), NOW + timedelta(days=2, minutes=30))
    with store.session() as s:
        fact = record_fact(
            s,
            dedup_key="u1:moved:7",
            meeting_uid="u1",
            kind="moved",
            by="ana@example.com",
            seen_at=NOW,
            moved_start=moved_to[0],
            moved_end=moved_to[1],
        )
        assert fact is not None
        assert ((fact.moved_start, fact.moved_end), fact.applied) == (moved_to, False)
    with store.session() as s:
        again = record_fact(
            s, dedup_key="u1:moved:7", meeting_uid="u1", kind="moved", by=None, seen_at=NOW
        )
        assert again is None


def test_a_cursor_is_absent_until_set_and_then_replaced(store: Store) -> None:
    with store.session() as s:
        assert get_cursor(s, "inbox") is None
        set_cursor(s, "inbox", "100")
    with store.session() as s:
        set_cursor(s, "inbox", "200")
    with store.session() as s:
        assert get_cursor(s, "inbox") == "200"


# --- leases -------------------------------------------------------------------------------


def test_a_lease_refuses_a_second_holder_until_it_expires_then_passes_to_them(
    store: Store,
) -> None:
    ttl = timedelta(seconds=60)
    with store.session() as s:
        assert acquire_lease(s, "clock", "a", now=NOW, ttl=ttl)
    with store.session() as s:
        assert not acquire_lease(s, "clock", "b", now=NOW + timedelta(seconds=59), ttl=ttl)
    with store.session() as s:
        assert acquire_lease(s, "clock", "b", now=NOW + timedelta(seconds=60), ttl=ttl)
    with store.session() as s:
        assert not acquire_lease(s, "clock", "a", now=NOW + timedelta(seconds=61), ttl=ttl)


def test_the_holder_of_a_lease_renews_it(store: Store) -> None:
    ttl = timedelta(seconds=60)
    with store.session() as s:
        assert acquire_lease(s, "clock", "a", now=NOW, ttl=ttl)
    with store.session() as s:
        assert acquire_lease(s, "clock", "a", now=NOW + timedelta(seconds=50), ttl=ttl)
    with store.session() as s:
        assert not acquire_lease(s, "clock", "b", now=NOW + timedelta(seconds=100), ttl=ttl)


def test_a_released_lease_is_free_at_once_but_only_its_holder_can_release_it(
    store: Store,
) -> None:
    ttl = timedelta(seconds=60)
    with store.session() as s:
        acquire_lease(s, "clock", "a", now=NOW, ttl=ttl)
        release_lease(s, "clock", "b")
        assert not acquire_lease(s, "clock", "b", now=NOW, ttl=ttl)
        release_lease(s, "clock", "a")
        assert acquire_lease(s, "clock", "b", now=NOW, ttl=ttl)


def test_two_clocks_racing_for_an_expired_lease_give_it_to_one(store: Store) -> None:
    ttl = timedelta(seconds=60)
    with store.session() as s:
        acquire_lease(s, "clock", "old", now=NOW - timedelta(hours=1), ttl=ttl)
    holders = iter(["a", "b"])
    lock = threading.Lock()

    def take() -> bool:
        with lock:
            holder = next(holders)
        with store.session() as s:
            return acquire_lease(s, "clock", holder, now=NOW, ttl=ttl)

    assert sorted(race(2, take)) == [False, True]


# --- history ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_sync_does_not_wait_for_a_run_that_is_pairing_the_same_people(
    postgres_store: Store,
) -> None:
    """Issue 13, defect 3 again (a deadlock on CI): a run that pairs people holds key-share
    locks on their rows until it commits; a directory sync at the same moment updates those
    rows. Updating a unique column (the tag) would need the exclusive lock and wait, and two
    such runs deadlock; the sync leaves the tag alone and goes through."""
    store = postgres_store
    row = {
        "email": "ana@example.com",
        "tag": "t1",
        "name": "Ana",
        "title": "",
        "department": "",
        "level": 3,
        "manager_email": None,
        "timezone": "UTC",
        "aliases": [],
        "attributes": {},
        "participating": True,
        "last_seen": NOW,
        "removed_at": None,
    }
    with store.session() as s:
        upsert_people(s, [row], now=NOW)
    with Session(store.engine) as pairing:
        add_pair(pairing, "p1", ["ana@example.com", "ben@example.com"])
        with store.session() as s:
            s.execute(text("SET LOCAL lock_timeout = '3s'"))
            later = {**row, "name": "Ana B", "last_seen": NOW + timedelta(hours=1)}
            upsert_people(s, [later], now=NOW)
        pairing.rollback()
    with store.session() as s:
        person = s.get_one(Person, "ana@example.com")
        assert (person.name, person.tag) == ("Ana B", "t1")


def test_partners_history_holds_every_two_people_ever_paired(store: Store) -> None:
    with store.session() as s:
        add_pair(s, "p1", ["ana@example.com", "ben@example.com"], state="ended")
        add_pair(s, "p2", ["cai@example.com", "dee@example.com", "eve@example.com"])

    with store.session() as s:
        history = partners_history(s)

    assert history == {
        frozenset({"ana@example.com", "ben@example.com"}),
        frozenset({"cai@example.com", "dee@example.com"}),
        frozenset({"cai@example.com", "eve@example.com"}),
        frozenset({"dee@example.com", "eve@example.com"}),
    }


def test_partners_history_of_an_empty_store_is_empty(store: Store) -> None:
    with store.session() as s:
        assert partners_history(s) == set()


# --- the database URL ---------------------------------------------------------------------


def test_the_database_url_defaults_to_a_sqlite_file_beside_the_program(tmp_path: Path) -> None:
    # issue 9, item 1: never the folder a command happens to run in
    assert database_url({}, beside=tmp_path) == f"sqlite:///{tmp_path.resolve()}/tandem.db"


def test_the_database_url_comes_from_the_environment_with_the_psycopg_driver() -> None:
    assert database_url({"TANDEM_DATABASE_URL": "postgres://u:p@db/tandem"}) == (
        "postgresql+psycopg://u:p@db/tandem"
    )
    assert database_url({"TANDEM_DATABASE_URL": "postgresql://db/tandem"}) == (
        "postgresql+psycopg://db/tandem"
    )
    assert database_url({"TANDEM_DATABASE_URL": "sqlite:////var/tandem.db"}) == (
        "sqlite:////var/tandem.db"
    )


def test_the_database_url_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "url"
    secret.write_text("postgresql://u:s3cret@db/tandem\n")

    assert database_url({"TANDEM_DATABASE_URL_FILE": str(secret)}) == (
        "postgresql+psycopg://u:s3cret@db/tandem"
    )


def test_the_database_url_and_its_file_together_are_refused(tmp_path: Path) -> None:
    env = {"TANDEM_DATABASE_URL": "sqlite://", "TANDEM_DATABASE_URL_FILE": str(tmp_path / "u")}

    with pytest.raises(ValueError, match="both set"):
        database_url(env)


def test_a_missing_or_empty_url_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")

    with pytest.raises(ValueError, match="cannot read"):
        database_url({"TANDEM_DATABASE_URL_FILE": str(tmp_path / "missing")})
    with pytest.raises(ValueError, match="is empty"):
        database_url({"TANDEM_DATABASE_URL_FILE": str(tmp_path / "empty")})


# --- helpers ------------------------------------------------------------------------------


def race(workers: int, work: Callable[[], T]) -> list[T]:
    """Run `work` in `workers` threads released at the same instant; their results."""
    start = threading.Barrier(workers)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(work())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    assert len(results) == workers, "a racer is still waiting after 60 s"
    return results


def open_when_released(url: str, start: BarrierType) -> None:
    """A process that opens (and so migrates) the store at the same instant as the others."""
    start.wait(timeout=60)
    open_store(url).close()


def add_pair(s: Session, pair_id: str, emails: list[str], state: str = "active") -> None:
    for email in emails:
        if s.get(Person, email) is None:
            s.add(Person(email=email, name=email, first_seen=NOW, last_seen=NOW))
    round_ = Round(opened_at=NOW, seed=1)
    s.add(round_)
    s.flush()
    s.add(
        Pair(
            id=pair_id, round_id=round_.id, start_date=date(2025, 3, 3), state=state, created_at=NOW
        )
    )
    s.flush()
    s.add_all(
        PairMember(pair_id=pair_id, email=email, position=position)
        for position, email in enumerate(emails)
    )
    s.flush()


def meeting(pair_id: str, *, number: int, attempt: int, uid: str) -> Meeting:
    return Meeting(
        pair_id=pair_id,
        number=number,
        attempt=attempt,
        phase=0,
        target_date=date(2025, 3, 17),
        uid=uid,
        booking_key=f"{pair_id}:{number}:{attempt}",
        updated_at=NOW,
    )


def enqueue(s: Session, key: str, *, message_id: str | None = None) -> bool:
    return enqueue_mail(
        s,
        key=key,
        message_id=message_id or f"<{key}@tandem>",
        kind="kit",
        pair_id=None,
        recipients=["ana@example.com", "ben@example.com"],
        subject="Meet your peer",
        raw=b"Subject: Meet your peer\r\n\r\nHello\r\n",
        now=NOW,
    )


def receive(s: Session, message_id: str) -> Inbound | None:
    return record_inbound(
        s,
        dedup_key=message_id,
        provider_id="imap:1",
        received_at=NOW,
        sender="ana@example.com",
        subject="PAUSE",
    )
