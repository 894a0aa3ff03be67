"""Reconcile ends what no event ended, only from what it can prove: an attempt with no channel on
the node past its originate timeout and no CDR is `unknown` (its callee may have answered: it
waits the no-answer delay, not counted); one whose callee we saw connected to an agent is final,
one we saw answer but never saw bridged is `unknown` too (its bridge may be what was lost) and
waits the abandon delay if that is longer; a live call is left alone; a node that cannot be asked
is settled only once presence declared it lost; a target orphaned in `dialing` goes back.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from campaigns.models import CallAttempt, Outcome, Target, TargetState
from campaigns.services.call_path.results import Results
from campaigns.services.call_path.results_reconcile import (
    live_uuids,
    reap_orphan_dialing,
    reconcile_node,
)
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from tests.factories import make_campaign, make_target

pytestmark = pytest.mark.integration


@pytest.fixture
def results(transactional_db, redis_client, key_prefix):
    return Results(presence=PresenceStore(redis_client, key_prefix),
                   pacer=Pacer(redis_client, key_prefix), redis=redis_client, prefix=key_prefix)


def _attempt(campaign, *, answered: bool = False, node: str = "fs1",
             bridged: bool | None = None) -> CallAttempt:
    target = make_target(campaign, state=TargetState.DIALING)
    now = dt.datetime.now(tz=dt.UTC)
    return CallAttempt.objects.create(
        target=target, campaign=campaign, attempt_number=1, node=node, uuid=uuid.uuid4(),
        answered_at=now if answered else None,
        bridged_at=now if (answered if bridged is None else bridged) else None,
    )


def test_overdue_attempts_without_a_channel_are_ended_and_live_ones_kept(results):
    campaign = make_campaign(status="running", originate_timeout=5, dtmf_settle_ms=0,
                             retry_no_answer_seconds=600, retry_abandoned_seconds=3600,
                             unknown_outcome="retry")
    never_sent, answered, live = (_attempt(campaign), _attempt(campaign, answered=True),
                                  _attempt(campaign))
    fresh = _attempt(campaign)
    # Answered, no bridge seen: the lost events may have been the bridge (connected, final) or
    # not (abandoned): unknown until a CDR tells, waiting the longer of the two delays.
    held = _attempt(campaign, answered=True, bridged=False)
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=30)
    CallAttempt.objects.filter(id=fresh.id).update(created_at=later - dt.timedelta(seconds=2))
    channels = json.dumps({"row_count": 1, "rows": [{"uuid": str(live.uuid)}]})

    assert reconcile_node(results, "fs1", live_uuids(channels), later) == 3

    outcomes = dict(CallAttempt.objects.values_list("id", "outcome"))
    assert outcomes == {never_sent.id: Outcome.UNKNOWN, answered.id: Outcome.ANSWERED,
                        held.id: Outcome.UNKNOWN, live.id: "", fresh.id: ""}
    unknown = Target.objects.get(id=never_sent.target_id)
    assert (unknown.state, unknown.attempts, unknown.last_outcome) == (
        TargetState.RETRY_WAIT, 0, Outcome.UNKNOWN)
    assert unknown.next_attempt_at == later + dt.timedelta(seconds=600)
    assert Target.objects.get(id=answered.target_id).state == TargetState.COMPLETED
    waiting = Target.objects.get(id=held.target_id)
    assert (waiting.state, waiting.attempts) == (TargetState.RETRY_WAIT, 0)
    assert waiting.next_attempt_at == later + dt.timedelta(seconds=3600)  # the abandon delay
    assert CallAttempt.objects.get(id=never_sent.id).counts_as_attempt is False


def test_a_node_that_cannot_be_asked_is_settled_only_once_declared_lost(results):
    campaign = make_campaign(status="running", originate_timeout=5, dtmf_settle_ms=0)
    attempt = _attempt(campaign, node="fs2")
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=30)
    assert reconcile_node(results, "fs2", None, later) == 0
    assert CallAttempt.objects.get(id=attempt.id).ended_at is None
    assert reconcile_node(results, "fs2", None, later, node_lost=True) == 1
    assert CallAttempt.objects.get(id=attempt.id).outcome == Outcome.UNKNOWN


def test_a_target_orphaned_in_dialing_without_an_attempt_goes_back_to_pending(transactional_db):
    campaign = make_campaign(status="running")
    orphan = make_target(campaign, state=TargetState.DIALING)
    busy = make_target(campaign, state=TargetState.DIALING)
    CallAttempt.objects.create(target=busy, campaign=campaign, attempt_number=1, node="fs1")
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=60)
    assert reap_orphan_dialing(later, older_than=30) == 1
    states = dict(Target.objects.values_list("id", "state"))
    assert states == {orphan.id: TargetState.PENDING, busy.id: TargetState.DIALING}
    assert Target.objects.get(id=orphan.id).attempts == 0
