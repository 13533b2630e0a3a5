"""The owner's weekly digest: how the program goes, counted from pair states and calendars only,
so the owner can act on drifting pairs without ever reading what peers wrote."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from email.policy import SMTP

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from scheduler.core.message_ids import make_message_id
from scheduler.render.kits import and_list, build_email
from scheduler.render.local_time import zone_name
from scheduler.runtime import Report, Runtime
from scheduler.steps.closing import program_over
from scheduler.steps.rounds import round_state
from scheduler.steps.waiting import consent_counts, who_waits
from scheduler.store import mail_queue
from scheduler.store.models import Meeting, Outbox, Pair, PairMember
from scheduler.store.models import Person as PersonRow

PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class Tally:
    """What happened in a span of time: pairs ended, meetings held and skipped."""

    ended_pairs: int
    meetings_held: int
    meetings_missed: int


@dataclass(frozen=True)
class DigestStats:
    """Pairs meeting and paused now; what happened this period and since the program began."""

    active_pairs: int
    paused_pairs: int
    period: Tally
    since_start: Tally


def digest_stats(s: Session, *, now: datetime, since: datetime) -> DigestStats:
    """Pair counts by state now; a meeting counts in the period its start falls in."""
    states = {
        state: n for state, n in s.execute(select(Pair.state, func.count()).group_by(Pair.state))
    }
    return DigestStats(
        active_pairs=states.get("active", 0),
        paused_pairs=states.get("paused", 0),
        period=_tally(s, since, now),
        since_start=_tally(s, None, now),
    )


def meetings_per_week(s: Session, *, now: datetime, weeks: int = 12) -> list[tuple[date, int, int]]:
    """(Monday, held, skipped) for the last `weeks` weeks up to `now`, this one so far included;
    weeks run Monday to Sunday in the time zone of `now`."""
    zone = now.tzinfo
    today = now.date()
    mondays = [today - timedelta(days=today.weekday(), weeks=n) for n in reversed(range(weeks))]
    first = datetime.combine(mondays[0], time(), zone)
    rows = s.execute(
        select(Meeting.starts_at, Meeting.state).where(
            Meeting.state.in_(("held", "skipped")),
            Meeting.starts_at >= first,
            Meeting.starts_at < now,
        )
    )
    counts: Counter[tuple[date, str]] = Counter()
    for starts_at, state in rows:
        assert starts_at is not None  # filtered above
        day = starts_at.astimezone(zone).date()
        counts[day - timedelta(days=day.weekday()), state] += 1
    return [(m, counts[m, "held"], counts[m, "skipped"]) for m in mondays]


def chart_png(weeks: Sequence[tuple[date, int, int]]) -> bytes:
    """A 600x250 bar chart of meetings held and missed per week; the same weeks give the same
    bytes. matplotlib is imported here so that only the digest pays for it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6, 2.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    at = list(range(len(weeks)))
    held = [h for _, h, _ in weeks]
    missed = [m for _, _, m in weeks]
    axes.bar([x - 0.2 for x in at], held, width=0.4, color="#0b5cad", label="Held")
    axes.bar([x + 0.2 for x in at], missed, width=0.4, color="#e08a00", label="Missed")
    axes.set_xticks(at, [f"{monday.day} {monday:%b}" for monday, _, _ in weeks], fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylim(bottom=0, top=max([*held, *missed, 1]) * 1.15)
    axes.set_title("Conversations per week", fontsize=10, loc="left")
    axes.set_xlabel("Week starting", fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=8, frameon=False, ncols=2, loc="lower right", bbox_to_anchor=(1, 1))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100, metadata={"Software": None})
    return out.getvalue()


def send_owner_digest(rt: Runtime, now: datetime) -> Report:
    """On followup.digest_day, once per ISO week and once pairs exist, put the digest for the
    program's owner in the outbox."""
    report = Report("digest")
    today = rt.today(now)
    over = program_over(rt, now)
    if today.weekday() != rt.program.followup.digest_day and not over:
        return report
    year, week, _ = today.isocalendar()
    key = "digest:final" if over else f"digest:{year}-W{week:02d}"
    with rt.store.session() as s:
        sent = s.scalar(select(Outbox.id).where(Outbox.key == key))
        if sent is not None or s.scalar(select(Pair.id).limit(1)) is None:
            return report  # sent already, or no pairs yet to tell of
        mailbox = rt.program.provider.mailbox
        domain = mailbox.rpartition("@")[2]
        cid = f"chart.{year}-w{week:02d}@{domain}"
        png = chart_png(meetings_per_week(s, now=now.astimezone(rt.zone)))
        owner = rt.program.program.owner
        name = rt.program.program.owner_name or _owner_name(s, owner)
        context = _context(rt, s, now, cid, name)
        context["final"] = final_tally(s) if over else None
        rendered = rt.kits.render("owner_digest", context)
        message_id = make_message_id(key, domain)
        message = build_email(
            rendered,
            sender_name=rt.program.program.name,
            sender=mailbox,
            to=[(name or "", owner)],
            reply_to=mailbox,
            message_id=message_id,
            date=now,
            inline=[(cid, "image/png", png)],
        )
        if mail_queue.enqueue_mail(
            s,
            key=key,
            message_id=message_id,
            kind="owner_digest",
            pair_id=None,
            recipients=[owner],
            subject=rendered.subject,
            raw=message.as_bytes(policy=SMTP),
            now=now,
        ):
            report.done.append(
                "owner's last digest" if over else f"owner's digest for {year}-W{week:02d}"
            )
    return report


