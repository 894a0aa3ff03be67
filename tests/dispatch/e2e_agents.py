"""A small end-to-end world for the agent-leg behaviours (issue 9): one or two emulated nodes,
a few agents whose phones the test scripts, one running campaign, and the real processes
(listener, consumer, a Celery worker, beat). Helpers read the emulator's command log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from campaigns.models import Agent, CallAttempt, Campaign, Target
from tests.dispatch.e2e_world import World, build_world, start_processes, stop_world, wait_for


def agent_world(process_env: dict[str, str], redis_client: Any, key_prefix: str, *,
                agents: int = 2, nodes: int = 1) -> World:
    return build_world(process_env, redis_client, key_prefix, agents_per_node=agents,
                       node_cps=20, nodes=nodes)


def agent_world_fixture(*, agents: int, nodes: int = 1) -> Any:
    """A `world` fixture: an agent world of `agents` agents per node, stopped afterwards."""
    @pytest.fixture
    def world(process_env: dict[str, str], redis_client: Any, key_prefix: str) -> Iterator[World]:
        built = agent_world(process_env, redis_client, key_prefix, agents=agents, nodes=nodes)
        yield built
        stop_world(built)

    return world


def start(world: World, worker_factory: Any, beat_factory: Any) -> None:
    start_processes(world, worker_factory=worker_factory, beat_factory=beat_factory)


def target_first_call(world: World, worker_factory: Any, beat_factory: Any, *, agent: Agent,
                      agent_phone: str, number: str, hangup_ms: int,
                      **campaign: Any) -> Campaign:
    """Script `agent`'s phone and a callee answering at 40 ms, create a running target_first
    campaign (10 s originate timeout, `campaign` for the rest) and start the processes."""
    phone(world, agent, agent_phone)
    callee(world, number, kind="answer", answer_ms=40, hangup_ms=hangup_ms)
    made = world.campaign(mode="target_first", originate_timeout=10, **campaign)
    start(world, worker_factory, beat_factory)
    return made


def agents(world: World) -> list[Agent]:
    return [a for people in world.agents.values() for a in people]


def longest_idle_first(world: World, first: Agent) -> None:
    """Make `first` the agent the next reservation takes: every other agent becomes ready
    after it (a pause and back to available restarts an agent's idle time)."""
    now = time.time()
    for other in agents(world):
        if other.id != first.id:
            world.presence.set_intent(other.presence_key, "paused", "test order", "test", now)
            world.presence.set_intent(other.presence_key, "available", "", "test", now + 0.001)


def phone(world: World, agent: Agent, kind: str, **fields: Any) -> None:
    """Script the agent's phone on every node (answer, busy, dead, no_answer, reject)."""
    for node in world.nodes:
        world.cluster.node(node).call("set_agent_phone", user=agent.sip_user, kind=kind,
                                      **fields)


def callee(world: World, number: str, **outcome: Any) -> None:
    """Script the called number on every node."""
    for node in world.nodes:
        world.cluster.node(node).call("set_outcome", pattern=number, **outcome)


def commands(world: World, contains: str) -> list[dict[str, Any]]:
    """Every command the nodes received that contains `contains`, oldest first."""
    out = []
    for node in world.nodes:
        out += [dict(c, node=node) for c in world.cluster.node(node).call(
            "commands", contains=contains)]
    return sorted(out, key=lambda c: c["t"])


def originates_to(world: World, number: str) -> list[dict[str, Any]]:
    """`originate` commands that dial `number` (on the trunk or, agent_first, in the bridge)."""
    return [c for c in commands(world, number) if "originate" in c["command"]]


def wait_target(world: World, target: Target, condition: Any, timeout: float, what: str) -> Target:
    def check() -> Target | None:
        target.refresh_from_db()
        return target if condition(target) else None

    def context() -> str:
        rows = list(CallAttempt.objects.filter(target=target).values(
            "attempt_number", "outcome", "hangup_cause", "counts_as_attempt", "agent_failovers"))
        return f"target {target.state} {target.last_outcome} attempts={rows}\n{world.logs()}"

    wait_for(check, timeout, what, context)
    return target


def one_target(campaign: Campaign, number: str, extension: str = "12") -> Target:
    return Target.objects.create(campaign=campaign, number=number, extension=extension)
