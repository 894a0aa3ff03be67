"""The campaign snapshot counts targets by state, outcomes, rates and hangup causes exactly."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.services.reporting.dashboard import answer_rate, compute_campaign_snapshot

pytestmark = pytest.mark.django_db


def test_snapshot_counts_every_target_state_and_outcome(campaign, make_targets, make_attempt):
    make_targets("pending", 5)
    retry = make_targets("retry_wait", 2, start=100)
    done = make_targets("completed", 3, start=200)
    failed = make_targets("failed", 1, start=300)
    dialing = make_targets("dialing", 1, start=400)
    for target in done:
        make_attempt(target, "answered", "NORMAL_CLEARING", ago_seconds=30)
    make_attempt(retry[0], "busy", "USER_BUSY", ago_seconds=90)
    make_attempt(retry[1], "no_answer", "NO_ANSWER", ago_seconds=90)
    make_attempt(failed[0], "invalid_number", "UNALLOCATED_NUMBER", ago_seconds=3 * 3600)
    make_attempt(dialing[0])  # still ringing
    make_attempt(retry[0], "node_failure", "DESTINATION_OUT_OF_ORDER", ago_seconds=30)

    snap = compute_campaign_snapshot(campaign, timezone.now())

    assert snap["targets"] == {
        "total": 12,
        "by_state": {
            "pending": 5, "queued": 0, "dialing": 1, "retry_wait": 2, "completed": 3,
            "failed": 1, "cancelled": 0, "do_not_call": 0,
        },
    }
    assert snap["attempts"] == {
        "total": 8,
        "in_progress": 1,
        "by_outcome": {
            "in_progress": 1, "answered": 3, "busy": 1, "invalid_number": 1,
            "no_answer": 1, "node_failure": 1,
        },
    }
    # 3 answered of 6 callee outcomes; the node failure is not the callee's doing.
    assert snap["answer_rate"] == 0.5
    # The invalid number was three hours ago: outside the hangup-cause window.
    assert snap["hangup_causes"] == [
        {"cause": "NORMAL_CLEARING", "calls": 3},
        {"cause": "DESTINATION_OUT_OF_ORDER", "calls": 1},
        {"cause": "NO_ANSWER", "calls": 1},
        {"cause": "USER_BUSY", "calls": 1},
    ]
    assert snap["campaign"]["name"] == "Spring <b>outreach</b>"
    assert snap["campaign"]["status"] == "draft"


def test_calls_per_minute_is_a_full_series_with_quiet_minutes_as_zero(
    campaign, make_targets, make_attempt
):
    now = timezone.now().replace(second=30, microsecond=0)
    targets = make_targets("pending", 4)
    for target in targets[:3]:
        make_attempt(target, "answered", at=now)
    snap = compute_campaign_snapshot(campaign, now + dt.timedelta(minutes=2))
    series = snap["calls_per_minute"]
    assert len(series) == 15
    assert [point["calls"] for point in series][-3:] == [3, 0, 0]
    assert sum(point["calls"] for point in series) == 3


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ({}, None),
        ({"": 4}, None),
        ({"node_failure": 3, "agent_unavailable": 2}, None),
        ({"answered": 1, "busy": 1, "no_answer": 2}, 0.25),
        ({"answered": 2, "cancelled": 5}, 1.0),
    ],
)
def test_answer_rate_counts_only_callee_outcomes(outcomes, expected):
    assert answer_rate(outcomes) == expected


def test_system_snapshot_lists_active_campaigns_with_live_calls_and_the_latest_others(
    campaign, make_targets
):
    from campaigns.models import CallAttempt, Campaign
    from campaigns.services.reporting.dashboard import compute_system_snapshot

    running = Campaign.objects.create(name="Running one", trunk=campaign.trunk,
                                      agent_group=campaign.agent_group, status="running")
    target = make_targets("dialing", 1)[0]
    target.campaign = running
    target.save()
    CallAttempt.objects.create(target=target, campaign=running, attempt_number=1)  # ringing
    snap = compute_system_snapshot(timezone.now())
    assert [(c["name"], c["live_calls"]) for c in snap["campaigns"]["active"]] == [
        ("Running one", 1)
    ]
    assert snap["live_calls"] == 1
    assert [c["name"] for c in snap["campaigns"]["recent"]] == ["Spring <b>outreach</b>"]
    assert snap["campaigns"]["by_status"]["running"] == 1
    assert snap["campaigns"]["by_status"]["draft"] == 1
