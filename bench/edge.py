"""SIP-edge benchmark: real Kamailio (the project's config), SIPp softphones, the real listener.

Standalone: starts its own Kamailio on free ports, runs the listener's proxy feed in this process
(telephony.listener with one proxy, against real Redis under a fresh key prefix), prints progress
on stderr and exactly these lines on stdout:

    proxy_register_to_routable_p50_ms: <v> ms
    proxy_register_to_routable_p99_ms: <v> ms
    proxy_tcp_kill_to_unroutable_p99_ms: <v> ms      (goal: under 20 ms)
    proxy_ghost_seconds: <v> s                        (goal: 0)
    proxy_reconcile_ms_10000_contacts: <v> ms

* register -> routable: from the `ts` Kamailio stamps on the `register` event (read by our own
  evapi client: the moment save() stored the contact, just before the 200 OK) to the `t` of the
  listener's `register` change on `<prefix>:presence:changes` (the store was written then).
* TCP kill -> unroutable: from just before `kill -9` of the SIPp phone holding the connection to
  the listener's `socket_disconnect` change.
* ghost seconds: time an agent stayed routable in Redis after Kamailio stopped holding its
  contact, summed over three disturbances: a replaced Call-ID (a second phone re-registers the
  same contact, the first dies, then the second), a Kamailio restart, and a listener outage
  during which a phone dies (its tcp-closed event is lost; the reconcile must catch it).
* reconcile: `ul.dump` of 10000 contacts (added with the RPC ul.add) over JSON-RPC, parsed and
  applied to Redis (one RECONCILE script), the listener's own path.

`--quick` takes fewer samples. Figures from a shared noisy machine are indications.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telephony.config import ProxyConfig  # noqa: E402
from telephony.edge_config import EdgeConfig, write  # noqa: E402
from telephony.evapi import JsonRpc, NetstringReader, RpcError, parse_event  # noqa: E402
from telephony.listener import Listener, ListenerConfig  # noqa: E402
from telephony.presence import PresenceStore  # noqa: E402
from telephony.presence_proxy import ProxyPresence  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
DOMAIN = "agents.sb.test"
SIPP = ROOT / "deploy" / "sipp"
PASSWORD = "1234"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Kamailio:
    def __init__(self, workdir: str, ports: tuple[int, int, int] | None = None) -> None:
        sip, rpc, evapi = ports or (free_port(), free_port(), free_port())
        self.config = EdgeConfig(sip_port=sip, rpc_port=rpc, evapi_port=evapi,
                                 rundir=f"{workdir}/run", cfgdir=f"{workdir}/cfg", domain=DOMAIN,
                                 dev_users=(1000, 1999), dev_password=PASSWORD)
        self.workdir = workdir
        self.rpc = JsonRpc("127.0.0.1", rpc, timeout=30)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        path = write(self.config)
        with open(f"{self.workdir}/kamailio.log", "ab") as log:
            self.proc = subprocess.Popen(
                ["kamailio", "-f", str(path), "-DD", "-E", "-m", "256", "-M", "64"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.rpc.boot()
                return
            except (OSError, RuntimeError):
                time.sleep(0.05)
        raise RuntimeError("kamailio did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def holds(self, user: str) -> bool:
        try:
            result = self.rpc.call("ul.lookup", "location", user)
        except RpcError:  # 404 AOR not found
            return False
        return bool(result and isinstance(result, dict) and result.get("Contacts"))


class Phone:
    def __init__(self, kam: Kamailio, user: str, contact_port: int | None = None) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["sipp", f"127.0.0.1:{kam.config.sip_port}", "-sf", str(SIPP / "phone.xml"),
             "-oocsf", str(SIPP / "answer.xml"), "-t", "t1", "-i", "127.0.0.1",
             "-p", str(self.port), "-m", "1", "-key", "user", user,
             "-key", "contact_port", str(contact_port or self.port), "-key", "expires", "300",
             "-key", "unreg", "0", "-au", user, "-ap", PASSWORD, "-d", "600000", "-nostdin",
             "-timeout", "3600"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def kill9(self) -> float:
        at = time.time()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)
        return at

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


class EvapiTap(threading.Thread):
    """Our own evapi client: the ts of each `register` event by AoR."""

    def __init__(self, kam: Kamailio) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", kam.config.evapi_port), timeout=5)
        self.registered: dict[str, float] = {}
        self.cond = threading.Condition()

    def run(self) -> None:
        reader = NetstringReader()
        self.sock.settimeout(None)
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            for payload in reader.feed(data):
                event = parse_event(payload)
                if event.kind == "register":
                    with self.cond:
                        self.registered[event.aor] = event.ts
                        self.cond.notify_all()


class Changes:
    """Read the listener's presence changes (kind, agent) with their `t`."""

    def __init__(self, store: PresenceStore) -> None:
        self.client = store.client
        self.key = store.changes_key
        self.last = "$"
        self.client.xadd(self.key, {"kind": "bench", "t": "0"})
        self.last = self.client.xrange(self.key)[-1][0]

    def wait(self, kind: str, agent: str, timeout: float = 15.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for _, entries in self.client.xread({self.key: self.last}, block=200) or []:
                for entry_id, fields in entries:
                    self.last = entry_id
                    if fields[b"kind"].decode() == kind and fields[b"agent"].decode() == agent:
                        return float(fields[b"t"])
        raise RuntimeError(f"no {kind} change for {agent}")


class ListenerRun:
    def __init__(self, client: redis.Redis, prefix: str, kam: Kamailio) -> None:
        proxy = ProxyConfig("kam1", "127.0.0.1", kam.config.sip_port, kam.config.evapi_port,
                            kam.config.rpc_port, domain=DOMAIN)
        self.listener = Listener(
            client, ListenerConfig(prefix=prefix, grace_seconds=3, reconcile_seconds=30,
                                   owner_lease_seconds=2, agent_sync_seconds=0.2,
                                   proxy_ping_seconds=0.5, backoff_max=0.5),
            nodes=list, proxies=lambda: [proxy])
        self.thread = threading.Thread(target=self.listener.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.listener.stopping.set()
        self.thread.join(15)


def routable(store: PresenceStore, user: str) -> bool:
    agent = f"{user}@{DOMAIN}"
    return store.snapshot([agent], time.time())[agent].routable


def wait_for(predicate, timeout: float = 20.0, what: str = "condition") -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.time()
        time.sleep(0.002)
    raise RuntimeError(f"timed out waiting for {what}")


def ghost_after(store: PresenceStore, user: str, gone_at: float, timeout: float = 30.0) -> float:
    """Seconds the agent stayed routable after Kamailio stopped holding its contact."""
    until = wait_for(lambda: not routable(store, user), timeout, f"{user} unroutable")
    return max(0.0, until - gone_at)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (about a minute)")
    args = parser.parse_args(argv)
    samples = 10 if args.quick else 100
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"sbbench:{uuid.uuid4().hex[:12]}"
    store = PresenceStore(client, prefix)
    workdir = tempfile.mkdtemp(prefix="sb-bench-edge-")
    kam = Kamailio(workdir)
    phones: list[Phone] = []
    run: ListenerRun | None = None
    try:
        kam.start()
        tap = EvapiTap(kam)
        tap.start()
        users = [str(1000 + i) for i in range(samples)]
        store.sync_agents({"sales": [(f"{u}@{DOMAIN}", 0, True) for u in
                                     [*users, "1900", "1901", "1902", "1903"]]}, time.time())
        run = ListenerRun(client, prefix, kam)
        wait_for(lambda: store.node_status("kam1").state == "up", what="proxy followed")
        changes = Changes(store)

        say(f"register -> routable, {samples} phones")
        register_ms: list[float] = []
        for user in users:
            phones.append(Phone(kam, user))
            t_change = changes.wait("register", f"{user}@{DOMAIN}")
            with tap.cond:
                tap.cond.wait_for(lambda u=user: u in tap.registered, timeout=10)
            register_ms.append((t_change - tap.registered[user]) * 1000)

        say(f"kill -9 -> unroutable, {samples} phones")
        kill_ms: list[float] = []
        for user, phone in zip(users, phones, strict=True):
            at = phone.kill9()
            kill_ms.append((changes.wait("socket_disconnect", f"{user}@{DOMAIN}") - at) * 1000)

        say("ghosts: a replaced Call-ID")
        ghost = 0.0
        first = Phone(kam, "1900")
        phones.append(first)
        wait_for(lambda: routable(store, "1900"), what="1900 routable")
        second = Phone(kam, "1900", contact_port=first.port)
        phones.append(second)
        time.sleep(1.0)
        first.kill9()
        time.sleep(0.5)
        if not routable(store, "1900"):
            raise RuntimeError("the refreshed contact was dropped with the old connection")
        second.kill9()
        gone = wait_for(lambda: not kam.holds("1900"), what="1900 gone from Kamailio")
        ghost += ghost_after(store, "1900", gone)

        say("ghosts: a Kamailio restart")
        phone = Phone(kam, "1901")
        phones.append(phone)
        wait_for(lambda: routable(store, "1901"), what="1901 routable")
        gone = time.time()
        kam.stop()
        ghost += ghost_after(store, "1901", gone)
        phone.stop()
        kam.start()
        wait_for(lambda: store.node_status("kam1").state == "up", what="proxy followed again")

        say("ghosts: a listener outage while a phone dies")
        keep, dies = Phone(kam, "1902"), Phone(kam, "1903")
        phones += [keep, dies]
        wait_for(lambda: routable(store, "1902") and routable(store, "1903"), what="registered")
        run.stop()
        gone = dies.kill9()
        wait_for(lambda: not kam.holds("1903"), what="1903 gone from Kamailio")
        ghost += ghost_after(store, "1903", gone)
        run = ListenerRun(client, prefix, kam)
        wait_for(lambda: routable(store, "1902"), what="1902 trusted after the reconcile")
        if routable(store, "1903"):
            raise RuntimeError("the reconcile brought back a dead contact")

        say("reconcile of 10000 contacts")
        run.stop()
        run = None
        for i in range(10000):
            user = str(100000 + i)
            kam.rpc.call("ul.add", "location", user, f"sip:{user}@127.0.0.1:{20000 + i % 40000}",
                         3600, 1.0, "", 0, 0, 4294967295)
        proxy = ProxyPresence(store)
        boot = kam.rpc.boot()
        proxy.connected("kam1", boot, time.time())
        started = time.perf_counter()
        contacts = kam.rpc.dump(DOMAIN, time.time())
        proxy.reconcile("kam1", boot, contacts, time.time())
        reconcile_ms = (time.perf_counter() - started) * 1000
        if len(contacts) < 10000:
            raise RuntimeError(f"ul.dump listed {len(contacts)} contacts")
    finally:
        if run is not None:
            run.stop()
        for phone in phones:
            phone.stop()
        kam.stop()
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)

    print(f"proxy_register_to_routable_p50_ms: {statistics.median(register_ms):.2f} ms")
    print(f"proxy_register_to_routable_p99_ms: {percentile(register_ms, 0.99):.2f} ms")
    print(f"proxy_tcp_kill_to_unroutable_p99_ms: {percentile(kill_ms, 0.99):.2f} ms")
    print(f"proxy_ghost_seconds: {ghost:.3f} s")
    print(f"proxy_reconcile_ms_10000_contacts: {reconcile_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
