"""Asking before pairing (issue 10, item 3): under `participants.consent: opt_out` or `opt_in`,
each selected person gets one invitation `participants.notice` before the program's first
pairs (or at once, for someone who comes later), and their answer ("join", "no thanks",
"leave") is kept on their row, across rounds and restarts. The replies are read by
scheduler.steps.inbound."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from scheduler.core.model import add_span
from scheduler.program.rounds import program_end
from scheduler.render.local_time import day_words
from scheduler.render.messages import person_mail
from scheduler.replies.address import person_tag
from scheduler.runtime import Report, Runtime
from scheduler.steps.outbox import queue
from scheduler.steps.queries import person_of
from scheduler.steps.waiting import in_pairs
from scheduler.store.models import Person as PersonRow


def invite_people(rt: Runtime, now: datetime) -> Report:
    """One invitation for each selected person not asked yet, once the notice before the
    program's start has begun and until it ends. Someone already in a pair (a program that
    paired before it asked) is not asked."""
    report = Report("invitations")
    participants, details = rt.program.participants, rt.program.program
    today = rt.today(now)
    if participants.consent == "none":
        return report
    first_day = add_span(details.start, participants.notice, -1)
    if today < first_day or today > program_end(rt.program):
        return report
    with rt.store.session() as s:
        paired = in_pairs(s)
        rows = s.scalars(
            select(PersonRow)
            .where(
                PersonRow.removed_at.is_(None),
                PersonRow.participating.is_(True),
                PersonRow.consent.is_(None),
            )
            .order_by(PersonRow.email)
            .with_for_update()
        ).all()
        for row in rows:
            if row.email in paired:
                continue
            person = person_of(row)
            pairs_on = max(details.start, add_span(today, participants.notice))
            extra = {
                "consent": participants.consent,
                "pairs_on": day_words(pairs_on, details.locale),
            }
            mail = person_mail(
                rt.kits,
                rt.program,
                person,
                kind="invitation",
                key=f"invitation:{person_tag(row.email)}",
                extra=extra,
                secret=rt.secret,
                now=now,
            )
            queue(s, mail, pair_id=None, now=now)
            row.consent, row.consent_at, row.invited_at = "invited", now, now
            report.done.append(f"Invited {person.display_name}")
    return report
