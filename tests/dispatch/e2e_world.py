"""The end-to-end world: an emulated 3-node cluster, registered agents, and the real processes.

`build_world` and `start_processes` (used by tests/dispatch/test_e2e*.py and test_cluster*.py)
start, in this order: the emulator cluster in-process (real TCP), Node rows pointing at
it, then the listener (`manage.py listen`), the results consumer (`manage.py consume_events`), a
Celery worker and Celery beat (the 1-second tick) as real subprocesses. Every process is stopped
at teardown.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaigns.models import Agent, CallAttempt, Campaign, CampaignStatus, Node
from emulator.cluster import Cluster
from telephony.presence import PresenceStore
from tests.factories import make_agent, make_campaign, make_group, make_trunk
from tests.processes import Process, stop_all

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "pbx.example.com"
ALL_DAYS = 0b1111111


class ManagedProcess(Process):
    """A `manage.py` subprocess with its output in a temporary file, stopped at teardown."""

    def __init__(self, args: list[str], env: dict[str, str], kind: str) -> None:
        super().__init__([sys.executable, "manage.py", *args], env, kind)


def wait_for(condition: Callable[[], Any], timeout: float, what: str,
             on_timeout: Callable[[], str] = lambda: "") -> Any:
    """Poll until `condition()` is truthy; fail the test with `what` (and some context) if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{on_timeout()}")


@dataclass
class World:
    """Handles a test needs: the cluster, node names, agents per node, processes, presence."""

    cluster: Cluster
    presence: PresenceStore
    env: dict[str, str]
    nodes: list[str]
    agents: dict[str, list[Agent]] = field(default_factory=dict)
    processes: list[ManagedProcess] = field(default_factory=list)

    def start(self, *args: str, kind: str) -> ManagedProcess:
        proc = ManagedProcess(list(args), self.env, kind)
        self.processes.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {p.kind}\n{p.log()[-3000:]}" for p in self.processes)

    def campaign(self, **fields: Any) -> Campaign:
        """A running campaign for the agents registered in the world, with short timers."""
        group = self.agents_group
        trunk = make_trunk(cps_limit=fields.pop("trunk_cps", 20), max_concurrent=10_000)
        fields.setdefault("weekdays", ALL_DAYS)
        fields.setdefault("daily_start", dt.time(0, 0))
        fields.setdefault("daily_end", dt.time(0, 0))
        fields.setdefault("max_concurrent", 1000)
        fields.setdefault("calls_per_second", 1000)
        # FreeSWITCH (and the emulator) checks originate_timeout in whole seconds of the clock,
        # so 1 s can expire within milliseconds: 2 s is the shortest that lets a 40 ms answer in.
        fields.setdefault("originate_timeout", 2)
        fields.setdefault("max_attempts", 3)
        fields.setdefault("retry_busy_seconds", 1)
        fields.setdefault("retry_no_answer_seconds", 1)
        fields.setdefault("retry_failed_seconds", 1)
        fields.setdefault("retry_abandoned_seconds", 1)
        fields.setdefault("dtmf_settle_ms", 300)
        fields.setdefault("dtmf_duration_ms", 100)
        return make_campaign(trunk=trunk, agent_group=group, status=CampaignStatus.RUNNING,
                             **fields)

    def originates(self, node: str) -> list[float]:
        """Times at which the node received `bgapi originate` commands."""
        return [c["t"] for c in self.cluster.node(node).call("commands", contains="originate")
                if c["command"].startswith("bgapi originate")]

    def channel(self, node: str, call_uuid: str) -> dict[str, Any]:
        return self.cluster.node(node).call("channel", uuid=call_uuid)

    agents_group: Any = None


def build_world(process_env: dict[str, str], redis_client: Any, key_prefix: str, *,
                agents_per_node: int, node_cps: int = 10, nodes: int = 3) -> World:
    """Start the emulated cluster and register the agents; the processes come after."""
    cluster = Cluster(nodes=nodes, heartbeat_interval=1.0, agent_answer_ms=50, sps=100,
                      max_sessions=2000).start()
    world = World(cluster=cluster, presence=PresenceStore(redis_client, key_prefix),
                  env=dict(process_env), nodes=sorted(cluster.ports))
    world.env.update(PRESENCE_NODE_GRACE_SECONDS="3", PRESENCE_RECONCILE_SECONDS="5",
                     LOG_LEVEL="INFO")
    group = make_group()
    world.agents_group = group
    for name, port in cluster.ports.items():
        Node.objects.create(name=name, esl_host="127.0.0.1", esl_port=port,
                            esl_password="ClueCon", max_cps=node_cps, max_sessions=1000)
        people = [make_agent(group, sip_domain=DOMAIN, wrapup_seconds=0)
                  for _ in range(agents_per_node)]
        for agent in people:
            cluster.node(name).call("register_agent", user=agent.sip_user, domain=DOMAIN,
                                    transport="tcp")
        world.agents[name] = people
    return world


def start_processes(world: World, *, worker_factory: Any, beat_factory: Any,
                    workers: int = 1) -> None:
    """Listener and consumer first (presence must be up before the tick sees any agent)."""
    from workers.management.commands.setup_schedules import install_schedules

    world.start("listen", "--agent-sync", "1", kind="listener")
    world.start("consume_events", kind="consumer")
    wait_for(lambda: all(s.up for n, s in world.presence.node_statuses().items()
                         if n in world.nodes) and len(world.presence.node_statuses()) >= len(
                             world.nodes), 30, "every node up in presence", world.logs)
    everyone = [a.presence_key for people in world.agents.values() for a in people]
    wait_for(lambda: sum(v.routable for v in world.presence.snapshot(everyone, time.time())
                         .values()) == len(everyone), 30, "every agent routable", world.logs)
    for _ in range(workers):
        worker_factory(concurrency=2)
    install_schedules()
    beat_factory()


def stop_world(world: World) -> None:
    stop_all(world.processes, grace=5.0)
    world.cluster.stop()


def max_per_second(times: list[float]) -> int:
    """The most events in any one-second window (sliding, not aligned to the clock)."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def overlapping_attempts(campaign: Campaign) -> list[int]:
    """Targets with two attempts in flight at the same time (must be none)."""
    spans: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for a in CallAttempt.objects.filter(campaign=campaign):
        spans.setdefault(a.target_id, []).append((a.created_at, a.ended_at or a.created_at))
    bad = []
    for target_id, rows in spans.items():
        rows.sort()
        if any(rows[i + 1][0] < rows[i][1] for i in range(len(rows) - 1)):
            bad.append(target_id)
    return bad


def counted(campaign: Campaign) -> Counter[int]:
    return Counter(CallAttempt.objects.filter(campaign=campaign, counts_as_attempt=True)
                   .values_list("target_id", flat=True))
