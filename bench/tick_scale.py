"""Tick scale benchmark: a tick costs O(budget), never O(campaign size).

Runs on PostgreSQL (DATABASE_URL, default the local one) in a throwaway database it creates,
migrates and drops (`sb_bench_tick`), with a fresh Redis key prefix. Two running campaigns of
10,000 and 1,000,000 targets (a third of them already completed, rows made by one
`INSERT ... SELECT generate_series`) are ticked with the same budget (50 routable agents). Each
tick claims 50 targets and publishes their dial batches to the broker; between timed ticks the
claimed targets are marked completed so the budget stays the same. Rounds of ticks alternate
between the two campaigns (the other one paused).

The RSS figure is that of a real `celery worker` (solo pool, queue `tick`) after it ran the
`switchboard.tick` task against each campaign. Progress on stderr; exactly these lines on stdout:

    tick_ms_10k: <v> ms
    tick_ms_1m: <v> ms
    tick_ratio: <v> x
    worker_rss_mb_10k: <v> MB
    worker_rss_mb_1m: <v> MB

tick_ms is the median of the timed ticks. Figures from a shared noisy machine are indications.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from switchboard.children import Child, exit_on_signals  # noqa: E402

BENCH_DB = f"sb_bench_tick_{os.getpid()}"
PREFIX = f"sbbench:tick:{uuid.uuid4().hex[:8]}"
QUICK = "--quick" in sys.argv[1:]  # seconds, small sizes: the suite's check that figures print
SIZES = {"2k": 2_000, "20k": 20_000} if QUICK else {"10k": 10_000, "1m": 1_000_000}
AGENTS = 50
TIMED_TICKS = int(os.environ.get("BENCH_TICKS", "10" if QUICK else "50"))
WORKER_TICKS = int(os.environ.get("BENCH_WORKER_TICKS", "3" if QUICK else "20"))

os.environ.setdefault("DATABASE_URL", "postgres://switchboard:switchboard@127.0.0.1:5432/switchboard")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret")
os.environ["DJANGO_SETTINGS_MODULE"] = "switchboard.settings"
os.environ["TEST_DATABASE_NAME"] = BENCH_DB
os.environ["REDIS_KEY_PREFIX"] = PREFIX
# Broker queues of its own: a test run or another bench on the same Redis database must not
# take this bench's tasks, nor its workers theirs.
os.environ["CELERY_BROKER_KEY_PREFIX"] = f"{PREFIX}:"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def setup_django() -> str:
    """Create and migrate the throwaway database; return the original database name."""
    import django

    django.setup()
    from django.db import connection

    original = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql":
        raise SystemExit("bench/tick_scale.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    from bench._django import drop_stale_databases

    drop_stale_databases("sb_bench_tick")
    say(f"creating and migrating {BENCH_DB} ...")
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return original


def make_world(now: dt.datetime):
    """Nodes up, AGENTS routable agents, a trunk and group shared by the bench campaigns."""
    from campaigns.models import Agent, AgentGroup, Node, Trunk
    from campaigns.services.call_path import dispatch
    from telephony.staging import routable_agents

    group = AgentGroup.objects.create(name="bench")
    trunk = Trunk.objects.create(name="bench", gateway="bench", cps_limit=10_000,
                                 max_concurrent=100_000)
    Node.objects.create(name="fsbench", esl_host="127.0.0.1", esl_port=8021,
                        esl_password="unused", max_sessions=1_000_000, max_cps=100_000)
    agents = [Agent.objects.create(name=f"a{i}", sip_user=f"{2000 + i}",
                                   sip_domain="bench.example", group=group)
              for i in range(AGENTS)]
    # The node as the listener leaves it (its live calls rebuilt), registered for a month so
    # the worker phase still finds the agents routable.
    routable_agents(dispatch.presence(), group.name, [a.presence_key for a in agents],
                    ["fsbench"], now.timestamp())
    return trunk, group


def make_campaign(trunk, group, size: int):
    """A running, always-open campaign with `size` targets, a third of them completed."""
    from django.db import connection

    from campaigns.models import Campaign, CampaignStatus

    campaign = Campaign.objects.create(
        name=f"bench {size}", trunk=trunk, agent_group=group, status=CampaignStatus.RUNNING,
        weekdays=0b1111111, daily_start=dt.time(0), daily_end=dt.time(0),
        max_concurrent=100_000, calls_per_second=10_000,
    )
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_target (campaign_id, number, extension, external_ref,
                custom_data, timezone, state, attempts, next_attempt_at, last_outcome,
                last_hangup_cause, created_at, updated_at)
            SELECT %s, '+1' || lpad(g::text, 10, '0'), '', '', '{}'::jsonb, '',
                   CASE WHEN g %% 3 = 0 THEN 'completed' ELSE 'pending' END,
                   0, NULL, '', '', now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [campaign.id, size],
        )
        cursor.execute("ANALYZE campaigns_target")
    say(f"  {size:,} targets in {time.monotonic() - started:.1f}s")
    return campaign


def only_running(campaign) -> None:
    """Make `campaign` the one running bench campaign (the others wait, paused)."""
    from campaigns.models import Campaign, CampaignStatus

    Campaign.objects.exclude(id=campaign.id).update(status=CampaignStatus.PAUSED)
    Campaign.objects.filter(id=campaign.id).update(status=CampaignStatus.RUNNING)


def timed_ticks(campaign, count: int) -> list[float]:
    """Wall times (ms) of `count` ticks that each claim AGENTS targets of `campaign`."""
    from django.utils import timezone

    from campaigns.models import Target, TargetState
    from campaigns.services.call_path import dispatch
    from workers.tasks.tick import enqueue_dial_batch

    only_running(campaign)
    durations = []
    for i in range(count + 1):
        started = time.perf_counter()
        report = dispatch.tick(timezone.now(), enqueue_dial_batch)
        elapsed = (time.perf_counter() - started) * 1000
        claimed = report.claimed.get(campaign.id, [])
        if len(claimed) != AGENTS:
            raise SystemExit(f"tick claimed {len(claimed)} targets, expected {AGENTS}")
        # As if dialled: the budget stays the same for the next tick.
        Target.objects.filter(id__in=claimed).update(state=TargetState.COMPLETED)
        if i:  # the first tick after a switch warms caches
            durations.append(elapsed)
    return durations


def worker_rss(env: dict[str, str]) -> float:
    """RSS in MB of a real Celery worker after it ran WORKER_TICKS ticks."""
    from workers.celery import TICK, app

    proc = Child(
        [sys.executable, "-m", "celery", "-A", "workers", "worker", "-P", "solo", "-Q", "tick",
         "-n", f"bench-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
         "--loglevel=INFO"], cwd=ROOT, env=env, name="bench-worker")
    try:
        proc.wait_for(" ready.", timeout=90)
        deadline = time.monotonic() + 90
        from campaigns.services.call_path import dispatch

        client = dispatch.redis_client()
        before = int(client.hget(f"{PREFIX}:dispatch:tick", "count") or 0)
        for _ in range(WORKER_TICKS):
            app.signature(TICK).apply_async()
        while int(client.hget(f"{PREFIX}:dispatch:tick", "count") or 0) < before + WORKER_TICKS:
            if not proc.alive or time.monotonic() > deadline + 120:
                raise SystemExit(f"worker stopped ticking:\n{proc.log()[-3000:]}")
            time.sleep(0.2)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines()
                  if line.startswith("VmRSS:"))
        return kb / 1024
    finally:
        proc.stop(grace=20)
        proc.log_path.unlink(missing_ok=True)


def purge(app) -> None:
    with app.connection_for_write() as conn:
        for queue in ("tick", "dial"):
            conn.default_channel.queue_purge(queue)


def main() -> None:
    exit_on_signals()
    original = setup_django()
    # Per-tick log lines would drown the progress lines.
    logging.getLogger("campaigns.services.call_path.dispatch").setLevel(logging.WARNING)
    from django.db import connection
    from django.utils import timezone

    from campaigns.services.call_path import dispatch
    from workers.celery import app

    env = {**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0]
           + f"/{BENCH_DB}", "PYTHONUNBUFFERED": "1"}
    rounds = 2 if QUICK else 5
    try:
        trunk, group = make_world(timezone.now())
        campaigns = {}
        for label, size in SIZES.items():
            say(f"campaign of {size:,} targets")
            campaigns[label] = make_campaign(trunk, group, size)
        # Rounds alternate between the sizes, so a burst of load from elsewhere on a shared
        # machine lands on both rather than on one.
        durations: dict[str, list[float]] = {label: [] for label in SIZES}
        for round_ in range(rounds):
            for label, campaign in campaigns.items():
                durations[label] += timed_ticks(campaign, TIMED_TICKS // rounds)
            say(f"  round {round_ + 1}/{rounds}: " + ", ".join(
                f"{label} {statistics.median(d):.1f} ms" for label, d in durations.items()))
        ticks_ms = {label: statistics.median(d) for label, d in durations.items()}
        rss = {}
        for label, campaign in campaigns.items():
            only_running(campaign)
            say(f"  a worker runs {WORKER_TICKS} ticks against the {label} campaign")
            rss[label] = worker_rss(env)
            say(f"  worker RSS {rss[label]:.1f} MB")
    finally:
        purge(app)
        client = dispatch.redis_client()
        for key in client.scan_iter(match=f"{PREFIX}:*", count=1000):
            client.delete(key)
        say(f"dropping {BENCH_DB}")
        connection.creation.destroy_test_db(original, verbosity=0)

    small, large = SIZES
    print(f"tick_ms_{small}: {ticks_ms[small]:.2f} ms")
    print(f"tick_ms_{large}: {ticks_ms[large]:.2f} ms")
    print(f"tick_ratio: {ticks_ms[large] / ticks_ms[small]:.2f} x")
    print(f"worker_rss_mb_{small}: {rss[small]:.1f} MB")
    print(f"worker_rss_mb_{large}: {rss[large]:.1f} MB")


if __name__ == "__main__":
    main()
