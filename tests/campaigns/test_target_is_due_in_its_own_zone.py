"""Target.is_due: state, retry time, and the window in the target's zone when the campaign asks."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Campaign, Target, TargetState

# Monday 2026-03-02 15:30 UTC: 10:30 in New York, 07:30 in Los Angeles.
NOW = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)


def target(use_target_timezone: bool, **fields) -> Target:
    campaign = Campaign(
        timezone="America/New_York",
        use_target_timezone=use_target_timezone,
        daily_start=dt.time(9),
        daily_end=dt.time(17),
    )
    fields.setdefault("timezone", "America/Los_Angeles")
    return Target(campaign=campaign, number="+14155550100", **fields)


@pytest.mark.parametrize(
    ("use_target_timezone", "fields", "due"),
    [
        (False, {}, True),  # judged in New York: 10:30
        (True, {}, False),  # judged in Los Angeles: 07:30
        (True, {"timezone": ""}, True),  # no zone of its own: the campaign's applies
        (False, {"state": TargetState.RETRY_WAIT, "next_attempt_at": NOW}, True),
        (
            False,
            {"state": TargetState.RETRY_WAIT, "next_attempt_at": NOW + dt.timedelta(seconds=1)},
            False,
        ),
        (False, {"state": TargetState.DIALING}, False),
        (False, {"state": TargetState.DO_NOT_CALL}, False),
        (False, {"state": TargetState.COMPLETED}, False),
    ],
)
def test_a_target_is_due_only_in_a_due_state_after_its_retry_time_inside_its_window(
    use_target_timezone, fields, due
):
    assert target(use_target_timezone, **fields).is_due(NOW) is due


def test_the_effective_zone_is_the_targets_only_when_the_campaign_asks():
    assert target(True).effective_timezone() == "America/Los_Angeles"
    assert target(False).effective_timezone() == "America/New_York"


def test_a_targets_dtmf_uses_its_campaigns_tone_settings():
    made = target(False, extension="ww12")
    made.campaign.dtmf_duration_ms = 120
    assert made.dtmf() == "ww12@120"
