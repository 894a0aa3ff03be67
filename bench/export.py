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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200_000)
    args = parser.parse_args()

    with own_postgres_database("bench_export", redis_prefix="bench-export"):
        from django.db import connection

        from campaigns.models import AgentGroup, CallAttempt, Campaign, Trunk
        from campaigns.services.reporting import exports

        trunk = Trunk.objects.create(name="bench", gateway="bench")
        group = AgentGroup.objects.create(name="bench")
        campaign = Campaign.objects.create(name="bench", trunk=trunk, agent_group=group)
        print(f"building {args.attempts} attempts", file=sys.stderr)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO campaigns_target (campaign_id, number, extension, external_ref,
                    custom_data, timezone, state, attempts, last_outcome, last_hangup_cause,
                    created_at, updated_at)
                SELECT %s, '+1' || (2000000000 + g)::text, '204', 'ref-' || g, '{}', '',
                       'failed', 1, 'no_answer', 'NO_ANSWER', now(), now()
                FROM generate_series(1, %s) AS g
                """,
                [campaign.pk, args.attempts],
            )
            cursor.execute(
                """
                INSERT INTO campaigns_callattempt (target_id, campaign_id, attempt_number, uuid,
                    node, counts_as_attempt, originated_at, answered_at, ended_at, hangup_cause,
                    outcome, billsec, disposition_notes, agent_failovers, created_at)
                SELECT id, campaign_id, 1, gen_random_uuid(), 'fs1', true, now(), now(), now(),
                       'NORMAL_CLEARING', 'answered', 42, '', 0, now()
                FROM campaigns_target WHERE campaign_id = %s
                """,
                [campaign.pk],
            )
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
