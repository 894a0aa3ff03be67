"""Benchmark: import a 100,000-row CSV (with bad rows, duplicates and do-not-call numbers).

Runs the same service as the admin, the API and `manage.py import_targets` against the
PostgreSQL named by DATABASE_URL, in a database of its own that it creates, migrates and drops.
Progress goes to stderr; the figures go to stdout as `name: value unit` lines.

    .venv/bin/python bench/import_targets.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import own_postgres_database  # noqa: E402

AREAS = ["212", "415", "312", "713", "305", "617", "206", "303", "404", "602"]


def make_csv(rows: int, seed: int = 7) -> tuple[bytes, int]:
    """A CSV of `rows` data lines: ~1% bad, ~1% duplicates; returns (bytes, bad line count)."""
    rng = random.Random(seed)
    lines = ["number,extension,external_ref,company,segment"]
    bad: set[int] = set()  # indexes into lines
    for i in range(rows):
        roll = rng.random()
        if roll < 0.01:
            bad.add(len(lines))
            lines.append(f"not-a-number-{i},1,ref-{i},Bad Co,x")
            continue
        if roll < 0.02 and i > 1:
            copied = rng.randrange(1, len(lines))
            if copied in bad:  # a repeated bad line is rejected again, not a duplicate
                bad.add(len(lines))
            lines.append(lines[copied])
            continue
        area = AREAS[i % len(AREAS)]
        exchange = 200 + (i // 10_000) % 700
        number = f"({area}) {exchange}-{i % 10_000:04d}"
        extension = str(rng.randrange(100, 999)) if roll < 0.6 else ""
        lines.append(f"{number},{extension},ref-{i},Company {i % 97},seg-{i % 5}")
    return ("\n".join(lines) + "\n").encode(), len(bad)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true",
                        help="seconds, small sizes: the suite's check that every figure prints")
    args = parser.parse_args()
    if args.quick:
        args.rows = 3000

    data, bad = make_csv(args.rows)
    print(f"generated {args.rows} rows ({len(data) / 1e6:.1f} MB, {bad} bad)", file=sys.stderr)
    with own_postgres_database("bench_import"):
        from tqdm import tqdm

        from campaigns.imports import import_targets
        from campaigns.models import AgentGroup, Campaign, DoNotCall, Target, Trunk

        trunk = Trunk.objects.create(name="bench", gateway="bench")
        group = AgentGroup.objects.create(name="bench")
        campaign = Campaign.objects.create(name="bench", trunk=trunk, agent_group=group)
        DoNotCall.objects.bulk_create(
            DoNotCall(number=f"+1212200{i:04d}") for i in range(0, 10_000, 50)
        )
        bar = tqdm(total=args.rows, unit="rows", file=sys.stderr, desc="import")

        def progress(done: int, total: int | None) -> None:
            bar.update(done - bar.n)

        started, cpu_started = time.perf_counter(), time.process_time()
        report = import_targets(campaign, data, filename="bench.csv", progress=progress)
        elapsed = time.perf_counter() - started
        # This process's CPU time alone (PostgreSQL's share is not in it): on a shared, loaded
        # machine it shows how much of the wall time was spent waiting for a core.
        cpu = time.process_time() - cpu_started
        bar.close()
        stored = Target.objects.filter(campaign=campaign).count()
        expected = report.created + report.do_not_call_count
        if stored != expected or report.rejected_count != bad:
            print(f"MISMATCH: stored {stored}, expected {expected}; rejected "
                  f"{report.rejected_count} of {bad} bad lines", file=sys.stderr)
            return 1
        print(
            f"created {report.created}, rejected {report.rejected_count}, duplicates "
            f"{report.duplicate_count}, do-not-call {report.do_not_call_count}",
            file=sys.stderr,
        )
        print(f"import_rows_per_s: {report.rows / elapsed:.0f} rows/s")
        print(f"import_seconds: {elapsed:.2f} s")
        print(f"import_client_cpu_seconds: {cpu:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