def _context(
    rt: Runtime, s: Session, now: datetime, cid: str, owner_name: str | None
) -> dict[str, object]:
    """The digest's context. The owner is greeted by program.owner_name, else by their name in
    the directory, else neutrally ("Hello,"): an address such as people-team@ is no name."""
    details = rt.program.program
    stats = digest_stats(s, now=now, since=now - PERIOD)
    risky = _at_risk(s)
    name = owner_name or ""
    return {
        "program": {
            "name": details.name,
            "purpose": details.purpose.strip(),
            "owner": details.owner,
            "owner_name": details.owner_name or details.name + " team",
        },
        "recipient": {
            "name": name,
            "first_name": name.split()[0] if name else "",
            "email": details.owner,
            "title": "",
            "department": "",
            "timezone": zone_name(details.timezone, details.locale),
        },
        "stats": {
            "active_pairs": stats.active_pairs,
            "paused_pairs": stats.paused_pairs,
            **asdict(stats.period),
        },
        "since_start": asdict(stats.since_start),
        "at_risk": list(risky),
        "at_risk_why": risky,
        "waiting": [
            {"name": w.name, "reason": w.reason} for w in who_waits(rt, s, now, round_state(s))
        ],
        "consent": consent_counts(s),
        "final": None,
        "chart_cid": cid,
    }


def _tally(s: Session, start: datetime | None, end: datetime) -> Tally:
    ended = select(func.count()).where(Pair.state == "ended", Pair.ended_at < end)
    meetings = select(Meeting.state, func.count()).where(
        Meeting.state.in_(("held", "skipped")), Meeting.starts_at < end
    )
    if start is not None:
        ended = ended.where(Pair.ended_at >= start)
        meetings = meetings.where(Meeting.starts_at >= start)
    counts = {state: n for state, n in s.execute(meetings.group_by(Meeting.state))}
    return Tally(s.scalar(ended) or 0, counts.get("held", 0), counts.get("skipped", 0))


def _at_risk(s: Session) -> dict[str, str]:
    """Each pair at risk, "Ana Ferreira and Jonas Weber", with why."""
    return dict(at_risk_pairs(s))


def at_risk_pairs(s: Session) -> list[tuple[str, str]]:
    """(names, why) of every pair that is not over and is drifting (on the owner's list) or
    could not be booked (issue 9, item 3), by names; for the digest and `tandem status`."""
    failed = select(Meeting.pair_id, Meeting.calendar_error).where(
        Meeting.state == "failed", Meeting.calendar_error.is_not(None)
    )
    refused = {pair_id: error for pair_id, error in s.execute(failed)}
    pairs = s.scalars(
        select(Pair).where(
            Pair.state != "ended",
            or_(
                Pair.on_owner_list.is_(True),
                Pair.booking_problem.is_not(None),
                Pair.id.in_(refused),
            ),
        )
    ).all()
    rows = s.execute(
        select(PairMember.pair_id, PersonRow.name, PersonRow.email)
        .join(PersonRow)
        .where(PairMember.pair_id.in_([p.id for p in pairs]))
        .order_by(PairMember.pair_id, PairMember.position)
    )
    peers: dict[str, list[str]] = {}
    for pair_id, name, email in rows:
        peers.setdefault(pair_id, []).append(name or email)
    found = []
    for pair in pairs:
        reasons = []
        if pair.on_owner_list:
            reasons.append(f"{pair.skips_in_row} conversations missed in a row")
        if pair.booking_problem is not None:
            reasons.append(f"no time could be booked ({pair.booking_problem})")
        if pair.id in refused:
            reasons.append(f"the calendar refused a booking ({refused[pair.id]})")
        found.append((and_list(peers.get(pair.id, [pair.id])), "; ".join(reasons)))
    return sorted(found)


def final_tally(s: Session) -> dict[str, int]:
    """The whole program in four numbers, for the owner's last digest: pairs made, meetings
    held, the share of due meetings held (in whole percent), and pairs still going at the end."""
    pairs = s.scalar(select(func.count(Pair.id))) or 0
    counts = {
        state: n
        for state, n in s.execute(
            select(Meeting.state, func.count())
            .where(Meeting.state.in_(("held", "skipped")))
            .group_by(Meeting.state)
        )
    }
    held, due = counts.get("held", 0), counts.get("held", 0) + counts.get("skipped", 0)
    kept = s.scalar(select(func.count(Pair.id)).where(Pair.ended_why == "completed")) or 0
    rate = round(100 * held / due) if due else 0
    return {"pairs": pairs, "meetings_held": held, "held_rate": rate, "kept_to_end": kept}


def _owner_name(s: Session, owner: str) -> str | None:
    """The owner's name when the directory knows them."""
    name = s.scalar(select(PersonRow.name).where(func.lower(PersonRow.email) == owner.lower()))
    return (name or "").strip() or None
