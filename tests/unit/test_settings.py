"""Settings and the reply-address key: a key that is made is whole, and an empty one is refused
with one line, never a traceback (issue 13, defect 7)."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from scheduler.errors import UserError
from scheduler.settings import load_settings

ENV = {"TANDEM_DATABASE_URL": "sqlite://"}


def test_the_key_is_made_once_beside_the_program_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    first = load_settings(tmp_path, ENV).secret
    again = load_settings(tmp_path, ENV).secret
    key = tmp_path / ".tandem-secret"
    assert first == again and len(first) >= 40
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [".tandem-secret"], "no draft is left"


def test_an_empty_key_is_refused_with_the_file_named(tmp_path: Path) -> None:
    (tmp_path / ".tandem-secret").write_text("\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"\.tandem-secret is empty: restore it") as raised:
        load_settings(tmp_path, ENV)
    assert "\n" not in str(raised.value)


def test_an_empty_secret_file_named_by_the_environment_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "secret.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(UserError, match=r"TANDEM_SECRET_FILE: .* is empty"):
        load_settings(tmp_path, {**ENV, "TANDEM_SECRET_FILE": str(empty)})


def _make(folder: str, results: multiprocessing.Queue[bytes]) -> None:
    results.put(load_settings(Path(folder), ENV).secret)


def test_processes_making_the_key_at_once_all_use_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[bytes] = context.Queue()
    workers = [context.Process(target=_make, args=(str(tmp_path), results)) for _ in range(6)]
    for worker in workers:
        worker.start()
    keys = {results.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join()
    assert len(keys) == 1
    assert (tmp_path / ".tandem-secret").read_text(encoding="utf-8").strip().encode() in keys
