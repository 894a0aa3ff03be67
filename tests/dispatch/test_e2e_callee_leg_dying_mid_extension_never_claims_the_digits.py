"""End to end, target_first: the callee's leg dies while the extension is still going out. The
digits were queued (`send_dtmf` completes at once, capture 34) but not all sent: the attempt
never claims `dtmf_sent_at`, no agent was dialled, and the answered call ends `abandoned`."""

from __future__ import annotations

import time

import pytest

from campaigns.models import CallAttempt, Outcome, TargetState
from tests.dispatch.e2e_agents import agent_world_fixture, callee, one_target, start, wait_target

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

NUMBER = "+14157773400"

world = agent_world_fixture(agents=1)


def test_callee_leg_dying_mid_extension_never_claims_the_digits(world, celery_worker_factory,
                                                                celery_beat_factory):
    (agent,) = world.agents[world.nodes[0]]
    # Settle 300 ms, then five digits of 100 ms (380 ms each): the far end is gone at 900 ms.
    callee(world, NUMBER, kind="answer", answer_ms=40, hangup_ms=900)
    campaign = world.campaign(mode="target_first", originate_timeout=10, max_attempts=1)
    start(world, celery_worker_factory, celery_beat_factory)
    target = one_target(campaign, NUMBER, extension="12345")

    target = wait_target(world, target, lambda t: t.state == TargetState.FAILED, 45,
                         "the call to end")
    (attempt,) = CallAttempt.objects.filter(target=target)
    assert (attempt.outcome, attempt.dtmf_sent_at, attempt.bridged_at) == (
        Outcome.ABANDONED, None, None)
    heard = world.channel(attempt.node, str(attempt.uuid))["dtmf"]
    assert 0 < sum(1 for d in heard if d["left"]) < 5  # some digits out, never all of them
    # The agent's phone never rang: the bridge comes only after the digits.
    legs = world.cluster.node(world.nodes[0]).call("channels")
    assert not [leg for leg in legs if agent.sip_user in leg["name"]]
    view = world.presence.snapshot([agent.presence_key], time.time())[agent.presence_key]
    assert view.routable
