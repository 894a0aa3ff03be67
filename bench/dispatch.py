"""Dispatch benchmark: how fast the dial path turns claimed targets into originates on the nodes.

Runs in one go on this machine against PostgreSQL (a throwaway database `sb_bench_dispatch`,
created, migrated and dropped), Redis (a fresh key prefix) and an emulated 3-node cluster
in-process with its sessions-per-second and max-sessions limits raised out of the way. Agents are
put straight into the presence store (routable on every node), so the figures measure dispatch,
not agent availability. Progress on stderr; exactly these lines on stdout:

    dispatch_calls_per_s_1w: <v> calls/s     real `celery worker -c 1`: batches of claimed
    dispatch_calls_per_s_2w: <v> calls/s     targets enqueued at once, until every originate
                                             has reached the emulated nodes (-c 2 for 2w)
    raw_bgapi_per_s: <v> jobs/s              a bare client loop of `bgapi originate`, one conn
    dispatch_to_raw_ratio: <v> x             1w over raw
    conn_per_call_calls_per_s: <v> calls/s   the 1w run again, the worker opening a fresh ESL
                                             connection per call (as Newfies-Dialer does)
    due_to_originate_p50_ms: <v> ms          targets falling due at a steady 50 calls/s, the
    due_to_originate_p99_ms: <v> ms          real tick every second, a 2-process worker:
                                             next_attempt_at -> originate at the node

Figures from a shared noisy machine are indications, never pass/fail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from switchboard.children import Child, exit_on_signals  # noqa: E402

BENCH_DB = f"sb_bench_dispatch_{os.getpid()}"
PREFIX = f"sbbench:dispatch:{uuid.uuid4().hex[:8]}"
QUICK = "--quick" in sys.argv[1:]  # seconds, small sizes: the suite's check that figures print
CALLS = int(os.environ.get("BENCH_DISPATCH_CALLS", "100" if QUICK else "1500"))
BATCH = 20
LATENCY_RATE = 20 if QUICK else 50  # calls/s offered in the latency run
LATENCY_SECONDS = 2 if QUICK else 6

os.environ.setdefault("DATABASE_URL", "postgres://switchboard:switchboard@127.0.0.1:5432/switchboard")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret")
os.environ["DJANGO_SETTINGS_MODULE"] = "switchboard.settings"
os.environ["TEST_DATABASE_NAME"] = BENCH_DB
os.environ["REDIS_KEY_PREFIX"] = PREFIX
# Broker queues of its own: a test run or another bench on the same Redis database must not
# take this bench's tasks, nor its workers theirs.
os.environ["CELERY_BROKER_KEY_PREFIX"] = f"{PREFIX}:"
os.environ.setdefault("LOG_LEVEL", "WARNING")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Bench:
    """The world: database, cluster, presence, one campaign whose targets each run re-queues."""

    def __init__(self) -> None:
        import django

        django.setup()
        from django.db import connection

        from emulator.cluster import Cluster

        if connection.vendor != "postgresql":
            raise SystemExit("bench/dispatch.py needs PostgreSQL (DATABASE_URL=postgres://...)")
        self.original_db = connection.settings_dict["NAME"]
        from bench._django import drop_stale_databases

        drop_stale_databases("sb_bench_dispatch")
        say(f"creating and migrating {BENCH_DB} ...")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        self.cluster = Cluster(nodes=3, control_port=None, sps=1_000_000, max_sessions=1_000_000,
                               heartbeat_interval=3600.0).start()
        for node in self.cluster.nodes.values():
            # Far ends refuse at once: calls end by themselves and free the node's sessions.
            node.outcomes.set("*", _busy())
        self.serial = 0
        self.seen: dict[str, float] = {}
        self._make_world()

    def _make_world(self) -> None:
        from campaigns.models import Agent, AgentGroup, Campaign, CampaignStatus, Node, Trunk
        from campaigns.services.floor import presence as presence_service
        from telephony.staging import routable_agents

        self.store = presence_service.store()
        group = AgentGroup.objects.create(name="bench")
        trunk = Trunk.objects.create(name="bench", gateway="bench", cps_limit=10_000,
                                     max_concurrent=1_000_000)
        agents = [Agent(name=f"a{i}", sip_user=f"{3000 + i}", sip_domain="bench.example",
                        group=group, wrapup_seconds=0) for i in range(CALLS + 200)]
        Agent.objects.bulk_create(agents)
        for name, port in self.cluster.ports.items():
            Node.objects.create(name=name, esl_host="127.0.0.1", esl_port=port,
                                esl_password="ClueCon", max_sessions=1_000_000, max_cps=100_000)
        # Every node as the listener leaves it (its live calls rebuilt), the agents spread.
        routable_agents(self.store, group.name, [a.presence_key for a in agents],
                        list(self.cluster.ports), time.time())
        self.campaign = Campaign.objects.create(
            name="bench", trunk=trunk, agent_group=group, status=CampaignStatus.RUNNING,
            weekdays=0b1111111, daily_start=dt.time(0), daily_end=dt.time(0),
            max_concurrent=1_000_000, calls_per_second=10_000, originate_timeout=30,
        )
        self.group = group

    def fresh_targets(self, n: int) -> list[int]:
        """n new targets, queued as the tick leaves them, and every agent idle again."""
        from campaigns.models import Target, TargetState

        rows = [Target(campaign=self.campaign, number=f"+1917{self.serial + i:07d}",
                       extension="1", state=TargetState.QUEUED) for i in range(n)]
        self.serial += n
        Target.objects.bulk_create(rows, batch_size=5000)
        self._free_agents()
        return [t.id for t in rows]

    def _free_agents(self) -> None:
        """Release every reservation the previous run left (no results consumer in the bench)."""
        client = self.store.client
        for key in client.scan_iter(match=f"{PREFIX}:call:*", count=1000):
            token = client.get(key)
            client.delete(key)
            if token:
                import json

                self.store.release(json.loads(token)["token"], time.time(), 0)

    def originates(self) -> list[tuple[float, str]]:
        """(time, origination uuid) of the originates the nodes received since the last call."""
        out = []
        for name in self.cluster.nodes:
            since = self.seen.get(name, 0.0)
            for entry in self.cluster.node(name).call("commands", since=since,
                                                      contains="bgapi originate"):
                text = entry["command"]
                start = text.find("origination_uuid=") + len("origination_uuid=")
                out.append((entry["t"], text[start:start + 36]))
                self.seen[name] = max(self.seen.get(name, 0.0), entry["t"])
        return out

    def wait_originates(self, n: int, timeout: float = 300) -> list[tuple[float, str]]:
        got: list[tuple[float, str]] = []
        deadline = time.monotonic() + timeout
        while len(got) < n and time.monotonic() < deadline:
            time.sleep(0.05)
            got += self.originates()
        if len(got) < n:
            raise SystemExit(f"only {len(got)} of {n} originates arrived")
        return got

    def close(self) -> None:
        from django.db import connection

        self.cluster.stop()
        connection.creation.destroy_test_db(self.original_db, verbosity=0)
        client = self.store.client
        for key in client.scan_iter(match=f"{PREFIX}:*", count=1000):
            client.delete(key)


def _busy():
    from emulator.outcomes import Outcome

    return Outcome(kind="busy", fail_ms=1, ring_ms=None)


@contextlib.contextmanager
def worker(concurrency: int, extra: dict[str, str] | None = None):
    """A real `celery worker` on the dial queue against the bench database."""
    from django.db import connection

    env = dict(os.environ, DATABASE_URL=_db_url(connection.settings_dict), PYTHONUNBUFFERED="1",
               **(extra or {}))
    proc = Child(
        [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", "dial", "-c",
         str(concurrency), "-P", "prefork", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env=env, name="bench-worker")
    try:
        _wait_ready(concurrency)
        yield proc
    finally:
        proc.stop(grace=15)
        proc.log_path.unlink(missing_ok=True)


def _wait_ready(concurrency: int) -> None:
    from workers.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5) or []
        if replies:
            return
    raise SystemExit("celery worker did not start")


def _db_url(settings_dict: dict) -> str:
    return (f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
            f"{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")


def _purge() -> None:
    from workers.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("dial")


def dispatch_rate(bench: Bench, concurrency: int, env: dict[str, str] | None = None) -> float:
    """Targets claimed and enqueued at once; calls/s until all their originates arrived."""
    from workers.celery import DIAL_BATCH, app

    ids = bench.fresh_targets(CALLS)
    bench.originates()
    with worker(concurrency, env):
        # One warm-up batch opens the ESL connections of the worker processes.
        warm = bench.fresh_targets(BATCH * concurrency)
        for i in range(0, len(warm), BATCH):
            app.signature(DIAL_BATCH, args=(warm[i:i + BATCH], None)).apply_async()
        bench.wait_originates(len(warm))
        started = time.time()
        for i in range(0, len(ids), BATCH):
            app.signature(DIAL_BATCH, args=(ids[i:i + BATCH], None)).apply_async()
        got = bench.wait_originates(len(ids))
    rate = len(ids) / (max(t for t, _ in got) - started)
    mode = " (connection per call)" if env else ""
    say(f"  {concurrency} worker process(es){mode}: {len(ids)} calls, {rate:.0f} calls/s")
    return rate


def raw_bgapi_rate(bench: Bench) -> float:
    """A bare loop of `bgapi originate` on one connection (the same command shape)."""
    from telephony.client import ESLConnection

    port = next(iter(bench.cluster.ports.values()))
    conn = ESLConnection("127.0.0.1", port, "ClueCon", name="raw").connect()
    n = CALLS
    started = time.perf_counter()
    for i in range(n):
        call = uuid.uuid4()
        conn.bgapi(f"originate {{origination_uuid={call},ignore_early_media=true,"
                   f"originate_timeout=30}}sofia/gateway/bench/+1918{i:07d} "
                   f"'send_dtmf:1@200,bridge:user/3000@bench.example' inline")
    rate = n / (time.perf_counter() - started)
    conn.close()
    bench.originates()
    say(f"  raw bgapi: {rate:.0f} jobs/s")
    return rate


def conn_per_call_rate(bench: Bench) -> float:
    """The same worker dial path (1 process), opening a fresh ESL connection per call."""
    return dispatch_rate(bench, 1, {"SWITCHBOARD_BENCH_CONNECTION_PER_CALL": "1"})


def due_to_originate(bench: Bench) -> list[float]:
    """Targets falling due at a steady rate, dispatched by the real tick once a second through a
    2-process worker; ms from each target's due time (next_attempt_at) to its originate."""
    from campaigns.models import CallAttempt, Target, TargetState
    from campaigns.services.call_path import dispatch
    from workers.tasks.tick import enqueue_dial_batch

    total = LATENCY_RATE * LATENCY_SECONDS
    ids = bench.fresh_targets(total)
    bench.originates()
    with worker(2):
        warm = bench.fresh_targets(4)
        from workers.celery import DIAL_BATCH, app

        app.signature(DIAL_BATCH, args=(warm, None)).apply_async()
        bench.wait_originates(len(warm))
        start = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=1)
        rows = list(Target.objects.filter(id__in=ids).order_by("id"))
        for i, row in enumerate(rows):
            row.state = TargetState.PENDING
            row.next_attempt_at = start + dt.timedelta(seconds=i / LATENCY_RATE)
        Target.objects.bulk_update(rows, ["state", "next_attempt_at"], batch_size=1000)
        got: list[tuple[float, str]] = []
        deadline = time.monotonic() + LATENCY_SECONDS + 60
        next_tick = time.monotonic()
        while len(got) < total and time.monotonic() < deadline:
            if time.monotonic() >= next_tick:
                dispatch.tick(dt.datetime.now(tz=dt.UTC), enqueue_dial_batch)
                next_tick += 1.0  # the beat cadence
            time.sleep(0.05)
            got += bench.originates()
    due = dict(Target.objects.filter(id__in=ids).values_list("id", "next_attempt_at"))
    by_uuid = dict(CallAttempt.objects.filter(target_id__in=ids).values_list("uuid", "target_id"))
    latencies = [(t - due[by_uuid[uuid.UUID(u)]].timestamp()) * 1000 for t, u in got
                 if uuid.UUID(u) in by_uuid]
    say(f"  latency run: {len(latencies)} of {total} calls due at {LATENCY_RATE}/s")
    return latencies


def main() -> None:
    exit_on_signals()
    bench = Bench()
    try:
        _purge()
        say("dispatch with 1 worker process ...")
        one = dispatch_rate(bench, 1)
        say("dispatch with 2 worker processes ...")
        two = dispatch_rate(bench, 2)
        say("raw bgapi loop ...")
        raw = raw_bgapi_rate(bench)
        say("dial path with a connection per call ...")
        fresh = conn_per_call_rate(bench)
        say("due -> originate latency ...")
        latencies = sorted(due_to_originate(bench))
    finally:
        bench.close()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"dispatch_calls_per_s_1w: {one:.1f} calls/s")
    print(f"dispatch_calls_per_s_2w: {two:.1f} calls/s")
    print(f"raw_bgapi_per_s: {raw:.1f} jobs/s")
    print(f"dispatch_to_raw_ratio: {one / raw:.3f} x")
    print(f"conn_per_call_calls_per_s: {fresh:.1f} calls/s")
    print(f"due_to_originate_p50_ms: {p50:.1f} ms")
    print(f"due_to_originate_p99_ms: {p99:.1f} ms")


if __name__ == "__main__":
    main()
