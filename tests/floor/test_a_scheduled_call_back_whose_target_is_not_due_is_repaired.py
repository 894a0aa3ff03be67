"""Issue 16 item 1: the periodic check finds every scheduled call back whose target is not due
at the call back's time (completed or failed over it, pending, waiting for another time) and
makes the target due again, reopening a campaign completed meanwhile; a call back that can no
longer be made is cancelled, never left `scheduled` forever."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import (
    Callback,
    CallbackState,
    Campaign,
    CampaignStatus,
    TargetState,
)
from campaigns.services.floor.dispositions import repair_callbacks
from tests import factories

pytestmark = pytest.mark.django_db


def _owed(campaign_status: str, target_state: str, **target_fields):
    campaign = factories.make_campaign(status=campaign_status)
    factories.make_agent(campaign.agent_group)
    target = factories.make_target(campaign, state=target_state, **target_fields)
    due = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    callback = Callback.objects.create(campaign=campaign, target=target, due_at=due,
                                       timezone="America/Los_Angeles")
    return campaign, target, callback


@pytest.mark.parametrize("state", [TargetState.COMPLETED, TargetState.FAILED,
                                   TargetState.PENDING, TargetState.RETRY_WAIT])
def test_a_target_not_due_at_its_call_back_is_made_due_then(state):
    campaign, target, callback = _owed(CampaignStatus.RUNNING, state,
                                       next_attempt_at=timezone.now())
    assert repair_callbacks(timezone.now()) == 1
    target.refresh_from_db()
    assert (target.state, target.next_attempt_at) == (TargetState.RETRY_WAIT, callback.due_at)
    assert Callback.objects.get().state == CallbackState.SCHEDULED
    assert repair_callbacks(timezone.now()) == 0  # repaired once


def test_a_campaign_completed_over_an_owed_call_back_is_reopened():
    campaign, target, callback = _owed(CampaignStatus.COMPLETED, TargetState.COMPLETED)
    assert repair_callbacks(timezone.now()) == 1
    assert Campaign.objects.get(id=campaign.id).status == CampaignStatus.RUNNING
    target.refresh_from_db()
    assert (target.state, target.next_attempt_at) == (TargetState.RETRY_WAIT, callback.due_at)


@pytest.mark.parametrize(("campaign_status", "target_state"), [
    (CampaignStatus.CANCELLED, TargetState.CANCELLED),
    (CampaignStatus.RUNNING, TargetState.DO_NOT_CALL),
])
def test_a_call_back_that_can_no_longer_be_made_is_cancelled(campaign_status, target_state):
    _owed(campaign_status, target_state)
    assert repair_callbacks(timezone.now()) == 0
    assert Callback.objects.get().state == CallbackState.CANCELLED


@pytest.mark.parametrize("state", [TargetState.QUEUED, TargetState.DIALING])
def test_a_target_in_flight_is_left_to_its_call(state):
    _, target, _ = _owed(CampaignStatus.RUNNING, state)
    assert repair_callbacks(timezone.now()) == 0
    target.refresh_from_db()
    assert target.state == state


def test_the_periodic_reconcile_runs_the_check():
    from workers.tasks.reconcile import reconcile_calls

    campaign, target, callback = _owed(CampaignStatus.COMPLETED, TargetState.COMPLETED)
    assert reconcile_calls.run()["callbacks_repaired"] == 1
    assert Campaign.objects.get(id=campaign.id).status == CampaignStatus.RUNNING
