"""Reconcile asks before it ends: an overdue attempt whose events were lost is ended from its
CDR when FreeSWITCH posted one (the agent_first callee's leg alone is enough by then), else as
`unknown`, which a CDR arriving later (posted or swept) corrects: an answered callee's target
completes instead of being dialled again.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from campaigns.models import CallAttempt, Outcome, TargetState
from campaigns.services.call_path.cdr import results_from_settings
from campaigns.services.call_path.results_reconcile import reconcile_node
from tests.cdr.posts import posts, send
from tests.factories import make_campaign, make_target

pytestmark = pytest.mark.integration


def _attempt(mode: str, leg_a: str, attempt_id: int) -> CallAttempt:
    campaign = make_campaign(status="running", mode=mode, originate_timeout=5, dtmf_settle_ms=0,
                             retry_no_answer_seconds=900, max_attempts=3,
                             unknown_outcome="retry")
    target = make_target(campaign, state=TargetState.DIALING)
    return CallAttempt.objects.create(id=attempt_id, target=target, campaign=campaign,
                                      attempt_number=1, node="fs1", uuid=uuid.UUID(leg_a))


def _later() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=60)


def test_an_answered_call_whose_events_were_lost_is_unknown_then_corrected_by_its_cdr(
        client, cdr_settings):
    attempt = _attempt("target_first", "00000000-0000-4000-8000-000000000036", 136)
    later = _later()

    assert reconcile_node(results_from_settings(), "fs1", set(), later) == 1
    attempt.refresh_from_db()
    attempt.target.refresh_from_db()
    assert (attempt.outcome, attempt.target.state, attempt.target.attempts,
            attempt.counts_as_attempt) == (Outcome.UNKNOWN, TargetState.RETRY_WAIT, 0, False)
    # Never dialled again before the no-answer delay.
    assert attempt.target.next_attempt_at == later + dt.timedelta(seconds=900)

    for post in posts("36"):  # the CDR comes (a retry, or the sweeper)
        assert send(client, post).status_code == 200

    attempt.refresh_from_db()
    attempt.target.refresh_from_db()
    assert (attempt.outcome, attempt.billsec, attempt.target.state, attempt.target.attempts,
            attempt.target.last_outcome, attempt.target.next_attempt_at) == (
        Outcome.ANSWERED, 8, TargetState.COMPLETED, 1, Outcome.ANSWERED, None)
    assert attempt.answered_at is not None
    attempt.campaign.refresh_from_db()
    assert attempt.campaign.status == "completed"


def test_a_busy_cdr_corrects_unknown_to_busy_with_the_busy_delay(client, cdr_settings):
    attempt = _attempt("target_first", "00000000-0000-4000-8000-000000000038", 138)
    assert reconcile_node(results_from_settings(), "fs1", set(), _later()) == 1
    for post in posts("38"):
        assert send(client, post).status_code == 200
    attempt.refresh_from_db()
    attempt.target.refresh_from_db()
    assert (attempt.outcome, attempt.target.state, attempt.target.attempts,
            attempt.target.last_outcome) == (
        Outcome.BUSY, TargetState.RETRY_WAIT, 1, Outcome.BUSY)


def test_reconcile_ends_from_a_cdr_already_stored(client, cdr_settings):
    attempt = _attempt("agent_first", "00000000-0000-4000-8000-000000000037", 137)
    callee = [p for p in posts("37") if "000000000371" in p.path]
    for post in callee:  # the callee's leg came; the agent's leg A was lost
        assert send(client, post).status_code == 200
    attempt.refresh_from_db()
    assert attempt.ended_at is None

    assert reconcile_node(results_from_settings(), "fs1", set(), _later()) == 1
    attempt.refresh_from_db()
    attempt.target.refresh_from_db()
    assert (attempt.outcome, attempt.billsec, attempt.target.state) == (
        Outcome.ANSWERED, 8, TargetState.COMPLETED)


def test_a_live_channel_is_never_ended(client, cdr_settings):
    attempt = _attempt("target_first", "00000000-0000-4000-8000-000000000036", 136)
    assert reconcile_node(results_from_settings(), "fs1", {str(attempt.uuid)}, _later()) == 0
    attempt.refresh_from_db()
    assert attempt.ended_at is None
