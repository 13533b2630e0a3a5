"""A whole first cycle of `tandem run` on a generated organisation, on the local provider:
wall and CPU time per step (on a shared machine the CPU time is the steadier figure; the wall
time also holds the waits for the disk), and the peak memory of the process.

Run: python -m bench.bench_cycle [--size 2000]. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.orgs import organisation
from scheduler.bootstrap import build_runtime
from scheduler.steps.cycle import STEPS

PROGRAM = """\
program: {{name: Bench, owner: owner@example.com, timezone: America/New_York, start: 2027-01-11}}
provider:
  {{kind: local, people: org.csv, mailbox: mentoring@example.com, outbox: outbox/, inbox: inbox/}}
meetings: {{hours: "08:00-18:00", days: [Mon, Tue, Wed, Thu, Fri]}}
participants: {{consent: none}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "program.yaml").write_text(PROGRAM.format(), encoding="utf-8")
        with (root / "org.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["email", "name", "title", "department", "level", "manager_email", "timezone"]
            )
            for p in organisation(args.size, seed=3):
                writer.writerow(
                    [
                        p.email,
                        p.name,
                        p.title,
                        p.department,
                        p.level,
                        p.manager_email or "",
                        p.timezone,
                    ]
                )
        env = {"TANDEM_DATABASE_URL": f"sqlite:///{root / 'state.db'}", "TANDEM_SECRET": "bench"}
        runtime = build_runtime(root / "program.yaml", env)
        now = datetime(2026, 12, 1, 9, tzinfo=UTC)
        total, total_cpu = time.perf_counter(), time.process_time()
        for title, step in STEPS:
            started, cpu = time.perf_counter(), time.process_time()
            report = step(runtime, now)
            print(
                f"{title}: {time.perf_counter() - started:.2f} s, "
                f"cpu {time.process_time() - cpu:.2f} s ({len(report.done)} done)"
            )
        print(
            f"{args.size} people, whole first cycle: {time.perf_counter() - total:.2f} s, "
            f"cpu {time.process_time() - total_cpu:.2f} s"
        )
        started = time.perf_counter()
        for _, step in STEPS:
            step(runtime, now)
        print(f"second cycle (nothing to do): {time.perf_counter() - started:.2f} s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
