"""Issue 16 item 12: a call whose outcome was lost (no event, no CDR) may have reached a person.
By default its target is held (failed, last outcome `unknown`, never dialled again by itself)
until someone checks it and recycles it, or its CDR arrives and corrects it; a campaign may
choose instead to dial it again after the no-answer delay (the abandon delay if it answered)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from campaigns.models import CallAttempt, Campaign, Outcome, Target, TargetState, UnknownOutcome
from campaigns.services.call_path.results import Results
from campaigns.services.call_path.results_reconcile import reconcile_node
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from tests.factories import make_campaign, make_target

pytestmark = pytest.mark.integration


@pytest.fixture
def results(transactional_db, redis_client, key_prefix):
    return Results(presence=PresenceStore(redis_client, key_prefix),
                   pacer=Pacer(redis_client, key_prefix), redis=redis_client, prefix=key_prefix)


def _lost_call(**campaign_fields) -> CallAttempt:
    campaign = make_campaign(status="running", originate_timeout=5, dtmf_settle_ms=0,
                             retry_no_answer_seconds=600, **campaign_fields)
    target = make_target(campaign, state=TargetState.DIALING)
    make_target(campaign)  # another target still to dial: the campaign stays running
    return CallAttempt.objects.create(target=target, campaign=campaign, attempt_number=1,
                                      node="fs1", uuid=uuid.uuid4())


def test_a_new_campaign_holds_unknown_outcomes(results):
    attempt = _lost_call()
    assert Campaign.objects.get(id=attempt.campaign_id).unknown_outcome == UnknownOutcome.HOLD
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=60)

    assert reconcile_node(results, "fs1", set(), later) == 1

    attempt.refresh_from_db()
    target = Target.objects.get(id=attempt.target_id)
    assert (attempt.outcome, attempt.settled_by) == (Outcome.UNKNOWN, "reconcile")
    assert (target.state, target.last_outcome, target.next_attempt_at, target.attempts) == (
        TargetState.FAILED, Outcome.UNKNOWN, None, 0)


def test_a_campaign_may_choose_to_dial_unknown_outcomes_again_after_a_delay(results):
    attempt = _lost_call(unknown_outcome=UnknownOutcome.RETRY)
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=60)

    assert reconcile_node(results, "fs1", set(), later) == 1

    target = Target.objects.get(id=attempt.target_id)
    assert (target.state, target.next_attempt_at) == (
        TargetState.RETRY_WAIT, later + dt.timedelta(seconds=600))


def test_the_api_shows_and_takes_the_choice(transactional_db):
    from rest_framework.test import APIClient

    from tests.factories import make_supervisor

    campaign = make_campaign()
    client = APIClient()
    client.force_authenticate(make_supervisor())
    url = f"/api/campaigns/{campaign.id}/"
    assert client.get(url).json()["unknown_outcome"] == "hold"
    assert client.patch(url, {"unknown_outcome": "retry"}, format="json").status_code == 200
    assert Campaign.objects.get(id=campaign.id).unknown_outcome == "retry"
    bad = client.patch(url, {"unknown_outcome": "sometimes"}, format="json")
    assert (bad.status_code, bad.json()) == (
        400, {"unknown_outcome": ['"sometimes" is not a valid choice.']})
