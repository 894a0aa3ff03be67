"""Issue 16 item 4: an attempt settled by its CDRs (the posts come before CHANNEL_HANGUP_COMPLETE,
or from err-log-dir) stores what the event path stores: the callee's own leg's cause as
`hangup_cause`, the agent leg's as `agent_leg_cause`, and the call's own end time from the
record, not the time the post or the sweep was applied."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import uuid

import pytest
from django.core.management import call_command

from campaigns.models import CallAttempt, CallDetailRecord, Outcome, TargetState
from campaigns.services.call_path.cdr import record_leg, results_from_settings
from telephony.cdr import decode_post
from tests.cdr.posts import CDR_DIR, posts, send
from tests.factories import make_campaign, make_target

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000"


def _attempt(leg_a: str, attempt_id: int) -> CallAttempt:
    campaign = make_campaign(status="running", mode="target_first", max_attempts=3)
    target = make_target(campaign, state=TargetState.DIALING)
    return CallAttempt.objects.create(
        id=attempt_id, target=target, campaign=campaign, attempt_number=1, node="fs1",
        uuid=uuid.UUID(leg_a), originated_at=dt.datetime.now(tz=dt.UTC))


def test_an_abandon_settled_by_its_cdrs_keeps_the_agent_legs_cause_apart(client, cdr_settings):
    # Capture 41: the agent's phone answered 486 and FreeSWITCH hung the callee up with it.
    attempt = _attempt(A + "041", 141)
    assert {send(client, post).status_code for post in posts("41")} == {200}
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.hangup_cause, attempt.agent_leg_cause) == (
        Outcome.ABANDONED, "USER_BUSY", "USER_BUSY")


def test_a_callee_who_hung_up_while_the_agent_rang_keeps_its_own_cause(cdr_settings):
    # As in the real-FreeSWITCH run: the callee hung up (NORMAL_CLEARING) while the agent's phone
    # rang, so the agent leg ended ORIGINATOR_CANCEL. Capture 41's legs, with those causes.
    attempt = _attempt(A + "041", 141)
    json_posts = [p for p in posts("41") if p.module == "json"]
    legs = [decode_post(p.body, p.headers["content-type"], "json") for p in json_posts]
    callee = next(leg for leg in legs if leg.uuid == A + "041")
    agent = next(leg for leg in legs if leg.uuid != A + "041")
    callee = dataclasses.replace(callee, hangup_cause="NORMAL_CLEARING",
                                 originate_disposition="ORIGINATOR_CANCEL",
                                 bridge_cause="ORIGINATOR_CANCEL")
    agent = dataclasses.replace(agent, hangup_cause="ORIGINATOR_CANCEL")
    results, now = results_from_settings(), dt.datetime.now(tz=dt.UTC)
    record_leg(agent, "json", results, now)
    assert record_leg(callee, "json", results, now) == Outcome.ABANDONED

    attempt.refresh_from_db()
    assert (attempt.hangup_cause, attempt.agent_leg_cause) == (
        "NORMAL_CLEARING", "ORIGINATOR_CANCEL")
    assert attempt.ended_at == callee.ended_at


def test_an_attempt_settled_from_a_swept_file_ends_when_the_call_ended(cdr_settings, tmp_path):
    shutil.copytree(CDR_DIR / "42-err-log-dir", tmp_path / "42")
    for path in (tmp_path / "42").rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    attempt = _attempt(A + "042", 142)

    call_command("sweep_cdrs", str(tmp_path / "42"))

    attempt.refresh_from_db()
    leg_a = CallDetailRecord.objects.get(leg_uuid=attempt.uuid)
    assert attempt.outcome == Outcome.ANSWERED
    assert leg_a.ended_at is not None and attempt.ended_at == leg_a.ended_at
    # The capture is from the past: the sweep's clock would be later by far.
    assert attempt.ended_at < dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=1)
