"""An agent, in a real browser, sees the target pop up when the call connects and sets "call back
tomorrow 10:00"; the target is then due at 10:00 in its own zone (Tokyo), with that agent.

The call is real end to end: the emulated node places it over ESL, the listener and consumer
record answer, digits and bridge, the agent page polls the live-call list in Redis.
"""

import datetime as dt
import time
import zoneinfo

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import CallAttempt, Callback, Target, TargetState
from campaigns.services.floor.dispositions import add_default_dispositions
from tests.dispatch.e2e_world import build_world, start_processes, stop_world

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(240)]
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture
def world(process_env, redis_client, key_prefix, settings):
    settings.REDIS_KEY_PREFIX = key_prefix
    built = build_world(process_env, redis_client, key_prefix, agents_per_node=1, nodes=1)
    built.cluster.node(built.nodes[0]).call("set_outcome", pattern="+8131*", kind="answer",
                                            answer_ms=100, hangup_ms=6000)
    yield built
    stop_world(built)


def test_screen_pop_then_call_back_tomorrow_at_ten_in_the_targets_zone(
    world, live_server, page, celery_worker_factory, celery_beat_factory
):
    agent = world.agents[world.nodes[0]][0]
    agent.user = get_user_model().objects.create_user("alice", password="alice-pw-for-tests")
    agent.save()
    campaign = world.campaign(dtmf_settle_ms=100, originate_timeout=5)
    add_default_dispositions(campaign)
    target = Target.objects.create(
        campaign=campaign, number="+81312345678", extension="204", external_ref="lead-42",
        timezone="Asia/Tokyo", custom_data={"company": "Acme KK", "contact": "Sato"})
    base = live_server.url
    page.goto(f"{base}/agent/")
    page.wait_for_url(f"{base}/agent/login/?next=/agent/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-pw-for-tests")
    page.click("[type=submit]")
    page.wait_for_url(f"{base}/agent/")
    page.wait_for_function("document.getElementById('agent-state').textContent !== '–'")

    start_processes(world, worker_factory=celery_worker_factory, beat_factory=celery_beat_factory)

    # The screen-pop: the target's data shows once the call is connected.
    page.wait_for_selector("#screen-pop:not([hidden])", timeout=60_000)
    assert page.text_content("#pop-number") == "+81312345678"
    assert page.text_content("#pop-extension") == "204"
    assert page.text_content("#pop-reference") == "lead-42"
    assert page.text_content("#pop-timezone") == "Asia/Tokyo"
    assert "Acme KK" in page.text_content("#pop-custom")
    assert page.text_content("#agent-state") == "On a call"

    # Wrap-up: "call back tomorrow 10:00", in the target's zone.
    page.wait_for_selector("#wrapup-panel:not([hidden])")
    page.select_option("#dispose-code", "call_back")
    tomorrow = (dt.datetime.now(tz=TOKYO) + dt.timedelta(days=1)).date()
    page.fill("#callback-at", f"{tomorrow}T10:00")
    page.fill("#dispose-notes", "wants the manager, Tuesday is fine too")
    page.click("#dispose-save")
    page.wait_for_function(
        "document.getElementById('dispose-result').textContent.startsWith('saved: call back')")
    assert page.text_content("#dispose-result") == (
        f"saved: call back {tomorrow} 10:00 Asia/Tokyo")

    due = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=TOKYO)
    callback = Callback.objects.get(target=target)
    assert (callback.due_at, callback.timezone, callback.agent_id) == (due, "Asia/Tokyo",
                                                                       agent.id)
    assert callback.notes == "wants the manager, Tuesday is fine too"
    # The target moves when the call is over (while it is up it stays in flight): then it is
    # due at 10:00 Tokyo time (the call ends 6 s after the answer).
    attempt = target.call_attempts.get()
    assert attempt.disposition.code == "call_back"
    deadline = time.monotonic() + 60
    while CallAttempt.objects.get(id=attempt.id).ended_at is None:
        assert time.monotonic() < deadline, "the call did not end"
        time.sleep(0.2)
    target.refresh_from_db()
    assert (target.state, target.next_attempt_at) == (TargetState.RETRY_WAIT, due)
