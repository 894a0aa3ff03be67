"""Fault rounds: N rounds of each fault on a running 100-target campaign, counting what the
product loses, doubles, or dials again after an answer. A benchmark, not a test: it prints.

Everything runs on this machine with services of its OWN, never the shared ones (other people
use 6379 and 5432): a private `redis-server` on a free port (broker, presence, events) and a
private PostgreSQL cluster (`initdb` in a temporary directory, on a free port), so the Redis and
PostgreSQL restarts harm nobody. Then: an emulated 3-node cluster in-process posting CDRs to a
gunicorn web process, and as real processes the listener, the results consumer, two Celery
workers and beat. Each round starts a fresh campaign (every number answers after 40 ms and hangs
up 0.9 s later; CDRs posted by mod_json_cdr with a queue), waits until a quarter of it has
ended, injects the fault, undoes it, and waits for the campaign to complete (or a deadline).
Faults:

    worker_sigkill       SIGKILL one worker's process group, start another
    node_stop_start      stop an emulated node (calls die with it) for 3 s, start it again
    node_silent          a node stops answering ESL for 5 s, then answers again
    listener_kill9       SIGKILL the listener for 4 s, start another
    consumer_kill9       SIGKILL the consumer for 2 s, start another
    redis_flush_stream   delete the events stream (and its group) under a running consumer
    redis_restart        SIGKILL the private redis-server, start it 3 s later (data gone)
    postgres_restart     an immediate restart of the private cluster (SIGQUIT, as
                         `pg_ctl restart -m immediate` does)

Per fault, on stdout:

    faults_<name>_rounds: <n> rounds
    faults_<name>_lost: <n> targets                  not final at the round's deadline, or an
                                                     originate a node received with no attempt
    faults_<name>_doubled: <n> targets               two calls for one target at once, or two
                                                     answered calls for one number
    faults_<name>_redialled_after_answer: <n> calls  originates to a number after its callee had
                                                     answered (the emulator's own record)

Usage: python bench/faults.py [--rounds N] [--faults a,b,...]   (default 20 rounds; --rounds 2
is a quick check of about ten minutes). All zeros is the bar.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from switchboard.children import Child, exit_on_signals, free_port, popen, stop_all  # noqa: E402

FAULTS = ["worker_sigkill", "node_stop_start", "node_silent", "listener_kill9",
          "consumer_kill9", "redis_flush_stream", "redis_restart", "postgres_restart"]
QUICK = "--quick" in sys.argv[1:]  # seconds, small sizes: the suite's check that figures print
TARGETS = 12 if QUICK else 100
ROUND_DEADLINE_S = 150.0
CDR_PASSWORD = "bench-cdr-secret"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- private services ----------------------------------------------------------------------------


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="sb-faults-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind",
             "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_port(self.port)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb), run as `postgres` when we are root."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sb-faults-pg-"))
        self.data = self.dir / "data"
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        self.bin = bins[-1] if bins else Path(shutil.which("pg_ctl") or "pg_ctl").parent

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *argv], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd="/tmp")

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "switchboard",
                  "--auth=trust", "-E", "UTF8")
        self._serve()

    def _serve(self) -> None:
        """The postmaster as our child (not daemonised by pg_ctl), so it dies with the bench."""
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.server = Child([*prefix, str(self.bin / "postgres"), "-D", str(self.data),
                             "-p", str(self.port), "-k", str(self.dir), "-c", "fsync=off",
                             "-c", "max_connections=200"], cwd="/tmp", name="postgres",
                            log_path=self.dir / "log", stop_signal=signal.SIGQUIT)
        self.server.wait_for("ready to accept connections", timeout=60)

    def _immediate_stop(self) -> None:
        """`pg_ctl stop -m immediate`: SIGQUIT to the postmaster itself (runuser's child)."""
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGQUIT)
        self.server.stop(grace=20)

    def restart(self) -> None:
        self._immediate_stop()
        self._serve()

    @property
    def url(self) -> str:
        return f"postgres://switchboard@127.0.0.1:{self.port}/switchboard"

    def stop(self) -> None:
        if getattr(self, "server", None) is not None:
            self._immediate_stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing on port {port}")


class Proc(Child):
    def __init__(self, argv: list[str], env: dict[str, str], kind: str) -> None:
        super().__init__(argv, env=env, cwd=ROOT, name=f"faults-{kind}")
        self.kind = kind

    def kill9(self) -> None:
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


