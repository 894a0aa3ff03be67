"""The demo stays alive: when its campaign completes it says so, reprints the banner and (unless
told not to) starts another pass; with nothing left to recycle it seeds a fresh campaign."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from campaigns.models import CampaignStatus, Outcome, TargetState
from tests.factories import make_agent, make_campaign, make_target

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from demo_passes import CampaignWatcher  # noqa: E402


@pytest.fixture
def completed(db):
    campaign = make_campaign(status=CampaignStatus.COMPLETED)
    make_agent(campaign.agent_group)
    make_target(campaign, state=TargetState.COMPLETED, last_outcome=Outcome.ANSWERED)
    make_target(campaign, state=TargetState.FAILED, last_outcome=Outcome.BUSY)
    return campaign


def _watcher(campaign, **kwargs):
    said, banners = [], []
    watcher = CampaignWatcher(
        campaign.pk, say=said.append, banner=banners.append, interval=0, **kwargs
    )
    return watcher, said, banners


def test_a_completed_campaign_is_announced_and_recycled(completed):
    watcher, said, banners = _watcher(completed)

    watcher.check(now=1.0)
    watcher.check(now=2.0)  # running again: nothing more to say

    assert said == [
        f"demo campaign #{completed.pk} completed pass 1: 1 of 2 targets answered",
        "pass 2 started: 1 targets not answered are dialled again",
    ]
    assert banners == [completed.pk]
    completed.refresh_from_db()
    assert (completed.status, completed.passes) == (CampaignStatus.RUNNING, 2)


def test_no_recycle_reports_and_leaves_the_campaign_completed(completed):
    watcher, said, banners = _watcher(completed, another_pass=False)

    watcher.check(now=1.0)
    watcher.check(now=2.0)

    assert said[-1] == "not starting another pass (--no-recycle); the dashboard shows the result"
    assert len(said) == 2 and banners == [completed.pk]  # said once, not every poll
    completed.refresh_from_db()
    assert completed.status == CampaignStatus.COMPLETED


def test_with_nothing_left_to_recycle_a_fresh_campaign_is_seeded(completed):
    completed.targets.filter(state=TargetState.FAILED).delete()
    watcher, said, banners = _watcher(completed, reseed=lambda: 4242)

    watcher.check(now=1.0)

    assert said[1:] == [
        f"no other pass on campaign #{completed.pk} (No finished target has one of those "
        "outcomes; nothing to recycle.)",
        "seeded a fresh demo campaign #4242",
    ]
    assert banners == [4242] and watcher.campaign_id == 4242
