"""End to end: a running campaign whose last targets the dialer settles itself (numbers added to
the do-not-call list after the import) completes instead of staying `running` forever."""

from __future__ import annotations

import pytest

from campaigns.models import CallAttempt, Campaign, CampaignStatus, DoNotCall, Target, TargetState
from tests.dispatch.e2e_world import build_world, start_processes, stop_world, wait_for
from tests.resilience.lost_listener import states

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture
def world(process_env, redis_client, key_prefix):
    built = build_world(process_env, redis_client, key_prefix, agents_per_node=2, nodes=1)
    yield built
    stop_world(built)


def test_a_campaign_whose_every_number_went_on_do_not_call_completes(
        world, celery_worker_factory, celery_beat_factory):
    campaign = world.campaign(mode="target_first")
    numbers = [f"+1418{i:07d}" for i in range(12)]
    Target.objects.bulk_create(Target(campaign=campaign, number=n) for n in numbers)
    DoNotCall.objects.bulk_create(DoNotCall(number=n) for n in numbers)  # after the import
    start_processes(world, worker_factory=celery_worker_factory,
                    beat_factory=celery_beat_factory)

    wait_for(lambda: Campaign.objects.get(id=campaign.id).status == CampaignStatus.COMPLETED,
             60, "the campaign to complete", lambda: f"{states(campaign)}\n{world.logs()}")
    assert states(campaign) == {TargetState.DO_NOT_CALL: 12}
    assert not CallAttempt.objects.filter(campaign=campaign).exists()
    assert world.originates("fs1") == []
