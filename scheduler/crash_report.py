"""What an unexpected failure prints: where it happened, never the data it was handling.

A database error quotes the rows of its statement and the server's DETAIL ("Key (email)=(...)
already exists"); a provider error may quote an address. Tracebacks go to logs and terminals
that are kept and shared, so every message in one is cut to what names the fault, and every
address, quoted value and parameter list is replaced (issue 13, defect 3).
"""

from __future__ import annotations

import logging
import re
import traceback

_ADDRESS = re.compile(r"[^\s<>()\[\]{},;:'\"=]+@[^\s<>()\[\]{},;:'\"=]+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DETAIL = re.compile(r"\((?:[^()]|\([^()]*\))*\)=\((?:[^()]|\([^()]*\))*\)")
_PARAMETERS = re.compile(
    r"\[parameters: .*?\]$|\[SQL parameters hidden\]", re.DOTALL | re.MULTILINE
)
_LIMIT = 300


def redact(text: str) -> str:
    """`text` with addresses, quoted values and key details replaced, and cut short."""
    text = _PARAMETERS.sub("[parameters hidden]", text)
    text = _DETAIL.sub("(…)=(…)", text)
    text = _ADDRESS.sub("<address>", text)
    text = _QUOTED.sub("'…'", text)
    text = " ".join(text.split())
    return text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…"


def safe_traceback(error: BaseException) -> str:
    """A traceback of `error` and its causes, frames as they are, every message redacted."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.format_list(traceback.extract_tb(current.__traceback__))
        parts.append(
            "".join(frames) + f"{type(current).__module__}.{type(current).__qualname__}: "
            f"{redact(str(current))}\n"
        )
        current = current.__cause__ or current.__context__
    lines = ["Traceback (most recent call last, messages redacted):\n"]
    for index, part in enumerate(reversed(parts)):
        if index:
            lines.append("\nwhich led to:\n")
        lines.append(part)
    return "".join(lines)


class RedactingFormatter(logging.Formatter):
    """A log formatter whose tracebacks are safe_traceback's; for workers and the clock."""

    def formatException(self, ei: object) -> str:
        error = ei[1] if isinstance(ei, tuple) and len(ei) == 3 else None
        if isinstance(error, BaseException):
            return safe_traceback(error).rstrip("\n")
        return "(no exception)"
