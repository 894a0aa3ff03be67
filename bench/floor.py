"""Benchmark: the supervisor's floor at a thousand agents and ten thousand live calls.

Builds, in a PostgreSQL database of its own and a Redis key prefix of its own, `--agents` agents
(all registered, a third of them on a call, some paused or in wrap-up), `--calls` live calls in
the floor's Redis list (telephony.floor) and a day of finished attempts, then times the uncached
floor snapshot (what one poll costs at most once per cache interval, whatever the number of
supervisors watching): the agents table alone, and agents plus the live-calls page.
Progress goes to stderr; the figures go to stdout as `name: value unit` lines.

    .venv/bin/python bench/floor.py [--agents 1000] [--calls 10000] [--attempts 200000]
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


def _ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--attempts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true",
                        help="seconds, small sizes: the suite's check that every figure prints")
    args = parser.parse_args()
    if args.quick:
        args.agents = 60
        args.calls = 300
        args.attempts = 3000
        args.runs = 2

    with own_postgres_database("bench_floor", redis_prefix="bench-floor"):
        from django.conf import settings
        from django.db import connection
        from django.utils import timezone

        from campaigns.models import Agent, AgentGroup, CallAttempt, Campaign, Target, Trunk
        from campaigns.services.floor.presence import store, sync_agents
        from campaigns.services.floor.snapshot import compute_agents, compute_floor, live_calls
        from telephony.events import Registration
        from telephony.floor import LiveCall

        trunk = Trunk.objects.create(name="bench", gateway="bench")
        group = AgentGroup.objects.create(name="bench")
        campaign = Campaign.objects.create(name="bench", trunk=trunk, agent_group=group)
        agents = Agent.objects.bulk_create(
            Agent(name=f"Agent {n}", sip_user=f"{10000 + n}", sip_domain="bench.local",
                  group=group) for n in range(args.agents))
        target = Target.objects.create(campaign=campaign, number="+14155550100")
        print(f"== {args.agents} agents, {args.attempts} attempts", file=sys.stderr)
        insert_rows(CallAttempt, {
            "target_id": "%(target)s", "campaign_id": "%(campaign)s", "attempt_number": "g",
            "uuid": "gen_random_uuid()", "node": "'fs1'",
            "agent_id": "(%(agents)s::bigint[])[1 + g %% %(count)s]",
            "counts_as_attempt": "true", "hangup_cause": "'NORMAL_CLEARING'",
            "outcome": "'answered'", "billsec": "60",
            "created_at": "now() - make_interval(secs => g %% 80000)",
            "ended_at": "now() - make_interval(secs => g %% 80000)",
            "bridged_at": "now() - make_interval(secs => g %% 80000)",
        }, "generate_series(1, %(rows)s) AS g", {
            "target": target.id, "campaign": campaign.id, "agents": [a.id for a in agents],
            "count": len(agents), "rows": args.attempts})
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE campaigns_callattempt")
        now = time.time()
        sync_agents(now)
        presence = store()
        nodes = ("fs1", "fs2", "fs3")
        for i, node in enumerate(nodes):
            presence.node_connected(node, f"core-{node}", now)
            presence.reconcile(node, f"core-{node}", [
                Registration(agent=a.presence_key, call_id=f"c{a.sip_user}", profile="internal",
                             contact=f"sip:{a.sip_user}@10.0.0.1", network_ip="10.0.0.1",
                             network_port=str(20000 + n), transport="tcp", user_agent="bench",
                             expires_at=now + 3600)
                for n, a in enumerate(agents) if n % len(nodes) == i], now)
        for n, agent in enumerate(agents):
            if n % 7 == 0:
                presence.set_intent(agent.presence_key, "paused", "lunch", "bench", now)
        print(f"== {args.calls} live calls", file=sys.stderr)
        registry = live_calls()
        pipe = registry.client.pipeline(transaction=False)
        for n in range(args.calls):
            # A third of the agents are on a call; the other calls are still ringing out.
            agent = agents[n].presence_key if n < len(agents) // 3 else ""
            registry.add(LiveCall(
                uuid=f"00000000-0000-4000-8000-{n:012d}", number=f"+1415{n:07d}",
                extension="204", campaign_id=campaign.id, campaign="bench", target_id=target.id,
                attempt_id=n, node=nodes[n % 3], agent=agent, state="ringing",
                started_at=now - n % 300, state_at=now), client=pipe)
            if n % 1000 == 999:
                pipe.execute()
        pipe.execute()
        moment = timezone.now()
        agents_ms = _ms(lambda: compute_agents(moment), args.runs)
        floor_ms = _ms(lambda: compute_floor(moment), args.runs)
        campaign_ms = _ms(lambda: compute_floor(moment, campaign), args.runs)
        keys = [a.presence_key for a in agents]
        presence_ms = _ms(lambda: presence.snapshot(keys, time.time()), args.runs)
        calls_ms = _ms(lambda: registry.for_agents(keys), args.runs)
        page_ms = _ms(lambda: registry.page(time.time()), args.runs)
        from django.db.models import Count, Q, Sum

        from campaigns.services.floor.snapshot import local_midnight

        today_ms = _ms(lambda: list(
            CallAttempt.objects.filter(ended_at__gte=local_midnight(moment), agent__isnull=False)
            .values("agent_id").annotate(calls=Count("id", filter=Q(bridged_at__isnull=False)),
                                         talk=Sum("billsec")).order_by()), args.runs)
        snapshot = compute_floor(moment)
        assert len(snapshot["agents"]) == args.agents and snapshot["calls_total"] == args.calls
        for key in registry.client.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}:*", count=5000):
            registry.client.delete(key)
        print(f"floor_agents_table_ms_{args.agents}_agents: {agents_ms:.1f} ms")
        print(f"floor_snapshot_ms_{args.agents}_agents: {floor_ms:.1f} ms")
        print(f"floor_snapshot_ms_{args.calls}_calls: {floor_ms:.1f} ms")
        print(f"floor_campaign_snapshot_ms_{args.agents}_agents: {campaign_ms:.1f} ms")
        print(f"floor_part_presence_ms_{args.agents}_agents: {presence_ms:.1f} ms")
        print(f"floor_part_agents_calls_ms_{args.agents}_agents: {calls_ms:.1f} ms")
        print(f"floor_part_calls_page_ms_{args.calls}_calls: {page_ms:.1f} ms")
        print(f"floor_part_today_query_ms_{args.attempts}_attempts: {today_ms:.1f} ms")
        print(f"floor_snapshot_bytes_{args.agents}_agents: {len(str(snapshot))} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
