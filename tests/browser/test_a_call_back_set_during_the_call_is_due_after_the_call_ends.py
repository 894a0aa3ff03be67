"""Issue 16 item 1, in a real browser: an agent sets "call back tomorrow 10:00" while the call
is still up (the agent page offers it then), the call then ends, and the target is still due at
10:00 in its own zone (Los Angeles), with its call back scheduled and the campaign running: the
hangup's default (`completed`) never overwrites what the agent decided.

The call is real end to end: the emulated node places it over ESL, the listener and consumer
record answer, digits, bridge and hangup, the agent page polls the live-call list in Redis.
"""

import datetime as dt
import time
import zoneinfo

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import (
    CallAttempt,
    Callback,
    CallbackState,
    Campaign,
    CampaignStatus,
    Outcome,
    Target,
    TargetState,
)
from campaigns.services.floor.dispositions import add_default_dispositions
from tests.dispatch.e2e_world import build_world, start_processes, stop_world

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(300)]
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
CALL_MS = 25_000  # long enough to dispose while the call is up, on a loaded machine too


@pytest.fixture
def world(process_env, redis_client, key_prefix, settings):
    settings.REDIS_KEY_PREFIX = key_prefix
    built = build_world(process_env, redis_client, key_prefix, agents_per_node=1, nodes=1)
    built.cluster.node(built.nodes[0]).call("set_outcome", pattern="+1213*", kind="answer",
                                            answer_ms=100, hangup_ms=CALL_MS)
    yield built
    stop_world(built)


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_call_back_set_during_the_call_survives_the_hangup(
    world, live_server, page, celery_worker_factory, celery_beat_factory
):
    agent = world.agents[world.nodes[0]][0]
    agent.user = get_user_model().objects.create_user("bob", password="bob-pw-for-tests")
    agent.save()
    campaign = world.campaign(dtmf_settle_ms=100, originate_timeout=5)
    add_default_dispositions(campaign)
    target = Target.objects.create(campaign=campaign, number="+12135550142", extension="17",
                                   timezone="America/Los_Angeles")
    base = live_server.url
    page.goto(f"{base}/agent/")
    page.wait_for_url(f"{base}/agent/login/?next=/agent/")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", "bob-pw-for-tests")
    page.click("[type=submit]")
    page.wait_for_url(f"{base}/agent/")
    page.wait_for_function("document.getElementById('agent-state').textContent !== '–'")

    start_processes(world, worker_factory=celery_worker_factory, beat_factory=celery_beat_factory)

    page.wait_for_selector("#screen-pop:not([hidden])", timeout=60_000)
    assert page.text_content("#pop-number") == "+12135550142"

    # During the call: "call back tomorrow 10:00", in the target's zone.
    page.wait_for_selector("#wrapup-panel:not([hidden])")
    page.select_option("#dispose-code", "call_back")
    tomorrow = (dt.datetime.now(tz=LOS_ANGELES) + dt.timedelta(days=1)).date()
    page.fill("#callback-at", f"{tomorrow}T10:00")
    page.fill("#dispose-notes", "call the manager")
    page.click("#dispose-save")
    page.wait_for_function(
        "document.getElementById('dispose-result').textContent.startsWith('saved: call back')")
    attempt = CallAttempt.objects.get(target=target)
    assert attempt.ended_at is None, "the disposition must be set while the call is up"

    # The call ends (the callee hangs up); the results side applies the hangup.
    _wait(lambda: CallAttempt.objects.get(id=attempt.id).ended_at is not None, 90,
          "the call to end")
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.disposition.code) == (Outcome.ANSWERED, "call_back")

    due = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=LOS_ANGELES)
    target.refresh_from_db()
    assert (target.state, target.next_attempt_at, target.last_outcome) == (
        TargetState.RETRY_WAIT, due, "call_back")
    callback = Callback.objects.get(target=target)
    assert (callback.state, callback.due_at, callback.timezone) == (
        CallbackState.SCHEDULED, due, "America/Los_Angeles")
    # Nothing else to dial, but a call back is owed: the campaign is not completed.
    time.sleep(2)  # a completion would follow the release right after the hangup
    assert Campaign.objects.get(id=campaign.id).status == CampaignStatus.RUNNING
