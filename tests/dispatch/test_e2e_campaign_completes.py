"""End to end: a campaign of a hundred targets completes over a 3-node emulated cluster.

Scale (hundreds and thousands of calls) is measured in bench/ (dispatch, abandon, faults); this
test proves the exact attempts, digits, retries and pacing of every call of a smaller campaign.

Real parts only: the emulator over TCP, `manage.py listen`, `manage.py consume_events`, a Celery
worker and Celery beat as processes, PostgreSQL and Redis.
"""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import CallAttempt, Campaign, CampaignStatus, Outcome, Target, TargetState
from tests.dispatch.e2e_world import (
    build_world,
    counted,
    max_per_second,
    overlapping_attempts,
    start_processes,
    stop_world,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

SCRIPT = {  # number prefix -> (emulator outcome, expected outcome, counted attempts, final state)
    # The callee stays long enough for the extension to go out in full (settle 300 ms, then 2
    # digits x 380 ms) and the agent to be bridged: hanging up sooner would be an abandon.
    "+14151": ({"kind": "answer", "answer_ms": 40, "hangup_ms": 2500},
               Outcome.ANSWERED, 1, TargetState.COMPLETED),
    "+14152": ({"kind": "busy", "fail_ms": 20}, Outcome.BUSY, 3, TargetState.FAILED),
    "+14153": ({"kind": "no_answer"}, Outcome.NO_ANSWER, 3, TargetState.FAILED),
    "+14154": ({"kind": "unallocated", "fail_ms": 20},
               Outcome.INVALID_NUMBER, 1, TargetState.FAILED),
}
COUNTS = {"+14151": 120, "+14152": 40, "+14153": 20, "+14154": 20}


@pytest.fixture
def world(process_env, redis_client, key_prefix):
    built = build_world(process_env, redis_client, key_prefix, agents_per_node=10, node_cps=15)
    yield built
    stop_world(built)


# The agent_first run is half the size: it proves the other connect mode, not the scale again.
@pytest.mark.parametrize(("mode", "scale"), [("target_first", 0.5), ("agent_first", 0.25)])
def test_campaign_of_a_hundred_targets_completes_with_exact_attempts_dtmf_and_pacing(
    world, celery_worker_factory, celery_beat_factory, mode, scale
):
    for prefix, (outcome, *_rest) in SCRIPT.items():
        for node in world.nodes:
            world.cluster.node(node).call("set_outcome", pattern=prefix + "*", **outcome)
    campaign = world.campaign(mode=mode, trunk_cps=30)
    counts = {prefix: int(n * scale) for prefix, n in COUNTS.items()}
    targets = [
        Target(campaign=campaign, number=f"{prefix}{i:06d}", extension="12")
        for prefix, n in counts.items() for i in range(n)
    ]
    Target.objects.bulk_create(targets)
    start_processes(world, worker_factory=celery_worker_factory, beat_factory=celery_beat_factory)

    def done() -> bool:
        return Campaign.objects.get(id=campaign.id).status == CampaignStatus.COMPLETED

    def progress() -> str:
        states = list(Target.objects.filter(campaign=campaign).values_list("state", flat=True))
        return f"states: {sorted(set((s, states.count(s)) for s in states))}\n{world.logs()}"

    wait_for(done, 150, "the campaign to complete", progress)

    # Every target has exactly the attempts its scripted outcome calls for, and its final state.
    attempts = counted(campaign)
    for target in Target.objects.filter(campaign=campaign):
        prefix = target.number[:6]
        _, outcome, expected, state = SCRIPT[prefix]
        assert (target.state, attempts[target.id], target.last_outcome) == (
            state, expected, outcome), target.number
        assert target.attempts == expected
    assert not CallAttempt.objects.filter(campaign=campaign, ended_at__isnull=True).exists()
    assert not CallAttempt.objects.filter(campaign=campaign, counts_as_attempt=False).exists()
    assert overlapping_attempts(campaign) == []

    # Answered calls: bridged to an agent, billsec recorded, DTMF after answer plus settle delay.
    answered = list(CallAttempt.objects.filter(campaign=campaign, outcome=Outcome.ANSWERED))
    assert len(answered) == counts["+14151"]
    settle = dt.timedelta(milliseconds=campaign.dtmf_settle_ms)
    for attempt in answered:
        assert attempt.agent_id is not None and attempt.bridged_at is not None
        assert attempt.billsec >= 1
        assert attempt.answered_at is not None and attempt.dtmf_sent_at is not None
        assert attempt.dtmf_sent_at >= attempt.answered_at + settle
        # The emulator's per-channel DTMF log: what the far end actually heard, and when.
        leg = str(attempt.uuid) if mode == "target_first" else _b_leg(attempt)
        log = world.channel(attempt.node, leg)["dtmf"]
        assert [d["digit"] for d in log] == ["1", "2"]
        played = dt.datetime.fromtimestamp(log[0]["played_at"], tz=dt.UTC)
        assert played >= attempt.answered_at + settle - dt.timedelta(milliseconds=20)

    # Busy and no-answer retried per policy: each retry waited its delay after the last end.
    for target_id in {a.target_id for a in CallAttempt.objects.filter(
            campaign=campaign, outcome__in=[Outcome.BUSY, Outcome.NO_ANSWER])}:
        rows = list(CallAttempt.objects.filter(target_id=target_id).order_by("attempt_number"))
        for before, after in zip(rows, rows[1:], strict=False):
            assert after.created_at >= before.ended_at + dt.timedelta(seconds=1)

    # Pacing: no second has more originates than the node cap (sps - 1) or the trunk cap.
    everywhere = []
    for node in world.nodes:
        times = world.originates(node)
        everywhere += times
        assert max_per_second(times) <= 14, node  # FreeSWITCH admits sps - 1 (capture 20)
    assert max_per_second(everywhere) <= 30
    assert len(everywhere) == CallAttempt.objects.filter(campaign=campaign).count()


def _b_leg(attempt: CallAttempt) -> str:
    import uuid

    return str(uuid.uuid5(attempt.uuid, "target"))