# -- the world -----------------------------------------------------------------------------------


class World:
    def __init__(self) -> None:
        self.redis = PrivateRedis()
        self.pg = PrivatePostgres()
        self.procs: dict[str, list[Proc]] = {}
        self.prefix = f"sbfaults:{uuid.uuid4().hex[:8]}"
        self.cdr_dir = tempfile.mkdtemp(prefix="sb-faults-cdr-")

    def start(self) -> None:
        say("starting a private redis-server and PostgreSQL cluster")
        self.redis.start()
        self.pg.start()
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=self.pg.url, DATABASE_CONN_MAX_AGE="0", REDIS_URL=self.redis.url,
            CELERY_BROKER_URL=self.redis.url, REDIS_KEY_PREFIX=self.prefix,
            DJANGO_SETTINGS_MODULE="switchboard.settings",
            DJANGO_SECRET_KEY="bench-only-secret", PYTHONUNBUFFERED="1", LOG_LEVEL="INFO",
            PRESENCE_NODE_GRACE_SECONDS="3", PRESENCE_RECONCILE_SECONDS="5",
            DISPATCH_QUEUED_TIMEOUT_SECONDS="10", CDR_PASSWORD=CDR_PASSWORD,
            CDR_ERR_LOG_DIRS=self.cdr_dir, FREESWITCH_NODES="")
        os.environ.update(self.env)
        subprocess.run([sys.executable, "-c", _CREATE_DB.format(port=self.pg.port)],
                       check=True, cwd=ROOT)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT,
                       env=self.env, check=True)
        import django

        django.setup()
        from emulator.cluster import Cluster

        self.cluster = Cluster(nodes=3, heartbeat_interval=1.0, agent_answer_ms=50, sps=100,
                               max_sessions=2000).start()
        self.nodes = sorted(self.cluster.ports)
        self._rows()
        web_port = free_port()
        self.spawn("web", [sys.executable, "-m", "gunicorn", "switchboard.wsgi", "-b",
                           f"127.0.0.1:{web_port}", "-w", "2", "--threads", "4"])
        _wait_port(web_port)
        for node in self.nodes:
            modules = [{"module": "json", "url": f"http://127.0.0.1:{web_port}/cdr/json",
                        "cred": f"switchboard:{CDR_PASSWORD}", "retries": 2, "delay": 0.5,
                        "timeout": 3, "queue_capacity": 1000,
                        "err_log_dir": os.path.join(self.cdr_dir, "json_cdr")}]
            self.cluster.node(node).call("configure_cdr", modules=modules)
        self.spawn("listener", [sys.executable, "manage.py", "listen", "--agent-sync", "1"])
        self.spawn("consumer", [sys.executable, "manage.py", "consume_events"])
        for _ in range(2):
            self.worker()
        subprocess.run([sys.executable, "manage.py", "setup_schedules"], cwd=ROOT,
                       env=self.env, check=True, capture_output=True)
        self._fast_schedules()
        self.spawn("beat", [sys.executable, "-m", "celery", "-A", "workers", "beat", "-S",
                            "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile",
                            os.path.join(self.cdr_dir, "beat.pid")])
        self._wait_routable()

    def worker(self) -> None:
        self.spawn("worker", [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q",
                              "tick,dial,control,default", "-c", "2", "-n",
                              f"faults-{uuid.uuid4().hex[:6]}@%h", "--without-gossip",
                              "--without-mingle"])

    def spawn(self, kind: str, argv: list[str]) -> Proc:
        proc = Proc(argv, self.env, kind)
        self.procs.setdefault(kind, []).append(proc)
        return proc

    def _rows(self) -> None:
        from campaigns.models import AgentGroup, Node, Trunk

        self.group = AgentGroup.objects.create(name="bench agents")
        self.trunk = Trunk.objects.create(name="bench trunk", gateway="carrier1", cps_limit=40,
                                          max_concurrent=10_000)
        from campaigns.models import Agent

        for name, port in self.cluster.ports.items():
            Node.objects.create(name=name, esl_host="127.0.0.1", esl_port=port,
                                esl_password="ClueCon", max_cps=15, max_sessions=1000)
            for i in range(6):
                agent = Agent.objects.create(group=self.group, name=f"{name}-{i}",
                                             sip_user=f"{name}a{i}",
                                             sip_domain="pbx.example.com", wrapup_seconds=0)
                self.cluster.node(name).call("register_agent", user=agent.sip_user,
                                             domain=agent.sip_domain, transport="tcp")
        for node in self.nodes:
            self.cluster.node(node).call("set_outcome", pattern="+1419*", kind="answer",
                                         answer_ms=40, hangup_ms=900)

    def _fast_schedules(self) -> None:
        from django_celery_beat.models import IntervalSchedule, PeriodicTask

        for name, task, seconds in (("faults: reconcile", "switchboard.reconcile_calls", 3),
                                    ("faults: reap", "switchboard.reap_queued", 3),
                                    ("faults: sweep", "switchboard.reconcile_sweep_cdrs", 5)):
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=seconds, period=IntervalSchedule.SECONDS)
            PeriodicTask.objects.update_or_create(name=name, defaults={"task": task,
                                                                       "interval": interval})

    def _wait_routable(self, timeout: float = 60.0) -> None:
        import redis as redis_lib

        from telephony.presence import PresenceStore

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis_lib.RedisError):
                store = PresenceStore(redis_lib.Redis.from_url(self.redis.url), self.prefix)
                statuses = store.node_statuses()
                if len(statuses) >= 3 and all(s.up for s in statuses.values()):
                    return
            time.sleep(0.5)
        say("warning: not every node up in presence")

    def stop(self) -> None:
        stop_all([proc for procs in self.procs.values() for proc in procs])
        with contextlib.suppress(Exception):
            self.cluster.stop()
        self.redis.stop()
        self.pg.stop()
        shutil.rmtree(self.cdr_dir, ignore_errors=True)

    # -- rounds ----------------------------------------------------------------------------------

    def campaign(self, n: int) -> Any:
        from campaigns.models import Campaign, CampaignStatus, Target

        campaign = Campaign.objects.create(
            name=f"faults round {n} {uuid.uuid4().hex[:4]}", trunk=self.trunk,
            agent_group=self.group, status=CampaignStatus.RUNNING, mode="target_first",
            weekdays=0b1111111, daily_start=dt.time(0, 0), daily_end=dt.time(0, 0),
            max_concurrent=1000, calls_per_second=1000, originate_timeout=2, max_attempts=3,
            retry_busy_seconds=1, retry_no_answer_seconds=30, retry_failed_seconds=1,
            dtmf_settle_ms=200, dtmf_duration_ms=100)
        base = f"+1419{n % 1000:03d}"
        Target.objects.bulk_create(Target(campaign=campaign, number=f"{base}{i:04d}",
                                          extension="5") for i in range(TARGETS))
        return campaign

    def inject(self, fault: str) -> None:
        import redis as redis_lib

        node = self.nodes[0]
        if fault == "worker_sigkill":
            self.procs["worker"].pop(0).kill9()
            self.worker()
        elif fault == "node_stop_start":
            self.cluster.node(node).call("stop")
            time.sleep(3)
            self.cluster.node(node).call("start")
        elif fault == "node_silent":
            self.cluster.node(node).call("hang")
            time.sleep(5)
            self.cluster.node(node).call("unhang")
        elif fault == "listener_kill9":
            self.procs["listener"].pop(0).kill9()
            time.sleep(4)
            self.spawn("listener", [sys.executable, "manage.py", "listen", "--agent-sync", "1"])
        elif fault == "consumer_kill9":
            self.procs["consumer"].pop(0).kill9()
            time.sleep(2)
            self.spawn("consumer", [sys.executable, "manage.py", "consume_events"])
        elif fault == "redis_flush_stream":
            redis_lib.Redis.from_url(self.redis.url).delete(f"{self.prefix}:events")
        elif fault == "redis_restart":
            self.redis.kill()
            time.sleep(3)
            self.redis.start()
        elif fault == "postgres_restart":
            self.pg.restart()
        else:
            raise ValueError(fault)

    def run_round(self, fault: str, n: int) -> dict[str, int]:
        from django.db import close_old_connections

        from campaigns.models import CallAttempt, Campaign, CampaignStatus

        campaign = self.campaign(n)
        started = time.time()
        deadline = time.monotonic() + ROUND_DEADLINE_S
        while time.monotonic() < deadline:
            if (CallAttempt.objects.filter(campaign=campaign, ended_at__isnull=False).count()
                    >= TARGETS // 4):
                break
            time.sleep(0.2)
        self.inject(fault)
        while time.monotonic() < deadline:
            try:
                close_old_connections()
                if Campaign.objects.get(id=campaign.id).status == CampaignStatus.COMPLETED:
                    break
            except Exception:  # PostgreSQL restarting under us
                close_old_connections()
            time.sleep(0.5)
        time.sleep(1.0)
        close_old_connections()
        return self.measure(campaign, started)

    def measure(self, campaign: Any, since: float) -> dict[str, int]:
        from campaigns.models import CallAttempt, Target, TargetState

        open_states = (TargetState.PENDING, TargetState.QUEUED, TargetState.DIALING,
                       TargetState.RETRY_WAIT)
        numbers = set(Target.objects.filter(campaign=campaign).values_list("number", flat=True))
        unfinished = Target.objects.filter(campaign=campaign, state__in=open_states).count()
        uuids = {str(u) for u in CallAttempt.objects.filter(campaign=campaign)
                 .values_list("uuid", flat=True)}
        # The emulator's own record: every A leg it created for this campaign's numbers.
        legs = []
        for node in self.nodes:
            with contextlib.suppress(Exception):
                legs += [c for c in self.cluster.node(node).call("channels", since=since - 1)
                         if not c["b_leg"] and _number(c) in numbers]
        unrecorded = sum(1 for c in legs if c["uuid"] not in uuids)
        by_number: dict[str, list[dict[str, Any]]] = {}
        for leg in legs:
            by_number.setdefault(_number(leg), []).append(leg)
        answered_twice = 0
        redialled = 0
        for calls in by_number.values():
            calls.sort(key=lambda c: c["created"])
            answered = [c for c in calls if c["answered_at"]]
            if len(answered) > 1:
                answered_twice += 1
            if answered:
                first = answered[0]["answered_at"]
                redialled += sum(1 for c in calls if c["created"] > first)
        overlapping = _overlapping(campaign)
        return {"lost": unfinished + unrecorded, "doubled": overlapping + answered_twice,
                "redialled_after_answer": redialled, "calls_seen": len(legs)}


def _number(leg: dict[str, Any]) -> str:
    number = str(leg["number"])
    return number if number.startswith("+") else "+" + number


def _overlapping(campaign: Any) -> int:
    from campaigns.models import CallAttempt

    spans: dict[int, list[tuple[Any, Any]]] = {}
    for a in CallAttempt.objects.filter(campaign=campaign):
        spans.setdefault(a.target_id, []).append((a.created_at, a.ended_at or a.created_at))
    bad = 0
    for rows in spans.values():
        rows.sort()
        if any(rows[i + 1][0] < rows[i][1] for i in range(len(rows) - 1)):
            bad += 1
    return bad


_CREATE_DB = """
import psycopg
with psycopg.connect("host=127.0.0.1 port={port} user=switchboard dbname=postgres",
                     autocommit=True) as conn:
    conn.execute("CREATE DATABASE switchboard")
"""


def main() -> None:
    exit_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds per fault (default 20)")
    parser.add_argument("--quick", action="store_true",
                        help=f"one round of each fault on {TARGETS} targets: the suite's check")
    parser.add_argument("--faults", default=",".join(FAULTS),
                        help="comma-separated subset of: " + ", ".join(FAULTS))
    args = parser.parse_args()
    if args.quick:
        args.rounds = 1
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown or args.rounds < 1:
        parser.error(f"unknown faults {sorted(unknown)}" if unknown else "--rounds must be >= 1")
    world = World()
    totals: dict[str, Counter[str]] = {}
    try:
        world.start()
        n = 0
        for fault in faults:
            totals[fault] = Counter()
            for r in range(args.rounds):
                n += 1
                figures = world.run_round(fault, n)
                totals[fault].update({k: v for k, v in figures.items() if k != "calls_seen"})
                totals[fault]["rounds"] += 1
                say(f"{fault} round {r + 1}: {figures}")
    finally:
        world.stop()
    for fault in faults:
        t = totals.get(fault, Counter())
        print(f"faults_{fault}_rounds: {t['rounds']} rounds")
        print(f"faults_{fault}_lost: {t['lost']} targets")
        print(f"faults_{fault}_doubled: {t['doubled']} targets")
        print(f"faults_{fault}_redialled_after_answer: {t['redialled_after_answer']} calls")


if __name__ == "__main__":
    main()
