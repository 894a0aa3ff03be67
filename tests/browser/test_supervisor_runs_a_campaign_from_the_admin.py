"""A supervisor, in a real browser, sets up a campaign in the admin and watches it dial.

The whole pipeline is real: the admin and dashboard on a live server, PostgreSQL, Redis, the
emulated 3-node cluster over TCP, `manage.py listen`, `manage.py consume_events`, a Celery worker
and Celery beat as processes. The browser does what a person does: log in, fill the campaign form,
upload a CSV, read the import preview, start the campaign from the changelist, open the dashboard.
"""

import re

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import Campaign, Target
from tests.browser.conftest import admin_login
from tests.dispatch.e2e_world import build_world, start_processes, stop_world

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(240)]

ANSWERED, BUSY = 8, 4  # rows in the CSV whose far end answers / is busy


@pytest.fixture
def world(process_env, redis_client, key_prefix, settings):
    # The live server (this process) must read the presence the listener writes for this test.
    settings.REDIS_KEY_PREFIX = key_prefix
    built = build_world(process_env, redis_client, key_prefix, agents_per_node=2, node_cps=20)
    for node in built.nodes:
        call = built.cluster.node(node).call
        # The callee stays past the plan's wait before the agent is dialled (settle 100 ms, then
        # three digits of 480 ms each sent in full): one who hung up sooner would be abandoned.
        call("set_outcome", pattern="+1415777*", kind="answer", answer_ms=50, hangup_ms=4000)
        call("set_outcome", pattern="+1415200*", kind="busy", fail_ms=20)
    yield built
    stop_world(built)


def _csv() -> bytes:
    lines = ["number,extension,external_ref"]
    lines += [f"+1415777{i:04d},12{i},lead-{i}" for i in range(ANSWERED)]
    lines += [f"+1415200{i:04d},w34,lead-b{i}" for i in range(BUSY)]
    lines += ["not a number,1,broken"]
    return ("\n".join(lines) + "\n").encode()


def test_supervisor_creates_imports_starts_and_watches_the_dashboard_count_calls(
    world, live_server, page, celery_worker_factory, celery_beat_factory
):
    get_user_model().objects.create_superuser("boss", password="boss-pw-for-tests")
    trunk = world.campaign().trunk  # a trunk and the agents' group exist; the browser does the rest
    Campaign.objects.all().delete()
    base = live_server.url
    admin_login(page, base, "boss", "boss-pw-for-tests")

    # 1. The campaign form: autocomplete selects are filled the way their widget does it.
    page.goto(f"{base}/admin/campaigns/campaign/add/")
    page.fill("input[name=name]", "Browser campaign")
    for field, obj in (("trunk", trunk), ("agent_group", world.agents_group)):
        page.evaluate(
            "([name, value, text]) => { const s = document.querySelector(`select[name=${name}]`);"
            " s.add(new Option(text, value, true, true)); }",
            [field, str(obj.pk), str(obj)],
        )
    for day in range(7):
        page.check(f"input[name=weekdays][value='{day}']")
    page.fill("input[name=daily_start]", "00:00:00")
    page.fill("input[name=daily_end]", "00:00:00")
    page.fill("input[name=originate_timeout]", "5")
    page.fill("input[name=retry_busy_seconds]", "1")
    page.fill("input[name=max_attempts]", "2")
    page.fill("input[name=dtmf_settle_ms]", "100")
    page.click("[name=_continue]")
    page.wait_for_url(re.compile(r".*/admin/campaigns/campaign/\d+/change/.*"))
    campaign = Campaign.objects.get(name="Browser campaign")

    # 2. Import a CSV: the preview names the bad line, then the good rows go in.
    page.goto(f"{base}/admin/campaigns/campaign/{campaign.pk}/import/")
    page.set_input_files("input[name=file]", files=[
        {"name": "leads.csv", "mimeType": "text/csv", "buffer": _csv()}
    ])
    page.click("form[enctype] [type=submit]")
    assert page.text_content("#would-create").strip() == str(ANSWERED + BUSY)
    assert "14" in page.text_content("#rejected-lines")  # the header is line 1
    page.click("#import-preview [type=submit]")
    page.wait_for_url(re.compile(rf".*/admin/campaigns/campaign/{campaign.pk}/change/.*"))
    assert Target.objects.filter(campaign=campaign).count() == ANSWERED + BUSY

    # 3. Start it from the changelist, as a supervisor would.
    start_processes(world, worker_factory=celery_worker_factory, beat_factory=celery_beat_factory)
    page.goto(f"{base}/admin/campaigns/campaign/")
    page.check(f"input[name=_selected_action][value='{campaign.pk}']")
    page.select_option("select[name=action]", "start_campaigns")
    page.click("button[type=submit][name=index], button[type=submit]:has-text('Run')")
    page.wait_for_load_state()
    campaign.refresh_from_db()
    assert campaign.status == "running", page.content()[:2000]

    # 4. The dashboard counts the calls as they happen, without a reload.
    page.goto(f"{base}/dashboard/campaigns/{campaign.pk}/")
    page.evaluate("window.__notReloaded = true")
    page.wait_for_function(
        "parseInt(document.getElementById('attempts-total').textContent.replace(/,/g, '')) >= "
        f"{ANSWERED + BUSY}",
        timeout=90_000,
    )
    page.wait_for_function(
        "document.querySelector('#chart-outcomes').textContent.includes('Answered')",
        timeout=60_000,
    )
    assert page.evaluate("window.__notReloaded") is True
    outcomes = page.text_content("#chart-outcomes")
    assert "Busy" in outcomes
    # The system page shows the three emulated nodes up and owned by the listener.
    page.goto(f"{base}/dashboard/")
    page.wait_for_function("document.querySelectorAll('#nodes tbody tr').length === 3")
    page.wait_for_function("document.getElementById('nodes-up').textContent === '3 / 3'")
