"""Benchmark: exporting call attempts (the CDR) as CSV and XLSX, streamed, from many calls.

Builds, in a PostgreSQL database of its own (created, migrated and dropped here), `--attempts`
call attempts on as many targets, then streams the CSV and the XLSX export exactly as a download
would (`campaigns.services.reporting.exports.stream`), timing each, its first chunk and (XLSX)
the first chunk holding rows. Peak Python memory is measured on a second run of each with
tracemalloc. Figures go to stdout as `name: value unit` lines.

    .venv/bin/python bench/export.py [--attempts 200000]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import own_postgres_database  # noqa: E402
from bench._rows import insert_rows  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true",
                        help="seconds, small sizes: the suite's check that every figure prints")
    args = parser.parse_args()
    if args.quick:
        args.attempts = 3000

    with own_postgres_database("bench_export", redis_prefix="bench-export"):
        from django.db import connection

        from campaigns.models import AgentGroup, CallAttempt, Campaign, Target, Trunk
        from campaigns.services.reporting import exports

        trunk = Trunk.objects.create(name="bench", gateway="bench")
        group = AgentGroup.objects.create(name="bench")
        campaign = Campaign.objects.create(name="bench", trunk=trunk, agent_group=group)
        print(f"building {args.attempts} attempts", file=sys.stderr)
        insert_rows(Target, {
            "campaign_id": "%(campaign)s", "number": "'+1' || (2000000000 + g)::text",
            "extension": "'204'", "external_ref": "'ref-' || g", "state": "'failed'",
            "attempts": "1", "last_outcome": "'no_answer'", "last_hangup_cause": "'NO_ANSWER'",
        }, "generate_series(1, %(rows)s) AS g", {"campaign": campaign.pk, "rows": args.attempts})
        insert_rows(CallAttempt, {
            "target_id": "t.id", "campaign_id": "t.campaign_id", "attempt_number": "1",
            "uuid": "gen_random_uuid()", "node": "'fs1'", "counts_as_attempt": "true",
            "originated_at": "now()", "answered_at": "now()", "ended_at": "now()",
            "hangup_cause": "'NORMAL_CLEARING'", "outcome": "'answered'", "billsec": "42",
        }, "campaigns_target AS t WHERE t.campaign_id = %(campaign)s", {"campaign": campaign.pk})
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE campaigns_callattempt")
        queryset = CallAttempt.objects.filter(campaign=campaign)

        def run(fmt: str) -> tuple[float, float, float, int, int]:
            """Seconds to the first chunk, to the first chunk after it, in all; bytes; peak."""
            started = time.perf_counter()
            stream = exports.stream("attempts", fmt, queryset)
            first = next(stream)
            first_s = time.perf_counter() - started
            second = next(stream)
            second_s = time.perf_counter() - started
            size = len(first) + len(second) + sum(len(chunk) for chunk in stream)
            elapsed = time.perf_counter() - started
            tracemalloc.start()
            for _chunk in exports.stream("attempts", fmt, queryset):
                pass
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            return first_s, second_s, elapsed, size, peak

        csv_first, _csv_second, csv_all, csv_size, csv_peak = run("csv")
        xlsx_first, xlsx_rows, xlsx_all, xlsx_size, xlsx_peak = run("xlsx")

    print(f"export_rows: {args.attempts} rows")
    print(f"export_rows_per_s: {args.attempts / csv_all:.0f} rows/s")
    print(f"export_first_chunk_ms: {csv_first * 1000:.1f} ms")
    print(f"export_csv_mb: {csv_size / 1e6:.1f} MB")
    print(f"export_peak_python_mb: {csv_peak / 1e6:.1f} MB")
    print(f"export_xlsx_rows_per_s: {args.attempts / xlsx_all:.0f} rows/s")
    print(f"export_xlsx_first_chunk_ms: {xlsx_first * 1000:.1f} ms")
    print(f"export_xlsx_first_rows_ms: {xlsx_rows * 1000:.1f} ms")
    print(f"export_xlsx_mb: {xlsx_size / 1e6:.1f} MB")
    print(f"export_xlsx_peak_python_mb: {xlsx_peak / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
