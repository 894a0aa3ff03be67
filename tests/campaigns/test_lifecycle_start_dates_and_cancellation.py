"""Start dates decide scheduled versus running; cancelling stops every waiting target."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.errors import IllegalTransition
from campaigns.models import CampaignStatus, Target, TargetState
from campaigns.services import lifecycle
from tests.factories import make_dialable, make_target


@pytest.fixture(autouse=True)
def _campaign_can_dial(campaign):
    """Starting a campaign needs an agent and a target (lifecycle refuses one that cannot dial)."""
    make_dialable(campaign)


NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_start_with_a_future_start_date_schedules_the_campaign(campaign):
    campaign.starts_at = NOW + dt.timedelta(hours=1)
    campaign.save()
    assert lifecycle.start(campaign, now=NOW).status == CampaignStatus.SCHEDULED


@pytest.mark.parametrize("starts_at", [None, NOW - dt.timedelta(days=1), NOW])
def test_start_without_a_future_start_date_runs_at_once(campaign, starts_at):
    campaign.starts_at = starts_at
    campaign.save()
    assert lifecycle.start(campaign, now=NOW).status == CampaignStatus.RUNNING


@pytest.mark.parametrize("name", ["start", "schedule"])
def test_a_campaign_whose_end_date_passed_cannot_start(campaign, name):
    campaign.ends_at = NOW - dt.timedelta(minutes=1)
    campaign.save()
    with pytest.raises(IllegalTransition) as caught:
        getattr(lifecycle, name)(campaign, now=NOW)
    assert (caught.value.code, str(caught.value)) == (
        "campaign_ended",
        f"Cannot {name} a campaign whose end date has passed.",
    )


def test_the_tick_starts_scheduled_campaigns_whose_start_date_arrived(campaign, trunk, group):
    from tests.factories import make_campaign

    later = make_campaign(
        trunk, group, status=CampaignStatus.SCHEDULED, starts_at=NOW + dt.timedelta(minutes=5)
    )
    campaign.status = CampaignStatus.SCHEDULED
    campaign.starts_at = NOW - dt.timedelta(seconds=1)
    campaign.save()

    undated = make_dialable(
        make_campaign(trunk, group, status=CampaignStatus.SCHEDULED, starts_at=None)
    )

    assert sorted(lifecycle.start_due_campaigns(NOW)) == sorted([campaign.id, undated.id])
    campaign.refresh_from_db()
    later.refresh_from_db()
    undated.refresh_from_db()
    assert (campaign.status, later.status, undated.status) == (
        CampaignStatus.RUNNING,
        CampaignStatus.SCHEDULED,
        CampaignStatus.RUNNING,
    )
    assert campaign.events.get().reason == "start date reached"


def test_the_tick_completes_campaigns_whose_end_date_passed(campaign, trunk, group):
    from tests.factories import make_campaign

    still_on = make_campaign(
        trunk, group, status=CampaignStatus.RUNNING, ends_at=NOW + dt.timedelta(minutes=5)
    )
    paused = make_campaign(
        trunk, group, status=CampaignStatus.PAUSED, ends_at=NOW - dt.timedelta(days=1)
    )
    campaign.status = CampaignStatus.RUNNING
    campaign.ends_at = NOW
    campaign.save()
    waiting = make_target(campaign)

    assert sorted(lifecycle.complete_ended_campaigns(NOW)) == sorted([campaign.id, paused.id])
    statuses = {c.id: c.status for c in type(campaign).objects.all()}
    assert statuses == {
        campaign.id: CampaignStatus.COMPLETED,
        paused.id: CampaignStatus.COMPLETED,
        still_on.id: CampaignStatus.RUNNING,
    }
    waiting.refresh_from_db()
    assert waiting.state == TargetState.CANCELLED
    assert campaign.events.get().reason == "end date reached"


@pytest.mark.parametrize("name", ["cancel", "complete"])
def test_ending_a_campaign_cancels_its_waiting_targets_but_not_those_in_flight(campaign, name):
    campaign.status = CampaignStatus.RUNNING
    campaign.save()
    Target.objects.filter(campaign=campaign).delete()  # only the targets below
    states = [
        TargetState.PENDING,
        TargetState.RETRY_WAIT,
        TargetState.DIALING,
        TargetState.QUEUED,
        TargetState.COMPLETED,
        TargetState.DO_NOT_CALL,
    ]
    targets = {state: make_target(campaign, state=state, next_attempt_at=NOW) for state in states}

    getattr(lifecycle, name)(campaign, now=NOW)

    after = dict(Target.objects.filter(campaign=campaign).values_list("id", "state"))
    assert after == {
        targets[TargetState.PENDING].id: TargetState.CANCELLED,
        targets[TargetState.RETRY_WAIT].id: TargetState.CANCELLED,
        targets[TargetState.DIALING].id: TargetState.DIALING,
        targets[TargetState.QUEUED].id: TargetState.QUEUED,
        targets[TargetState.COMPLETED].id: TargetState.COMPLETED,
        targets[TargetState.DO_NOT_CALL].id: TargetState.DO_NOT_CALL,
    }


def test_a_stale_copy_is_judged_by_the_status_in_the_database(campaign):
    stale = type(campaign).objects.get(pk=campaign.pk)
    lifecycle.start(campaign, now=NOW)
    lifecycle.pause(campaign, now=NOW)
    # The stale copy still says draft; pausing again must be refused, not applied twice.
    with pytest.raises(IllegalTransition):
        lifecycle.pause(stale, now=NOW)
    assert campaign.events.count() == 2


def test_the_status_changed_signal_fires_only_after_commit(
    campaign, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, campaign, from_status, to_status, **kwargs):
        heard.append((from_status, to_status))

    lifecycle.status_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            lifecycle.start(campaign, now=NOW)
        assert heard == []
        for callback in callbacks:
            callback()
        assert heard == [(CampaignStatus.DRAFT, CampaignStatus.RUNNING)]
    finally:
        lifecycle.status_changed.disconnect(listener)


def test_a_lost_compare_and_set_is_a_conflict(campaign, monkeypatch):
    """Another writer moves the row between our read and our update: our update must not apply."""
    real_refresh = type(campaign).refresh_from_db

    def refresh_then_race(self, *args, **kwargs):
        real_refresh(self, *args, **kwargs)
        type(self).objects.filter(pk=self.pk).update(status=CampaignStatus.CANCELLED)

    monkeypatch.setattr(type(campaign), "refresh_from_db", refresh_then_race)
    with pytest.raises(IllegalTransition) as caught:
        lifecycle.start(campaign, now=timezone.now())
    assert caught.value.code == "conflict"
    # The racing write lives in this test's transaction, so it rolls back with ours: what matters
    # is that our move was refused and left no audit row claiming it happened.
    assert not campaign.events.exists()
