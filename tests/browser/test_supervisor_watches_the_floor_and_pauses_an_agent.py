"""A supervisor watches the floor in a real browser while the emulator places calls, sees a live
call's duration tick (rows updated in place, never moving), pauses an agent from the agents
table, and that agent gets no more calls.

Everything is real: the live server, PostgreSQL, Redis, the emulated cluster over TCP, the
listener, the results consumer, a Celery worker and beat as processes.
"""

import datetime as dt
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model

from campaigns.models import CallAttempt, Target
from tests.browser.conftest import admin_login
from tests.dispatch.e2e_world import build_world, start_processes, stop_world, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(240)]


@pytest.fixture
def world(process_env, redis_client, key_prefix, settings):
    settings.REDIS_KEY_PREFIX = key_prefix  # the live server reads what the listener writes
    built = build_world(process_env, redis_client, key_prefix, agents_per_node=1, node_cps=20)
    for node in built.nodes:
        built.cluster.node(node).call("set_outcome", pattern="+1415777*", kind="answer",
                                      answer_ms=100, hangup_ms=12_000)
    yield built
    stop_world(built)


def _seconds(text: str) -> int:
    minutes, seconds = text.strip().split(":")[-2:]
    return int(minutes) * 60 + int(seconds)


def test_supervisor_sees_states_change_a_call_tick_and_pauses_an_agent(
    world, live_server, page, celery_worker_factory, celery_beat_factory
):
    get_user_model().objects.create_superuser("boss", password="boss-pw-for-tests")
    campaign = world.campaign(dtmf_settle_ms=100, originate_timeout=5)
    Target.objects.bulk_create(Target(campaign=campaign, number=f"+1415777{i:04d}",
                                      extension="12") for i in range(60))
    base = live_server.url
    admin_login(page, base, "boss", "boss-pw-for-tests")
    page.goto(f"{base}/dashboard/floor/")
    page.wait_for_function("document.querySelectorAll('#floor-agents tbody tr').length === 3")
    page.evaluate("window.__notReloaded = true")
    # Rows are updated in place: the same elements, in the same order, whatever the polls say.
    page.evaluate("document.querySelectorAll('#floor-agents tbody tr')"
                  ".forEach((row) => { row.__kept = true; })")
    order = page.evaluate("[...document.querySelectorAll('#floor-agents tbody tr')]"
                          ".map((row) => row.dataset.agent)")
    start_processes(world, worker_factory=celery_worker_factory, beat_factory=celery_beat_factory)

    # 1. The agents table changes state as calls connect.
    page.wait_for_selector("#floor-agents tbody tr[data-state=on_call]", timeout=60_000)
    assert page.evaluate("[...document.querySelectorAll('#floor-agents tbody tr')]"
                         ".every((row) => row.__kept === true)")
    assert page.evaluate("[...document.querySelectorAll('#floor-agents tbody tr')]"
                         ".map((row) => row.dataset.agent)") == order
    # 2. A live call appears and its duration ticks between polls.
    row = page.wait_for_selector("#floor-calls tbody tr", timeout=30_000)
    uuid = row.get_attribute("data-uuid")
    assert re.fullmatch(r"[0-9a-f-]{36}", uuid)
    duration = f"#floor-calls tr[data-uuid='{uuid}'] td.duration"
    first = _seconds(page.text_content(duration))
    page.wait_for_function(
        "([sel, first]) => { const el = document.querySelector(sel); if (!el) return false;"
        " const [m, s] = el.textContent.split(':').map(Number); return m * 60 + s >= first + 2; }",
        arg=[duration, first], timeout=10_000)
    assert page.text_content(f"#floor-calls tr[data-uuid='{uuid}'] td.state") in (
        "Ringing", "Answered", "Sending digits", "Connected")

    # 3. Pause one agent from the table, with a reason typed into the prompt.
    agent = world.agents[world.nodes[0]][0]
    page.on("dialog", lambda dialog: dialog.accept("coaching"))
    page.click(f"#floor-agents tr[data-agent='{agent.presence_key}'] button[data-action=pause]")
    page.wait_for_function(
        "key => { const r = document.querySelector(`#floor-agents tr[data-agent='${key}']`);"
        " return r && r.textContent.includes('Paused: coaching'); }",
        arg=agent.presence_key, timeout=30_000)
    paused_at = LogEntry.objects.get(object_id=str(agent.id)).action_time
    assert page.evaluate("window.__notReloaded") is True

    # 4. The paused agent receives no new call; the others keep taking them.
    others = [a for people in world.agents.values() for a in people if a.id != agent.id]
    grace = paused_at + dt.timedelta(seconds=1)
    wait_for(lambda: CallAttempt.objects.filter(agent__in=others, created_at__gt=grace).count()
             >= 2, 60, "the other agents taking new calls", world.logs)
    assert not CallAttempt.objects.filter(agent=agent, created_at__gt=grace).exists()

    # 5. Hang up one live call from the table: a control task sends uuid_kill on its node.
    row = page.wait_for_selector("#floor-calls tbody tr", timeout=30_000)
    uuid = row.get_attribute("data-uuid")
    node = CallAttempt.objects.get(uuid=uuid).node
    page.click(f"#floor-calls tr[data-uuid='{uuid}'] button")
    wait_for(lambda: any(c["command"] == f"api uuid_kill {uuid} NORMAL_CLEARING"
                         for c in world.cluster.node(node).call("commands", contains="uuid_kill")),
             20, "uuid_kill on the call's node", world.logs)
    wait_for(lambda: CallAttempt.objects.filter(uuid=uuid, ended_at__isnull=False).exists(),
             20, "the hung-up attempt ended", world.logs)
    page.wait_for_function(
        "uuid => !document.querySelector(`#floor-calls tr[data-uuid='${uuid}']`)", arg=uuid,
        timeout=15_000)
