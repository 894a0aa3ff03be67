"""Abandon benchmark: what callees live through when agents' phones misbehave (target_first).

One run on this machine with the real parts: PostgreSQL (a throwaway database
`sb_bench_abandon_<pid>`, created, migrated and dropped), Redis (a fresh key prefix), an emulated
2-node cluster in-process over TCP, and `manage.py listen`, `manage.py consume_events`, a Celery
worker and Celery beat as processes. 24 agents register over TCP; 20% of their phones refuse
(486 on DND), 10% never answer (they ring until the campaign's ring timeout), the rest answer
after 0.2-1.2 s. 80 callees answer and hang up at random 1.5-12 s later (some while an agent's
phone still rings). Progress on stderr; exactly these lines on stdout:

    abandon_rate_pct: <v> %            answered calls with no agent within 2 s / answered calls
    answer_to_agent_p50_ms: <v> ms     answer (or the extension sent in full) -> agent connected
    answer_to_agent_p95_ms: <v> ms
    redials_after_answer: <v> calls    originates to a callee who had answered, before the
                                       campaign's abandon delay or after a connected call (0)

Figures from a shared noisy machine are indications, never pass/fail.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._django import own_postgres_database  # noqa: E402
from switchboard.children import exit_on_signals  # noqa: E402

QUICK = "--quick" in sys.argv[1:]  # seconds, small sizes: the suite's check that figures print
AGENTS = int(os.environ.get("BENCH_ABANDON_AGENTS", "10" if QUICK else "24"))
TARGETS = int(os.environ.get("BENCH_ABANDON_TARGETS", "12" if QUICK else "80"))
DEADLINE_SECONDS = float(os.environ.get("BENCH_ABANDON_SECONDS", "90"))
DOMAIN = "bench.example"
REDIS_URL = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> None:
    exit_on_signals()
    with own_postgres_database("sb_bench_abandon", redis_prefix="sbbench:abandon"):
        run()


def run() -> None:
    import redis
    from django.conf import settings

    from campaigns.models import (
        Agent,
        AgentGroup,
        CallAttempt,
        Campaign,
        CampaignStatus,
        Node,
        Target,
        TargetState,
        Trunk,
    )
    from campaigns.services.reporting.stats import campaign_stats
    from emulator.cluster import Cluster
    from telephony.presence import PresenceStore
    from tests.processes import Process, process_environment, stop_all
    from workers.management.commands.setup_schedules import install_schedules

    rng = random.Random(9)
    prefix = settings.REDIS_KEY_PREFIX
    client = redis.Redis.from_url(REDIS_URL)
    store = PresenceStore(client, prefix)
    cluster = Cluster(nodes=2, heartbeat_interval=1.0, sps=200, max_sessions=2000).start()
    processes: list[Process] = []
    try:
        group = AgentGroup.objects.create(name="bench")
        trunk = Trunk.objects.create(name="bench", gateway="bench", cps_limit=50,
                                     max_concurrent=10_000)
        names = sorted(cluster.ports)
        kinds = ["busy"] * (AGENTS // 5) + ["no_answer"] * (AGENTS // 10)
        kinds += ["answer"] * (AGENTS - len(kinds))
        rng.shuffle(kinds)
        for name, port in cluster.ports.items():
            Node.objects.create(name=name, esl_host="127.0.0.1", esl_port=port,
                                esl_password="ClueCon", max_cps=20, max_sessions=1000)
        for i, kind in enumerate(kinds):
            agent = Agent.objects.create(name=f"agent {i}", sip_user=f"{4000 + i}",
                                         sip_domain=DOMAIN, group=group, wrapup_seconds=1)
            node = cluster.node(names[i % len(names)])
            node.call("register_agent", user=agent.sip_user, domain=DOMAIN, transport="tcp")
            fields = {"answer_ms": rng.randint(200, 1200)} if kind == "answer" else {}
            for other in names:
                cluster.node(other).call("set_agent_phone", user=agent.sip_user, kind=kind,
                                         **fields)
        say(f"agents: {kinds.count('busy')} refusing, {kinds.count('no_answer')} not "
            f"answering, {kinds.count('answer')} answering")
        campaign = Campaign.objects.create(
            name="bench abandon", trunk=trunk, agent_group=group, mode="target_first",
            status=CampaignStatus.RUNNING, weekdays=0b1111111, daily_start=dt.time(0),
            daily_end=dt.time(0), max_concurrent=1000, calls_per_second=10,
            originate_timeout=15, max_attempts=3, retry_busy_seconds=2,
            retry_no_answer_seconds=2, retry_failed_seconds=2, dtmf_settle_ms=300,
            dtmf_duration_ms=100, agent_ring_timeout=5, failover_window_seconds=8,
            max_agent_failovers=2, retry_abandoned_seconds=5,
            abandon_message="tone:300/200/480+620x2",
        )
        numbers = [f"+1415666{i:04d}" for i in range(TARGETS)]
        for number in numbers:
            hangup_ms = rng.randint(1500, 12_000)
            for name in names:
                cluster.node(name).call("set_outcome", pattern=number, kind="answer",
                                        answer_ms=rng.randint(30, 300), hangup_ms=hangup_ms)
        env = process_environment(REDIS_URL, prefix, CELERY_BROKER_URL=REDIS_URL,
                                  PRESENCE_NODE_GRACE_SECONDS="3",
                                  PRESENCE_RECONCILE_SECONDS="5", LOG_LEVEL="WARNING")
        python = sys.executable
        processes.append(Process([python, "manage.py", "listen", "--agent-sync", "1"], env,
                                 "listener"))
        processes.append(Process([python, "manage.py", "consume_events"], env, "consumer"))
        keys = [f"{4000 + i}@{DOMAIN}" for i in range(AGENTS)]
        _wait(lambda: sum(v.registered for v in store.snapshot(keys, time.time()).values())
              == AGENTS, 40, "every agent registered")
        processes.append(Process([python, "-m", "celery", "-A", "workers", "worker", "-Q",
                                  "tick,dial,control,default", "-c", "2", "-n",
                                  f"bench-{uuid.uuid4().hex[:6]}@%h", "--without-gossip",
                                  "--without-mingle", "--loglevel=WARNING"], env, "worker"))
        install_schedules()
        processes.append(Process([python, "-m", "celery", "-A", "workers", "beat", "-S",
                                  "django_celery_beat.schedulers:DatabaseScheduler",
                                  "--loglevel=WARNING", "--pidfile",
                                  f"/tmp/sb-bench-abandon-{os.getpid()}.pid"], env, "beat"))
        Target.objects.bulk_create([Target(campaign=campaign, number=n) for n in numbers])
        started = time.monotonic()
        say(f"dialling {TARGETS} callees ...")

        def finished() -> bool:
            return not Target.objects.filter(campaign=campaign).exclude(
                state__in=[TargetState.COMPLETED, TargetState.FAILED]).exists()

        _wait(finished, DEADLINE_SECONDS, "every callee to reach a final state", quiet=True)
        say(f"done in {time.monotonic() - started:.1f} s")
        stats = campaign_stats(campaign)
        rate = stats["abandon_rate"]
        waits = stats["answer_to_agent_ms"]
        redials = _redials_after_answer(CallAttempt, campaign)
        say(f"outcomes: { {k: v for k, v in stats['attempts']['by_outcome'].items() if v} }")
        print(f"abandon_rate_pct: {0.0 if rate is None else rate * 100:.1f} %")
        print(f"answer_to_agent_p50_ms: {waits['p50'] if waits['p50'] is not None else 0} ms")
        print(f"answer_to_agent_p95_ms: {waits['p95'] if waits['p95'] is not None else 0} ms")
        print(f"redials_after_answer: {redials} calls")
    finally:
        stop_all(processes)
        cluster.stop()
        for key in client.scan_iter(f"{prefix}:*", count=1000):
            client.delete(key)


def _redials_after_answer(model, campaign) -> int:
    """Attempts that dialled a callee again too soon after an answer: before the abandon delay
    after an abandoned call, or at all after a connected one."""
    delay = dt.timedelta(seconds=campaign.retry_abandoned_seconds)
    count = 0
    by_target: dict[int, list] = {}
    for row in model.objects.filter(campaign=campaign).order_by("target_id", "attempt_number"):
        by_target.setdefault(row.target_id, []).append(row)
    for rows in by_target.values():
        for before, after in itertools.pairwise(rows):
            if before.answered_at is None:
                continue
            if before.bridged_at is not None or before.ended_at is None or (
                    after.created_at < before.ended_at + delay):
                count += 1
    return count


def _wait(condition, timeout: float, what: str, quiet: bool = False) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    if not quiet:
        raise SystemExit(f"timed out waiting for {what}")
    say(f"stopped after {timeout:.0f} s before {what}")


if __name__ == "__main__":
    main()
