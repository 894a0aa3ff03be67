"""End to end: one of two nodes does not know the trunk's gateway (`-ERR INVALID_GATEWAY`,
capture 33). The trunk is marked misconfigured on that node, the dialer stops using it there,
and every target still completes on the other node with one counted attempt: the refusals
count against nobody."""

from __future__ import annotations

import pytest

from campaigns.models import CallAttempt, Outcome, Target, TargetState, Trunk
from tests.dispatch.e2e_agents import agent_world_fixture, callee, originates_to, start
from tests.dispatch.e2e_world import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

world = agent_world_fixture(agents=2, nodes=2)


def test_invalid_gateway_marks_the_trunk_on_that_node_only(world, celery_worker_factory,
                                                           celery_beat_factory):
    broken, healthy = world.nodes
    world.cluster.node(broken).call("set_gateways", gateways=["some-other-carrier"])
    callee(world, "+1415888*", kind="answer", answer_ms=40, hangup_ms=600)
    campaign = world.campaign(mode="target_first", originate_timeout=10)
    start(world, celery_worker_factory, celery_beat_factory)
    numbers = [f"+141588800{i:02d}" for i in range(6)]
    Target.objects.bulk_create([Target(campaign=campaign, number=n) for n in numbers])

    wait_for(lambda: not Target.objects.filter(campaign=campaign).exclude(
        state=TargetState.COMPLETED).exists(), 60, "every target to complete", world.logs)

    trunk = Trunk.objects.get(id=campaign.trunk_id)
    assert set(trunk.misconfigured_on) == {broken}
    assert trunk.misconfigured_on[broken]["cause"] == "INVALID_GATEWAY"
    refused = CallAttempt.objects.filter(campaign=campaign, outcome=Outcome.CONFIG_ERROR)
    assert {a.node for a in refused} <= {broken}
    assert not refused.filter(counts_as_attempt=True).exists()
    answered = CallAttempt.objects.filter(campaign=campaign, outcome=Outcome.ANSWERED)
    assert {a.node for a in answered} == {healthy}
    for target in Target.objects.filter(campaign=campaign):
        assert target.attempts == 1
        assert len([c for c in originates_to(world, target.number)
                    if c["node"] == healthy]) == 1
    # Once marked, the broken node gets no more originates for this trunk.
    marked_at = max(a.ended_at for a in refused) if refused else None
    late = [c for c in originates_to(world, "+1415888") if c["node"] == broken
            and marked_at is not None and c["t"] > marked_at.timestamp() + 1.0]
    assert late == []
