"""Presence benchmark: TCP-drop latency through the real listener, and reservation throughput.

Standalone: it starts its own emulator and `manage.py listen` (against a throwaway SQLite
database and a fresh Redis key prefix), prints progress on stderr and exactly these lines on
stdout:

    drop_to_unroutable_p50_ms: <v> ms
    drop_to_unroutable_p99_ms: <v> ms
    reservations_per_s: <v> ops/s
    registrations_applied_per_s: <v> events/s

registrations_applied_per_s is the listener's own apply path (parse, normalise, one pipeline
per burst) on real Redis; the end-to-end burst through the emulator is printed on stderr.
Drop latency runs from the Event-Date-Timestamp of the emulator's TCP-drop event (when the
emulator wrote it; read by our own ESL subscriber) to the moment the listener's change for that
agent is read from the `<prefix>:presence:changes` stream. Both clocks are this machine's.
Figures from a shared noisy machine are indications, never pass/fail.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator.control import EmulatorControl  # noqa: E402
from switchboard.children import Child, exit_on_signals, stop_all  # noqa: E402
from telephony.client import ESLConnection  # noqa: E402
from telephony.config import NodeConfig  # noqa: E402
from telephony.events import Registered, Registration  # noqa: E402
from telephony.presence import PresenceStore  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
QUICK = "--quick" in sys.argv[1:]  # seconds, small sizes: the suite's check that figures print
DROP_SAMPLES = int(os.environ.get("BENCH_DROP_SAMPLES", "20" if QUICK else "200"))
RESERVE_SECONDS = float(os.environ.get("BENCH_RESERVE_SECONDS", "0.5" if QUICK else "3"))
BURST = int(os.environ.get("BENCH_REGISTRATION_BURST", "200" if QUICK else "2000"))


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- drop latency ------------------------------------------------------------------------------

def drop_latency(control: EmulatorControl, port: int, store: PresenceStore) -> list[float]:
    """Register, drop, and time each drop from the emulator's event to the presence change."""
    control.post("fs1", "configure", tcp_drop_mode="patched")
    watcher = ESLConnection.for_node(NodeConfig("fs1", "127.0.0.1", port, "ClueCon"))
    watcher.connect()
    watcher.subscribe([], ["sofia::transport_error"])
    client = store.client
    last_id = "$"
    samples: list[float] = []
    try:
        for i in range(DROP_SAMPLES):
            user = f"{5000 + i}"
            agent = f"{user}@127.0.0.1"
            control.register_agent("fs1", user, transport="tcp", network_port=30000 + i)
            # wait until the listener has the registration
            deadline = time.monotonic() + 10
            while not store.snapshot([agent], time.time())[agent].registrations:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"registration of {agent} never applied")
                time.sleep(0.002)
            last = client.xrevrange(store.changes_key, count=1)
            last_id = last[0][0] if last else "0"
            control.drop_agent("fs1", user)
            event = watcher.read_event(timeout=10)
            if event is None:
                raise RuntimeError("no transport_error event seen")
            written = int(event.get("Event-Date-Timestamp") or "0") / 1_000_000
            seen = None
            while seen is None:
                for _, entries in client.xread({store.changes_key: last_id}, block=5000) or []:
                    for entry_id, fields in entries:
                        last_id = entry_id
                        if fields[b"agent"] == agent.encode() and \
                                fields[b"kind"] == b"transport_drop":
                            seen = time.time()
                if seen is None and time.monotonic() > deadline + 10:
                    raise RuntimeError(f"drop of {agent} never applied")
            samples.append((seen - written) * 1000)
            if (i + 1) % 50 == 0:
                say(f"  {i + 1}/{DROP_SAMPLES} drops measured")
    finally:
        watcher.close()
    return samples


# -- registration burst -----------------------------------------------------------------------

def registration_burst(control: EmulatorControl, store: PresenceStore) -> float:
    """Register BURST agents across both nodes from 8 threads; rate of application in Redis."""
    nodes_key = [f"{store.base}:noderegs:fs1", f"{store.base}:noderegs:fs2"]
    before = sum(store.client.scard(k) for k in nodes_key)

    def one(i: int) -> None:
        control.register_agent("fs1" if i % 2 else "fs2", f"{20000 + i}", transport="udp",
                               network_port=40000 + i % 20000)

    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(BURST)))
    while sum(store.client.scard(k) for k in nodes_key) < before + BURST:
        if time.time() - started > 60:
            raise RuntimeError("registration burst never fully applied")
        time.sleep(0.005)
    return BURST / (time.time() - started)


def listener_apply_rate(prefix: str) -> float:
    """The listener's own path for a burst (parse, normalise, pipelined apply) on real Redis.

    The emulator's HTTP control API cannot generate REGISTERs faster than a few hundred a
    second here, so the end-to-end burst above measures the emulator; this measures the
    listener: the same NodeFeed._handle the process runs, fed the plain-event bytes a node
    sends (the emulator's own sofia::register header set).
    """
    from urllib.parse import quote

    from emulator.registrations import new_registration, register_headers
    from telephony.listener import Listener, ListenerConfig, NodeFeed
    from telephony.protocol import parse_plain_event

    core = str(uuid.uuid4())
    client = redis.Redis.from_url(REDIS_URL)
    listener = Listener(client, ListenerConfig(prefix=prefix), nodes=list)
    feed = NodeFeed(NodeConfig("fs1", "127.0.0.1", 8021, "unused"), listener)
    feed.core = core
    now = time.time()
    raw = []
    for i in range(BURST * 5):
        reg = new_registration(f"{100000 + i}", "127.0.0.1", expires=3600, transport="tcp",
                               late_margin=60, now=now, network_port=10000 + i % 50000)
        headers = [("Event-Subclass", "sofia::register"), ("Event-Name", "CUSTOM"),
                   ("Core-UUID", core), ("Event-Sequence", str(i + 1)),
                   *register_headers(reg)]
        raw.append("".join(f"{k}: {quote(v, safe='')}\n" for k, v in headers).encode())
    started = time.perf_counter()
    batch = []
    for data in raw:
        batch.append(parse_plain_event(data))
        if len(batch) == 1000:
            feed._handle(None, batch)  # type: ignore[arg-type]
            batch = []
    if batch:
        feed._handle(None, batch)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    held = client.scard(f"{prefix}:presence:noderegs:fs1")
    if held != len(raw):
        raise RuntimeError(f"only {held} of {len(raw)} registrations applied")
    return len(raw) / elapsed


