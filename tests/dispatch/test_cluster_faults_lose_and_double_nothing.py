"""Mid-campaign faults on a 3-node cluster: an agent's TCP connection drops, a node is killed, and
a Celery worker is killed with SIGKILL. The campaign still completes, every target is answered
exactly once, no target is ever in two calls at once, every originate a node received is an
attempt row, and the dropped agent gets no further calls.

The three faults share one run because each needs the whole cluster of real processes (about
15 s to build and tear down); each has its own assertions below.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from campaigns.models import CallAttempt, Campaign, CampaignStatus, Outcome, Target, TargetState
from tests.dispatch.e2e_world import (
    build_world,
    counted,
    overlapping_attempts,
    start_processes,
    stop_world,
    wait_for,
)
from workers.tasks.reconcile import RECONCILE_CALLS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
TARGETS = 150


@pytest.fixture
def world(process_env, redis_client, key_prefix):
    process_env["DISPATCH_QUEUED_TIMEOUT_SECONDS"] = "10"
    built = build_world(process_env, redis_client, key_prefix, agents_per_node=6, node_cps=15)
    yield built
    stop_world(built)


def _every(seconds: int, name: str, task: str) -> None:
    interval, _ = IntervalSchedule.objects.get_or_create(every=seconds,
                                                         period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(name=name, defaults={"task": task,
                                                               "interval": interval})


def test_agent_drop_node_kill_and_worker_sigkill_lose_and_double_nothing(
    world, celery_worker_factory, celery_beat_factory
):
    for node in world.nodes:
        # Up long enough for the extension (settle 300 ms + one 380 ms digit) and the bridge:
        # a callee gone sooner would be an abandon, retried later.
        world.cluster.node(node).call("set_outcome", pattern="*", kind="answer", answer_ms=40,
                                      hangup_ms=2000)
    # Calls lost with the killed node end `unknown`: this campaign dials them again after its
    # (short) no-answer delay, so every target must still end answered exactly once. (The
    # default holds them for a person: tests/dispatch/test_an_unknown_outcome_is_held_...)
    campaign = world.campaign(mode="target_first", trunk_cps=30, unknown_outcome="retry")
    Target.objects.bulk_create(
        Target(campaign=campaign, number=f"+1416{i:07d}", extension="5") for i in range(TARGETS)
    )
    _every(2, "test: reconcile calls", RECONCILE_CALLS)
    workers = []
    start_processes(world, worker_factory=lambda **kw: workers.append(
        celery_worker_factory(**kw)), beat_factory=celery_beat_factory, workers=2)
    _every(2, "switchboard: reap queued targets", "switchboard.reap_queued")

    def ended() -> int:
        return CallAttempt.objects.filter(campaign=campaign, ended_at__isnull=False).count()

    wait_for(lambda: ended() >= 20, 60, "the first calls to end", world.logs)

    # 1. An agent's softphone dies (TCP drop, stock tcp-unreg-on-socket-close).
    dropped = world.agents["fs1"][0]
    world.cluster.node("fs1").call("drop_agent", user=dropped.sip_user, domain=dropped.sip_domain)
    wait_for(lambda: not world.presence.snapshot([dropped.presence_key], time.time())[
        dropped.presence_key].registered, 10, "presence to see the drop", world.logs)
    from django.utils import timezone

    dropped_at = timezone.now()

    # 2. A worker process dies without a word.
    workers[0].signal_group(9)

    # 3. A node dies with calls on it.
    wait_for(lambda: ended() >= 50, 60, "more calls to end", world.logs)
    world.cluster.node("fs2").call("stop")
    killed_at = timezone.now()

    def done() -> bool:
        return Campaign.objects.get(id=campaign.id).status == CampaignStatus.COMPLETED

    def progress() -> str:
        states = list(Target.objects.filter(campaign=campaign).values_list("state", flat=True))
        return f"states: {sorted({(s, states.count(s)) for s in states})}\n{world.logs()}"

    wait_for(done, 120, "the campaign to complete despite the faults", progress)

    # Nothing lost: every target answered, one counted attempt each, plus one for each call that
    # the killed node (or the dropped phone) took down after the callee answered and before an
    # agent was connected: that callee lived an abandoned call, counted and called again later.
    assert set(Target.objects.filter(campaign=campaign).values_list("state", flat=True)) == {
        TargetState.COMPLETED}
    abandoned = CallAttempt.objects.filter(campaign=campaign, outcome=Outcome.ABANDONED)
    for attempt in abandoned:
        assert attempt.node == "fs2" or attempt.agent_id == dropped.id, attempt.id
    extra = Counter(abandoned.values_list("target_id", flat=True))
    assert {target: n - extra[target] for target, n in counted(campaign).items()} == {
        target: 1 for target in counted(campaign)}
    assert len(counted(campaign)) == TARGETS
    assert CallAttempt.objects.filter(campaign=campaign, outcome=Outcome.ANSWERED).count() == (
        TARGETS)
    # Nothing doubled: never two calls for one target at once, and every originate any node
    # received is an attempt row (the row is written before the originate goes out).
    assert overlapping_attempts(campaign) == []
    originates = sum(len(world.originates(node)) for node in world.nodes)
    assert originates <= CallAttempt.objects.filter(campaign=campaign).count()
    assert not CallAttempt.objects.filter(campaign=campaign, ended_at__isnull=True).exists()

    # The dropped agent got no call after presence saw the drop.
    assert not CallAttempt.objects.filter(agent=dropped, created_at__gt=dropped_at).exists()
    # The killed node got no call after it was declared lost (grace 3 s in this world).
    late = CallAttempt.objects.filter(node="fs2", created_at__gt=killed_at.replace(
        microsecond=0) + _seconds(4))
    assert not late.exists()


def _seconds(n: float):
    import datetime as dt

    return dt.timedelta(seconds=n)
