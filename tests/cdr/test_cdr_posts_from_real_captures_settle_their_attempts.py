"""Every real CDR post in the captures (36-42d), replayed byte for byte into the endpoint, is
stored once per leg, tied to its attempt (the agent's and agent_first callee's legs only through
call_uuid / signal_bond / bridge_uuid) and ends the attempt with the outcome the event path gives.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from campaigns.models import Agent, CallAttempt, CallDetailRecord, Outcome, TargetState
from tests.cdr.posts import GOOD_AUTHORIZATION, posts, send
from tests.dispatch.captured_calls import call_world
from tests.factories import make_campaign, make_target

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000"
CALLEE_37 = "00000000-0000-4000-8000-000000000371"  # agent_first leg B: no attempt_id

# scenario, mode, leg A uuid, attempt_id, legs, outcome, target state, billsec
TABLE = [
    ("36", "target_first", A + "036", 136, 2, Outcome.ANSWERED, TargetState.COMPLETED, 8),
    ("37", "agent_first", A + "037", 137, 2, Outcome.ANSWERED, TargetState.COMPLETED, 8),
    ("38", "target_first", A + "038", 138, 1, Outcome.BUSY, TargetState.RETRY_WAIT, 0),
    ("39", "target_first", A + "039", 139, 1, Outcome.INVALID_NUMBER, TargetState.FAILED, 0),
    ("40", "target_first", A + "040", 140, 1, Outcome.NO_ANSWER, TargetState.RETRY_WAIT, 0),
    # The callee answered and the agent's leg failed 486: answered, no agent connected is the
    # callee's abandon (issue 9's rule, as on the event path), counted, retried later.
    ("41", "target_first", A + "041", 141, 2, Outcome.ABANDONED, TargetState.RETRY_WAIT, 1),
    ("42b", "target_first", A + "421", 1421, 1, Outcome.BUSY, TargetState.RETRY_WAIT, 0),
    ("42c", "target_first", A + "422", 1422, 1, Outcome.BUSY, TargetState.RETRY_WAIT, 0),
    ("42d", "target_first", A + "423", 1423, 1, Outcome.BUSY, TargetState.RETRY_WAIT, 0),
]


def _attempt(mode: str, leg_a: str, attempt_id: int) -> CallAttempt:
    campaign = make_campaign(status="running", mode=mode, max_attempts=3)
    target = make_target(campaign, state=TargetState.DIALING)
    return CallAttempt.objects.create(
        id=attempt_id, target=target, campaign=campaign, attempt_number=1, node="fs1",
        uuid=uuid.UUID(leg_a), originated_at=dt.datetime.now(tz=dt.UTC),
    )


@pytest.mark.parametrize(("scenario", "mode", "leg_a", "attempt_id", "legs", "outcome",
                          "state", "billsec"), TABLE, ids=[row[0] for row in TABLE])
def test_captured_posts_settle_the_attempt_once(client, cdr_settings, scenario, mode, leg_a,
                                                attempt_id, legs, outcome, state, billsec):
    attempt = _attempt(mode, leg_a, attempt_id)
    captured = posts(scenario)
    assert captured, scenario

    # 42d was sent with wrong credentials (see the endpoint tests): replayed with the right ones.
    auth = GOOD_AUTHORIZATION if scenario == "42d" else None
    answers = [send(client, post, authorization=auth) for post in captured]

    assert [(r.status_code, r.content) for r in answers] == [(200, b"OK\n")] * len(captured)
    records = CallDetailRecord.objects.filter(attempt=attempt)
    assert records.count() == legs  # both modules, and 42d's three tries: one row per leg
    assert CallDetailRecord.objects.count() == legs
    assert {r.leg for r in records} == ({"target", "agent"} if legs == 2 else {"target"})
    attempt.refresh_from_db()
    attempt.target.refresh_from_db()
    assert (attempt.outcome, attempt.billsec, attempt.target.state) == (outcome, billsec, state)
    assert attempt.ended_at is not None
    if outcome in (Outcome.ANSWERED, Outcome.ABANDONED):
        assert attempt.answered_at is not None
    if outcome == Outcome.ABANDONED:
        assert (attempt.counts_as_attempt, attempt.target.attempts) == (True, 1)

    # Posted again (a retry after a lost 200): nothing changes.
    ended_at = attempt.ended_at
    assert {send(client, post, authorization=auth).status_code for post in captured} == {200}
    attempt.refresh_from_db()
    assert (attempt.ended_at, attempt.outcome) == (ended_at, outcome)
    assert CallDetailRecord.objects.count() == legs


def test_each_leg_keeps_its_cause_dispositions_and_times(client, cdr_settings):
    attempt = _attempt("target_first", A + "041", 141)
    for post in posts("41"):
        assert send(client, post).status_code == 200
    callee = CallDetailRecord.objects.get(leg="target")
    agent = CallDetailRecord.objects.get(leg="agent")
    assert (str(callee.leg_uuid), callee.hangup_cause, callee.hangup_cause_q850,
            callee.sip_hangup_disposition, callee.originate_disposition, callee.dialstatus,
            callee.bridge_cause, callee.billsec) == (
        A + "041", "USER_BUSY", 17, "send_bye", "USER_BUSY", "BUSY", "USER_BUSY", 1)
    assert callee.answered_at is not None and callee.bridged_at is None
    assert (str(agent.leg_uuid), agent.call_uuid, agent.hangup_cause,
            agent.sip_hangup_disposition, agent.answered_at) == (
        "5e30257e-4078-4edf-8e2b-77447061ee88", A + "041", "USER_BUSY", "recv_refuse", None)
    assert {callee.attempt_id, agent.attempt_id} == {attempt.id}
    assert callee.source == "json" and callee.core_uuid == "f1ace4ac-5878-490b-9c3d-ef1439606783"


def test_agent_first_callee_leg_is_tied_through_call_uuid_without_attempt_id(client,
                                                                             cdr_settings):
    attempt = _attempt("agent_first", A + "037", 137)
    callee_posts = [p for p in posts("37") if p.path.endswith("uuid=" + CALLEE_37)]
    assert len(callee_posts) == 2 and all(b"attempt_id" not in p.body for p in callee_posts)

    for post in callee_posts:
        assert send(client, post).status_code == 200

    record = CallDetailRecord.objects.get()
    assert (record.attempt_id, record.leg, str(record.leg_uuid)) == (
        attempt.id, "target", CALLEE_37)
    attempt.refresh_from_db()
    # The callee's leg alone does not end an agent_first attempt: the agent's leg A decides.
    assert attempt.ended_at is None and attempt.answered_at is not None


def test_a_leg_of_no_attempt_is_stored_and_acknowledged(client, cdr_settings):
    answers = [send(client, post) for post in posts("38")]
    assert [r.status_code for r in answers] == [200, 200]
    record = CallDetailRecord.objects.get()
    assert (record.attempt_id, record.leg, record.hangup_cause) == (None, "", "USER_BUSY")


def test_the_agent_whose_leg_failed_is_charged_as_the_event_path_would(client, cdr_settings,
                                                                      redis_client, key_prefix):
    # 41 with no event seen (the listener down): the CDR ends the call, and agent 1001's 486 costs
    # it the busy delay, as leg A's failed bridge would on the event path; 1000 is untouched.
    world = call_world(redis_client, key_prefix)
    world.setup(mode="target_first", retry_abandoned_seconds=600)
    _, attempt = world.call("1001", A + "041", attempt_id=141)

    assert {send(client, post).status_code for post in posts("41")} == {200}

    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.ABANDONED
    busy = Agent.objects.get(sip_user="1001")
    assert (busy.penalty_reason, Agent.objects.get(sip_user="1000").penalty_reason) == ("busy", "")
    assert busy.penalty_until is not None
    assert not world.routable("1001") and world.routable("1000")