# -- reservation throughput -------------------------------------------------------------------

def _reserver(prefix: str, start_at: float, seconds: float, out: multiprocessing.Queue) -> None:
    store = PresenceStore(redis.Redis.from_url(REDIS_URL), prefix)
    time.sleep(max(0.0, start_at - time.time()))
    pairs = 0
    end = start_at + seconds
    while True:
        now = time.time()
        if now >= end:
            break
        got = store.reserve("bench", ["n1", "n2"], now, 30)
        if got is not None:
            store.release(got.token, now, 0)
            pairs += 1
    out.put(pairs)


def reservations(prefix: str) -> float:
    """reserve + release pairs per second across 4 processes on a 200-agent group."""
    store = PresenceStore(redis.Redis.from_url(REDIS_URL), prefix)
    now = time.time()
    agents = [f"b{i}@bench" for i in range(200)]
    store.sync_agents({"bench": [(a, 0, True) for a in agents]}, now)
    for node in ("n1", "n2"):
        store.node_connected(node, f"core-{node}", now)
    for i, agent in enumerate(agents):
        node = "n1" if i % 2 else "n2"
        store.apply(node, Registered(f"core-{node}", i + 1, Registration(
            agent=agent, call_id=f"c{i}", profile="internal", contact="sip:x",
            network_ip="10.0.0.1", network_port=str(10000 + i), transport="udp",
            user_agent="bench", expires_at=now + 3600)), now)
    for node in ("n1", "n2"):
        store.client.hset(f"{store.base}:node:{node}", "state", "up")
    out: multiprocessing.Queue = multiprocessing.Queue()
    start_at = time.time() + 1.0
    procs = [multiprocessing.Process(target=_reserver, args=(prefix, start_at, RESERVE_SECONDS,
                                                              out)) for _ in range(4)]
    for p in procs:
        p.start()
    total = sum(out.get(timeout=RESERVE_SECONDS + 60) for _ in procs)
    for p in procs:
        p.join()
    return total / RESERVE_SECONDS


def main() -> int:
    exit_on_signals()
    prefix = f"sbbench:{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    work = Path(tempfile.mkdtemp(prefix="sb-bench-presence-"))
    env = dict(os.environ, REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=prefix, PYTHONUNBUFFERED="1",
               DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
               DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-only"),
               DJANGO_SETTINGS_MODULE="switchboard.settings", LOG_LEVEL="WARNING")
    procs: list[Child] = []
    try:
        say("== migrating a throwaway SQLite database")
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True)
        say("== starting the emulator (2 nodes)")
        emu = Child([sys.executable, "-m", "emulator", "--nodes", "2", "--esl-port",
                     "0", "--control-port", "0", "--heartbeat", "5"], env=env, cwd=ROOT,
                    name="emulator", log_path=work / "emulator.log")
        procs.append(emu)
        text = emu.wait_for("EMULATOR READY", timeout=60)
        ready = json.loads(text.split("EMULATOR READY ", 1)[1].splitlines()[0])
        control = EmulatorControl(f"http://127.0.0.1:{ready['control']}")
        ports = ready["nodes"]
        env["FREESWITCH_NODES"] = ",".join(f"{n}=127.0.0.1:{p}" for n, p in sorted(ports.items()))
        env["FREESWITCH_PASSWORD"] = "ClueCon"  # the emulator's default, given explicitly
        say("== starting the listener (manage.py listen)")
        listener = Child([sys.executable, "manage.py", "listen"], env={**env, "LOG_LEVEL": "INFO"},
                         cwd=ROOT, name="listener", log_path=work / "listener.log")
        procs.append(listener)
        for name, port in ports.items():
            listener.wait_for(f"node {name} (127.0.0.1:{port}) connected", timeout=60)
        store = PresenceStore(client, prefix)

        say(f"== {DROP_SAMPLES} TCP drops (patched mode: ip:port mapped back), one at a time")
        samples = sorted(drop_latency(control, ports["fs1"], store))
        p50 = statistics.median(samples)
        p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
        say(f"== registration burst: {BURST} REGISTERs from 8 threads via the control API")
        burst_rate = registration_burst(control, store)
        say(f"   end to end through the listener: {burst_rate:.0f} events/s "
            "(bounded by the emulator's HTTP control API)")
        say(f"== listener apply path: {BURST * 5} sofia::register events, parsed and applied")
        apply_rate = listener_apply_rate(f"{prefix}:apply")
        say("== reservations: 4 processes, reserve + release pairs")
        rate = reservations(f"{prefix}:res")
    finally:
        stop_all(procs)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
        shutil.rmtree(work, ignore_errors=True)
    print(f"drop_to_unroutable_p50_ms: {p50:.2f} ms")
    print(f"drop_to_unroutable_p99_ms: {p99:.2f} ms")
    print(f"reservations_per_s: {rate:.0f} ops/s")
    print(f"registrations_applied_per_s: {apply_rate:.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
