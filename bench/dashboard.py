"""Benchmark: the live dashboard's campaign snapshot on a campaign of a million targets.

Builds, in a PostgreSQL database of its own (created, migrated and dropped here), one campaign of
`--targets` targets in every state plus `--attempts` call attempts, VACUUM ANALYZEs it as
autovacuum would, then times the uncached snapshot (what one dashboard poll costs the database
at most once per cache interval) and prints the plan of the targets-by-state query.
Progress goes to stderr; the figures go to stdout as `name: value unit` lines.

    .venv/bin/python bench/dashboard.py [--targets 1000000] [--attempts 300000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import own_postgres_database  # noqa: E402
from bench._rows import insert_rows  # noqa: E402

STATES = "ARRAY['pending','pending','pending','completed','failed','retry_wait','dialing','queued']"
OUTCOMES = "ARRAY['answered','answered','busy','no_answer','invalid_number','failed','']"
CAUSES = "ARRAY['NORMAL_CLEARING','NORMAL_CLEARING','USER_BUSY','NO_ANSWER','UNALLOCATED_NUMBER']"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1_000_000)
    parser.add_argument("--attempts", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true",
                        help="seconds, small sizes: the suite's check that every figure prints")
    args = parser.parse_args()
    if args.quick:
        args.targets = 20000
        args.attempts = 5000
        args.runs = 2

    with own_postgres_database("bench_dashboard", redis_prefix="bench-dashboard"):
        from django.core.cache import cache
        from django.db import connection
        from django.db.models import Count
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from campaigns.models import AgentGroup, CallAttempt, Campaign, Target, Trunk
        from campaigns.services.reporting.dashboard import (
            campaign_snapshot,
            compute_campaign_snapshot,
        )

        trunk = Trunk.objects.create(name="bench", gateway="bench")
        group = AgentGroup.objects.create(name="bench")
        campaign = Campaign.objects.create(name="bench", trunk=trunk, agent_group=group)
        other = Campaign.objects.create(name="other", trunk=trunk, agent_group=group)
        started = time.perf_counter()
        # Another campaign's rows, so the index has something to skip.
        for cid, count in ((campaign.pk, args.targets), (other.pk, args.targets // 10)):
            insert_rows(Target, {
                "campaign_id": "%(campaign)s", "number": "'+1' || (2000000000 + g)::text",
                "state": f"({STATES})[1 + g %% 8]",
            }, "generate_series(1, %(rows)s) AS g", {"campaign": cid, "rows": count})
        # Attempts spread over the last two hours, a fifth of them in the rate window.
        insert_rows(CallAttempt, {
            "target_id": "t.id", "campaign_id": "t.campaign_id", "attempt_number": "1",
            "uuid": "md5(t.id::text)::uuid", "node": "'fs1'", "counts_as_attempt": "true",
            "hangup_cause": f"({CAUSES})[1 + t.id %% 5]",
            "outcome": f"({OUTCOMES})[1 + t.id %% 7]", "billsec": "0",
            "created_at": "now() - (t.id %% 7200) * interval '1 second'",
            "ended_at": "now() - (t.id %% 7200) * interval '1 second'",
        }, "(SELECT * FROM campaigns_target WHERE campaign_id = %(campaign)s ORDER BY id"
           " LIMIT %(rows)s) AS t", {"campaign": campaign.pk, "rows": args.attempts})
        print(f"built {args.targets} targets and {args.attempts} attempts in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        connection.ensure_connection()
        old_autocommit = connection.get_autocommit()
        connection.set_autocommit(True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE campaigns_target")
            cursor.execute("VACUUM ANALYZE campaigns_callattempt")
        connection.set_autocommit(old_autocommit)

        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                snapshot = compute_campaign_snapshot(campaign, timezone.now())
                timings.append((time.perf_counter() - began) * 1000)
        assert snapshot["targets"]["total"] == args.targets, snapshot["targets"]
        campaign_snapshot(campaign, timezone.now())  # fill the cache
        polls = []
        for _ in range(50):
            began = time.perf_counter()
            campaign_snapshot(campaign, timezone.now())
            polls.append((time.perf_counter() - began) * 1000)
        cache.delete(f"dashboard:campaign:{campaign.pk}")
        with connection.cursor() as cursor:
            sql, params = (
                Target.objects.filter(campaign_id=campaign.pk).values("state")
                .annotate(n=Count("id")).order_by().query.sql_with_params()
            )
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(plan, file=sys.stderr)
        for query in queries:
            print(f"{float(query['time']) * 1000:8.1f} ms  {query['sql'][:150]}", file=sys.stderr)
        print(f"dashboard_snapshot_queries: {len(queries)} queries")
        print(f"dashboard_snapshot_median_ms_{args.targets}_targets: "
              f"{statistics.median(timings):.1f} ms")
        print(f"dashboard_snapshot_min_ms_{args.targets}_targets: {min(timings):.1f} ms")
        print(f"dashboard_poll_cached_median_ms: {statistics.median(polls):.2f} ms")
        print(f"dashboard_targets_by_state_index_only: {int('Index Only Scan' in plan)} bool")
    return 0


if __name__ == "__main__":
    sys.exit(main())
