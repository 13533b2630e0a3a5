"""The CSV files of `tandem pair`: past pairs in (email_a,email_b), new pairs out (pair,email)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from scheduler.core.model import Unpaired
from scheduler.errors import UserError


def read_history_csv(path: Path) -> list[tuple[str, str]]:
    """Pairs that met before. Rows name two people; a bad row is an error naming its line."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the history file ({exc.strerror})") from exc
    with handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        if "email_a" not in header or "email_b" not in header:
            raise UserError(f"{path}:1: the header must name the columns email_a and email_b")
        a, b = header.index("email_a"), header.index("email_b")
        pairs = []
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if max(a, b) >= len(row) or not row[a].strip() or not row[b].strip():
                    raise UserError(
                        f"{path}:{reader.line_num}: a row needs both email_a and email_b"
                    )
                pairs.append((row[a].strip().lower(), row[b].strip().lower()))
        except UnicodeDecodeError as exc:
            raise UserError(f"{path}: not UTF-8 text after line {reader.line_num}") from exc
    return pairs


def write_pairs_csv(
    path: Path, groups: Sequence[Sequence[str]], unpaired: Sequence[Unpaired]
) -> None:
    """One row per member: the pair's number and the email; people left out get an empty pair."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pair", "email"])
        for number, group in enumerate(groups, start=1):
            for email in group:
                writer.writerow([number, email])
        for person in unpaired:
            writer.writerow(["", person.email])
