"""The Procfile runs as written: each line started as a platform starts it (`bash -c`, from
the repository's root, with only environment variables set) migrates a fresh store, and the
clock and the workers it starts carry the demo's first round to its last email."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import redis

from scheduler.bootstrap import build_runtime
from scheduler.steps.cycle import run_cycle
from tests.e2e.test_run_crashes import demo, maildir_ids
from tests.integration.workers.conftest import REDIS_URL
from tests.integration.workers.test_faults import stop, until

ROOT = Path(__file__).resolve().parents[3]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_the_procfile_has_a_worker_and_a_clock_and_no_web_process() -> None:
    assert sorted(procfile()) == ["clock", "worker"]


def test_the_procfile_runs_a_first_round_as_written(
    client: redis.Redis, namespace: str, tmp_path: Path
) -> None:
    folder, env = demo(tmp_path / "app")
    clean_folder, clean_env = demo(tmp_path / "clean")
    runtime = build_runtime(clean_folder / "program.yaml", clean_env)
    run_cycle(runtime, datetime.now(UTC))  # the clock acts at the real time
    runtime.store.close()
    env.update(
        TANDEM_PROGRAM=str(folder / "program.yaml"),
        TANDEM_REDIS_URL=REDIS_URL,
        TANDEM_REDIS_NAMESPACE=namespace,
        TANDEM_WORKER_PROCESSES="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
    )
    processes = [
        subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, start_new_session=True)
        for command in procfile().values()
    ]
    try:
        outbox = folder / "outbox" / "new"
        until(lambda: outbox.is_dir() and len(list(outbox.iterdir())) >= 87, "every email")
        until(lambda: client.hlen(f"{namespace}:tandem.msgs") == 0, "the queue to empty")
    finally:
        for process in processes:
            stop(process)
    assert maildir_ids(folder) == maildir_ids(clean_folder)
    assert processes[1].returncode == 0  # the clock stops cleanly on SIGTERM
