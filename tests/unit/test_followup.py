"""The follow-up rules: held by default, one nudge for new skips, the owner after more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scheduler.core.followup import MeetingRecord, PairRecord, follow_up

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
ACTIVE = PairRecord("active", 0, None, False)


def meeting(number: int, state: str, days_ago: int = 3, attempt: int = 0) -> MeetingRecord:
    return MeetingRecord(number, attempt, state, NOW - timedelta(days=days_ago))


def decide(pair: PairRecord, meetings: list[MeetingRecord]):  # type: ignore[no-untyped-def]
    return follow_up(pair, meetings, now=NOW, nudge_after=1, tell_owner_after=2)


def test_a_booked_meeting_whose_time_passed_is_held_without_anyone_saying_so() -> None:
    result = decide(ACTIVE, [meeting(1, "booked"), meeting(2, "booked", days_ago=-10)])
    assert result.held == ((1, 0),)
    assert result.skips_in_row == 0
    assert not result.nudge


def test_the_first_skip_earns_a_nudge() -> None:
    result = decide(ACTIVE, [meeting(1, "held", 20), meeting(2, "skipped")])
    assert (result.skips_in_row, result.nudge, result.tell_owner) == (1, True, False)


def test_the_second_skip_in_a_row_tells_the_owner_instead_of_nudging_again() -> None:
    pair = PairRecord("active", 1, NOW - timedelta(days=14), False)
    result = decide(pair, [meeting(1, "skipped", 20), meeting(1, "skipped", 3, attempt=1)])
    assert (result.skips_in_row, result.nudge, result.tell_owner) == (2, False, True)


def test_no_nudge_within_a_week_of_the_last() -> None:
    pair = PairRecord("active", 0, NOW - timedelta(days=6), False)
    assert not follow_up(
        pair, [meeting(1, "skipped")], now=NOW, nudge_after=1, tell_owner_after=3
    ).nudge


def test_a_paused_pair_is_never_nudged_nor_reported() -> None:
    result = decide(
        PairRecord("paused", 0, None, False), [meeting(1, "skipped"), meeting(2, "skipped")]
    )
    assert not result.nudge and not result.tell_owner


def test_the_same_skip_is_not_nudged_twice() -> None:
    pair = PairRecord("active", 1, NOW - timedelta(days=30), False)
    assert not decide(pair, [meeting(1, "skipped")]).nudge


def test_meeting_again_takes_a_pair_off_the_owners_list() -> None:
    pair = PairRecord("active", 2, None, True)
    result = decide(
        pair, [meeting(1, "skipped", 30), meeting(2, "skipped", 20), meeting(3, "booked", 1)]
    )
    assert result.held == ((3, 0),) and result.skips_in_row == 0 and result.off_owner_list


@given(
    st.lists(st.sampled_from(["held", "skipped", "cancelled", "booked"]), max_size=12),
    st.integers(0, 5),
)
def test_skips_are_counted_only_at_the_end_of_the_concluded_meetings(
    states: list[str], before: int
) -> None:
    meetings = [meeting(i + 1, s, days_ago=30 - i) for i, s in enumerate(states)]
    result = follow_up(
        PairRecord("active", before, None, False),
        meetings,
        now=NOW,
        nudge_after=1,
        tell_owner_after=3,
    )
    concluded = ["held" if s == "booked" else s for s in states if s != "cancelled"]
    expected = len(concluded) - len(
        "".join("x" if s == "held" else "s" for s in concluded).rstrip("s")
    )
    assert result.skips_in_row == expected
    assert not (result.nudge and result.tell_owner)


def test_a_meeting_moved_within_its_window_is_followed_and_held() -> None:
    result = decide(
        ACTIVE, [MeetingRecord(1, 0, "moved", NOW - timedelta(days=1), displaced=False)]
    )
    assert result.held == ((1, 0),) and result.skipped == ()


def test_a_meeting_moved_out_of_its_window_and_not_back_counts_as_skipped() -> None:
    result = decide(ACTIVE, [MeetingRecord(1, 0, "moved", NOW - timedelta(days=1), displaced=True)])
    assert result.skipped == ((1, 0),) and result.held == ()
    assert result.skips_in_row == 1 and result.nudge
