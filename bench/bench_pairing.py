"""Pairing at scale: a generated organisation with three earlier rounds of history.

Run: python -m bench.bench_pairing [--size 100000]. Prints wall time and peak memory per rule set.
The target (issue 2): 100,000 people paired in under 3 s, under 1 GiB.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

from bench.orgs import history, organisation
from scheduler.core.pairing import PairingRules, pair_people

RULE_SETS = {
    "default (tolerance 1, direct, no repeats)": PairingRules(),
    "chain of command": PairingRules(avoid_reporting_line="chain"),
    "tolerance 0, chain, other department": PairingRules(
        level_tolerance=0, avoid_reporting_line="chain", avoid_same_department=True
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    people = organisation(args.size, seed=1)
    past = history(people, args.rounds, seed=1)
    print(f"{args.size} people, {len(past)} past pairs from {args.rounds} rounds")
    for name, rules in RULE_SETS.items():
        started = time.perf_counter()
        result = pair_people(people, rules, history=past, seed=2)
        seconds = time.perf_counter() - started
        tracemalloc.start()
        pair_people(people, rules, history=past, seed=2)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{name}: {seconds:.2f} s, peak allocated {peak / 2**20:.0f} MiB, "
            f"{len(result.groups)} groups ({result.trios} trios), {len(result.unpaired)} unpaired, "
            f"maximum proven: {result.maximum_proven}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (organisation, history and all runs): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
