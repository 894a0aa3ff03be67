"""The periodic reconcile completes every running or paused campaign with nothing left to dial,
however its last targets were settled (a value the grammar refused, do-not-call, cancelled);
one still waiting for its import, or with an open target, stays as it is."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Campaign, CampaignStatus, TargetState
from campaigns.services.call_path.results_reconcile import complete_exhausted_campaigns
from tests.factories import make_campaign, make_target

pytestmark = pytest.mark.integration


def test_only_campaigns_without_an_open_target_complete(transactional_db):
    settled = make_campaign(status="running")
    make_target(settled, state=TargetState.FAILED, last_outcome="invalid_number")
    make_target(settled, state=TargetState.DO_NOT_CALL)
    paused = make_campaign(status="paused")
    make_target(paused, state=TargetState.CANCELLED)
    waiting = make_campaign(status="running")
    make_target(waiting, state=TargetState.RETRY_WAIT)
    empty = make_campaign(status="running")  # its targets are not imported yet

    assert complete_exhausted_campaigns(dt.datetime.now(tz=dt.UTC)) == 2

    status = dict(Campaign.objects.values_list("id", "status"))
    assert status == {settled.id: CampaignStatus.COMPLETED, paused.id: CampaignStatus.COMPLETED,
                      waiting.id: CampaignStatus.RUNNING, empty.id: CampaignStatus.RUNNING}
    assert complete_exhausted_campaigns(dt.datetime.now(tz=dt.UTC)) == 0
