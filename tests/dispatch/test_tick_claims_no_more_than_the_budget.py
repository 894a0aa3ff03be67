"""The tick claims the smallest of concurrency, CPS tokens, node room and routable agents."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Target, TargetState
from campaigns.services.call_path import dispatch
from telephony.pacing import trunk_scope
from tests.dispatch.world import add_targets, running_campaign, states

# In-process only, so a rolled-back transaction suffices; publishing after commit is checked
# with pytest-django's on_commit capture.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def tick(now=NOW):
        published: list[tuple[list[int], str | None]] = []
        with django_capture_on_commit_callbacks(execute=True):
            report = dispatch.tick(now, lambda ids, node: published.append((ids, node)))
            assert published == []  # nothing goes out before the claim commits
        return report, published

    return tick


def test_claim_is_capped_by_routable_agents(dispatch_settings, presence_store, run):
    campaign = running_campaign(presence_store, NOW, agents=3)
    ids = add_targets(campaign, 50)

    report, published = run()

    assert report.claimed[campaign.id] == ids[:3]
    assert published == [(ids[:3], None)]
    assert states(campaign) == {TargetState.QUEUED: 3, TargetState.PENDING: 47}


def test_claim_is_capped_by_free_concurrency_counting_targets_in_flight(
        dispatch_settings, presence_store, run):
    campaign = running_campaign(presence_store, NOW, agents=20, max_concurrent=6)
    ids = add_targets(campaign, 50)
    Target.objects.filter(id__in=ids[:2]).update(state=TargetState.DIALING)
    Target.objects.filter(id__in=ids[2:3]).update(state=TargetState.QUEUED)

    report, _ = run()

    assert report.budgets[campaign.id].campaign_free == 3
    assert report.claimed[campaign.id] == ids[3:6]


def test_claim_is_capped_by_trunk_tokens_shared_with_other_workers(
        dispatch_settings, presence_store, run):
    campaign = running_campaign(presence_store, NOW, agents=20, trunk_cps=4)
    ids = add_targets(campaign, 50)
    # Another worker already spent the trunk's tokens for the next half second.
    dispatch.pacer().take_tokens([trunk_scope(campaign.trunk_id, 4)], 1, NOW.timestamp())
    dispatch.pacer().take_tokens([trunk_scope(campaign.trunk_id, 4)], 1,
                                 NOW.timestamp() + 0.25)

    report, _ = run()

    assert report.budgets[campaign.id].cps_tokens == 2
    assert report.claimed[campaign.id] == ids[:2]


def test_node_rate_is_capped_below_freeswitch_sessions_per_second(
        dispatch_settings, presence_store, run):
    campaign = running_campaign(presence_store, NOW, agents=20, node_cps=5)
    ids = add_targets(campaign, 50)

    report, _ = run()

    # sps 5 admits 4 sessions a second: two calls of two legs each
    assert report.budgets[campaign.id].node_room == 2
    assert report.claimed[campaign.id] == ids[:2]


def test_no_usable_node_means_nothing_is_claimed(dispatch_settings, presence_store, run):
    campaign = running_campaign(presence_store, NOW, agents=5)
    add_targets(campaign, 10)
    for name in presence_store.node_statuses():
        presence_store.node_lost(name, NOW.timestamp(), "test")

    report, published = run()

    assert report.budgets[campaign.id].node_room == 0
    assert report.budgets[campaign.id].agents == 0
    assert report.claimed == {} and published == []
    assert states(campaign) == {TargetState.PENDING: 10}


def test_agents_unknown_to_presence_count_as_offline(dispatch_settings, presence_store, run):
    campaign = running_campaign(presence_store, NOW, agents=0)
    add_targets(campaign, 10)
    from tests.factories import make_agent

    make_agent(campaign.agent_group)  # in the database, never seen by presence

    report, _ = run()

    assert report.budgets[campaign.id].agents == 0
    assert report.claimed == {}


def test_claims_are_published_in_bounded_batches_after_commit(
        dispatch_settings, presence_store, run):
    dispatch_settings.DISPATCH_BATCH_SIZE = 4
    campaign = running_campaign(presence_store, NOW, agents=10)
    ids = add_targets(campaign, 30)

    report, published = run()

    assert published == [(ids[0:4], None), (ids[4:8], None), (ids[8:10], None)]
    assert report.batches == 3


def test_two_campaigns_sharing_a_group_do_not_spend_the_same_agents(
        dispatch_settings, presence_store, run):
    first = running_campaign(presence_store, NOW, agents=4)
    from tests.factories import make_campaign

    second = make_campaign(trunk=first.trunk, agent_group=first.agent_group,
                           status=first.status, weekdays=first.weekdays,
                           daily_start=first.daily_start, daily_end=first.daily_end,
                           max_concurrent=100, calls_per_second=100)
    add_targets(first, 3)
    add_targets(second, 10)

    report, _ = run()

    assert len(report.claimed[first.id]) == 3
    assert len(report.claimed[second.id]) == 1


def test_due_retries_go_first_and_future_ones_wait(dispatch_settings, presence_store, run):
    campaign = running_campaign(presence_store, NOW, agents=3)
    ids = add_targets(campaign, 5)
    Target.objects.filter(id=ids[4]).update(state=TargetState.RETRY_WAIT,
                                            next_attempt_at=NOW - dt.timedelta(seconds=1))
    Target.objects.filter(id=ids[0]).update(state=TargetState.RETRY_WAIT,
                                            next_attempt_at=NOW + dt.timedelta(seconds=60))

    report, _ = run()

    assert report.claimed[campaign.id] == sorted([ids[4], ids[1], ids[2]])
    assert Target.objects.get(id=ids[0]).state == TargetState.RETRY_WAIT


def test_presence_is_read_only_until_enough_agents_are_found(
        dispatch_settings, presence_store, run):
    campaign = running_campaign(presence_store, NOW, agents=150, calls_per_second=5)
    ids = add_targets(campaign, 20)

    report, _ = run()

    # The other limits allow 5 calls: one page of agents answers that, not all 150.
    assert 5 <= report.budgets[campaign.id].agents < 150
    assert report.claimed[campaign.id] == ids[:5]


def test_a_retry_without_a_date_is_due_at_once(dispatch_settings, presence_store, run):
    campaign = running_campaign(presence_store, NOW, agents=1)
    ids = add_targets(campaign, 3)
    Target.objects.filter(id=ids[2]).update(state=TargetState.RETRY_WAIT, next_attempt_at=None)

    report, _ = run()

    assert report.claimed[campaign.id] == [ids[2]]
