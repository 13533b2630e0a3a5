"""Crash points for the crash-safety tests: the process kills itself for real (SIGKILL) when it
reaches a named point for the Nth time, as set in TANDEM_CRASH_AT="point:N". Unset, a no-op."""

from __future__ import annotations

import os
import signal
from collections import Counter

_reached: Counter[str] = Counter()


def crash_point(name: str) -> None:
    setting = os.environ.get("TANDEM_CRASH_AT")
    if not setting:
        return
    point, _, count = setting.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] == int(count or "1"):
        os.kill(os.getpid(), signal.SIGKILL)
