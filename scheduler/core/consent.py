"""Whether a person may be paired now, by the program's consent rule and what they answered
(issue 10, item 3). Pure: the moment is a parameter.

    none     everyone selected is paired, unless they left or said no thanks
    opt_out  each is invited first; paired from the day the notice ends, unless they say
             "no thanks" (or earlier, once they say "join")
    opt_in   paired only once they reply "join"
"Leave" takes anyone out, whatever the rule; "join" brings them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from scheduler.core.model import Span, add_span

Rule = Literal["none", "opt_out", "opt_in"]
Answer = Literal["invited", "joined", "declined", "left"]
RULES: tuple[Rule, ...] = ("none", "opt_out", "opt_in")


@dataclass(frozen=True)
class Standing:
    """Where a person stands: whether they may be paired on `today`, and if not, why and
    (where known) from which day."""

    may_pair: bool
    why: str
    from_day: date | None = None


def standing(
    rule: Rule, answer: Answer | None, invited_on: date | None, notice: Span, today: date
) -> Standing:
    """Whether a selected person may be paired on `today`."""
    if answer == "left":
        return Standing(False, "left the program")
    if answer == "declined":
        return Standing(False, "said no thanks to the invitation")
    if answer == "joined" or rule == "none":
        return Standing(True, "takes part")
    if answer is None or invited_on is None:
        return Standing(False, "not invited yet")
    if rule == "opt_in":
        return Standing(False, "invited; paired once they reply join")
    ends = add_span(invited_on, notice)
    if today < ends:
        return Standing(False, f"invited; paired from {ends} unless they say no thanks", ends)
    return Standing(True, "invited and did not say no")


def asks_first(rule: Rule) -> bool:
    """Whether people are invited before they are paired."""
    return rule != "none"
