"""End to end, real processes (emulated cluster posting CDRs, gunicorn serving the CDR endpoint,
listener, consumer, Celery worker and beat): the listener is killed with SIGKILL while calls are
answered. No answered person is dialled again; the outcomes come from the CDR posts, or, with
the endpoint down, from `sweep_cdrs` reading err-log-dir later (until then the attempts are
`unknown` and their targets wait the no-answer delay).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.utils import timezone

from campaigns.models import (
    CallAttempt,
    CallDetailRecord,
    Campaign,
    CampaignStatus,
    Outcome,
    Target,
    TargetState,
)
from tests.dispatch.e2e_world import build_world, start_processes, stop_world, wait_for
from tests.processes import ROOT
from tests.resilience.lost_listener import (
    DEAD_URL,
    every,
    kill_listener,
    post_cdrs,
    redialled_after_answer,
    start_web,
    states,
    wait_seconds,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
TARGETS = 40


@pytest.fixture
def world(process_env, redis_client, key_prefix):
    process_env["DISPATCH_QUEUED_TIMEOUT_SECONDS"] = "10"
    built = build_world(process_env, redis_client, key_prefix, agents_per_node=4, node_cps=10)
    yield built
    stop_world(built)


def _campaign(world):
    for node in world.nodes:
        # Callees stay 6 s: long enough for the digits and an agent even on a loaded machine, so
        # no callee genuinely abandons (an abandon is retried after 1 s here and would read as a
        # redial); a misclassified connected call still would.
        world.cluster.node(node).call("set_outcome", pattern="*", kind="answer", answer_ms=40,
                                      hangup_ms=6000)
    # An unknown outcome waits this long: long past the test, so a redial would show.
    campaign = world.campaign(mode="target_first", trunk_cps=8, retry_no_answer_seconds=600,
                              unknown_outcome="retry")
    Target.objects.bulk_create(Target(campaign=campaign, number=f"+1417{i:07d}", extension="5")
                               for i in range(TARGETS))
    return campaign


def _ended(campaign) -> int:
    return CallAttempt.objects.filter(campaign=campaign, ended_at__isnull=False).count()


def _run_with_listener_outage(world, campaign, celery_worker_factory, celery_beat_factory):
    every(2, "test: reconcile calls", "switchboard.reconcile_calls")
    start_processes(world, worker_factory=celery_worker_factory,
                    beat_factory=celery_beat_factory)
    wait_for(lambda: _ended(campaign) >= 8, 60, "the first calls to end", world.logs)
    kill_listener(world)
    killed_at = timezone.now()
    wait_seconds(6.0)  # calls in progress are answered and end with nobody listening
    restarted_at = timezone.now()
    world.start("listen", "--agent-sync", "1", kind="listener")
    return killed_at, restarted_at


def test_listener_killed_outcomes_come_from_the_cdr_posts(world, celery_worker_factory,
                                                          celery_beat_factory):
    web, url = start_web(world)
    world.processes.append(web)  # stopped with the world
    post_cdrs(world, url)
    campaign = _campaign(world)
    killed_at, restarted_at = _run_with_listener_outage(world, campaign, celery_worker_factory,
                                                        celery_beat_factory)

    wait_for(lambda: Campaign.objects.get(id=campaign.id).status == CampaignStatus.COMPLETED,
             150, "the campaign to complete", lambda: f"{states(campaign)}\n{world.logs()}")

    assert states(campaign) == {TargetState.COMPLETED: TARGETS}
    redialled = redialled_after_answer(campaign)
    assert redialled == [], list(CallAttempt.objects.filter(target_id__in=redialled).order_by(
        "target_id", "created_at").values_list("target_id", "outcome", "hangup_cause",
                                               "agent_leg_cause", "answered_at", "bridged_at",
                                               "created_at", "ended_at"))
    attempts = CallAttempt.objects.filter(campaign=campaign)
    assert attempts.count() == TARGETS  # everyone answered the first time: no second call
    assert set(attempts.values_list("outcome", flat=True)) == {Outcome.ANSWERED}
    # Every callee's leg was posted and stored once; those that ended while no listener ran
    # were settled by their CDR (no event reached the consumer for them).
    assert CallDetailRecord.objects.filter(attempt__campaign=campaign, leg="target").count() == (
        TARGETS)
    # ended_at is the call's own end, from its CDR (issue 16 item 4): the calls that ended
    # while no listener ran (the new one takes a few seconds to start and connect).
    during = attempts.filter(ended_at__gt=killed_at,
                             ended_at__lt=restarted_at + timezone.timedelta(seconds=5))
    assert during.exists()
    assert not during.filter(call_details__isnull=True).exists()


def test_endpoint_down_attempts_wait_as_unknown_until_the_sweep(world, celery_worker_factory,
                                                                celery_beat_factory, tmp_path):
    err = tmp_path / "cdr-err"
    post_cdrs(world, DEAD_URL, err_log_dir=str(err))
    campaign = _campaign(world)
    _run_with_listener_outage(world, campaign, celery_worker_factory, celery_beat_factory)

    def unknown() -> int:
        return CallAttempt.objects.filter(campaign=campaign, outcome=Outcome.UNKNOWN).count()

    wait_for(lambda: unknown() and not states(campaign).get(TargetState.PENDING)
             and not states(campaign).get(TargetState.QUEUED)
             and not states(campaign).get(TargetState.DIALING), 150,
             "every reachable target settled, the lost ones unknown",
             lambda: f"{states(campaign)}\n{world.logs()}")
    lost = unknown()
    assert redialled_after_answer(campaign) == []
    assert Campaign.objects.get(id=campaign.id).status == CampaignStatus.RUNNING  # they wait
    assert not Target.objects.filter(campaign=campaign, last_outcome=Outcome.UNKNOWN).exclude(
        state=TargetState.RETRY_WAIT).exists()
    assert sorted(p.parent.name for p in err.rglob("*.cdr.*")) != []

    out = subprocess.run([sys.executable, "manage.py", "sweep_cdrs", str(err)], cwd=ROOT,
                         env=world.env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("applied "), out.stdout

    assert CallAttempt.objects.filter(campaign=campaign, outcome=Outcome.UNKNOWN).count() == 0
    assert lost > 0
    assert states(campaign) == {TargetState.COMPLETED: TARGETS}
    assert CallAttempt.objects.filter(campaign=campaign).count() == TARGETS
    assert Campaign.objects.get(id=campaign.id).status == CampaignStatus.COMPLETED
    assert not list(err.glob("*_cdr/*.cdr.*"))  # every file moved to done/
