"""How long hostile replies take to read: very long lines and a megabyte of quote, which the
reader must cut short rather than scan in quadratic time. Prints one line per case."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from scheduler.replies.read import parse_command
from scheduler.replies.text import visible_reply
from scheduler.replies.times import find_proposal

TODAY = date(2027, 3, 1)
QUOTE = "pause\n\nOn Mon, 1 Mar 2027, Tandem wrote:\n" + "> end of the quote\n" * 60_000
OPENS = "pause " + "foo bar " * 20_000
BECAUSE = "pause because " + "of this and that " * 20_000
TIMES = "\n".join(["Tuesday 16:00 " * 5000] * 5)
CASES: list[tuple[str, Callable[[], object]]] = [
    ("a 160 kB line that opens with pause", lambda: parse_command(OPENS, today=TODAY)),
    ("a 340 kB line: pause because ...", lambda: parse_command(BECAUSE, today=TODAY)),
    ("five 70 kB lines of day and time", lambda: find_proposal(TIMES, TODAY)),
    ("a megabyte of quoted text", lambda: visible_reply(QUOTE)),
    ("a megabyte line under one quote line", lambda: visible_reply("> x\n" + "x" * 1_000_000)),
]


def main() -> None:
    for name, case in CASES:
        started = time.perf_counter()
        case()
        print(f"{name}: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
