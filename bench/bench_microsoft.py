"""A first cycle of `tandem run` with `kind: microsoft` against the local Graph fake
(tests/fakes/graph): the requests it makes, by endpoint, in all and per pair.

Run: python -m bench.bench_microsoft [--size 1000]. Waits (Exchange's 30 messages a minute,
Retry-After) advance a virtual clock shared with the fake, so the run takes seconds; the
counts are those a real tenant would see, $batch items counted one by one.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.orgs import organisation
from scheduler.bootstrap import build_runtime
from scheduler.steps.cycle import STEPS
from tests.contracts.harnesses.microsoft import CLIENT_ID, MAILBOX, SECRET, running_fake

PROGRAM = """\
program: {{name: Bench, owner: owner@contract.example, timezone: America/New_York,
          start: {start}}}
provider:
  kind: microsoft
  mailbox: {mailbox}
  microsoft: {{tenant_id: {tenant}, client_id: {client}, client_secret_env: TANDEM_GRAPH_SECRET,
              authority: "{root}", graph_endpoint: "{root}", level_attribute: employeeType}}
meetings: {{hours: "08:00-18:00", days: [Mon, Tue, Wed, Thu, Fri], video: teams}}
"""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, running_fake() as fake:
        root = Path(folder)
        people = organisation(args.size, seed=3)
        for p in people:
            fake.add_user(
                p.email.replace("example.com", "contract.example"),
                name=p.name,
                title=p.title,
                department=p.department,
                employee_type=str(p.level),
                working_hours=(WEEKDAYS, "09:00", "17:00", p.timezone),
                timezone=p.timezone,
            )
        for p in people:
            if p.manager_email:
                fake.update_user(
                    p.email.replace("example.com", "contract.example"),
                    manager=p.manager_email.replace("example.com", "contract.example"),
                )
        now = datetime.now(UTC).replace(microsecond=0)
        (root / "program.yaml").write_text(
            PROGRAM.format(start=now.date(), mailbox=MAILBOX, tenant=fake.tenant_id,
                           client=CLIENT_ID, root=fake.base_url),
            encoding="utf-8",
        )  # fmt: skip
        env = {
            **os.environ,
            "TANDEM_DATABASE_URL": f"sqlite:///{root / 'state.db'}",
            "TANDEM_SECRET": "bench",
            "TANDEM_GRAPH_SECRET": SECRET,
        }
        runtime = build_runtime(root / "program.yaml", env)
        virtual = [0.0]

        def wait(seconds: float) -> None:  # waits pass on a clock shared with the fake
            virtual[0] += seconds
            fake.advance(seconds)

        mailer = runtime.providers.mailer
        mailer.sleep, mailer.clock = wait, lambda: time.monotonic() + virtual[0]  # type: ignore[attr-defined]
        mailer.graph.sleep = wait  # type: ignore[attr-defined]
        real_sleep, time.sleep = time.sleep, wait  # the send step's pacing between batches
        before = Counter(fake.requests)
        started = time.perf_counter()
        try:
            for title, step in STEPS:
                report = step(runtime, now)
                print(f"{title}: {len(report.done)} done, {len(report.problems)} problem(s)")
        finally:
            time.sleep = real_sleep
        spent = Counter(fake.requests) - before
        pairs = max(args.size // 2, 1)
        print(f"{args.size} people, {pairs} pairs, first cycle {time.perf_counter() - started:.1f}"
              f" s of wall time, {timedelta(seconds=virtual[0])} of waiting (virtual)")  # fmt: skip
        print(f"{'endpoint':28} {'requests':>9} {'per pair':>9}")
        for endpoint, count in sorted(spent.items(), key=lambda e: -e[1]):
            print(f"{endpoint:28} {count:9} {count / pairs:9.3f}")
        print(f"{'all':28} {sum(spent.values()):9} {sum(spent.values()) / pairs:9.3f}")
        assert fake.rejected == [], fake.rejected


if __name__ == "__main__":
    main()
