"""target_first: the agent is dialled only once the extension is out (the plan's DTMF mark), so
the agent page pops the target, and the floor reads "On a call" and "Connected", only from the
bridge; before it the agent is "Reserved" and the call is answered or sending digits.

The results side applies the events the node raises for that plan (answer, the mark's
EXECUTE_COMPLETE, bridge) to the attempt, presence and the live-call list in real Redis.
"""

import time

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import CampaignMode
from campaigns.services.call_path.results import Results, StreamEvent
from campaigns.services.floor.snapshot import live_calls
from telephony.call_records import CallRecord, save_call
from telephony.originate import DTMF_SENT_MARK
from telephony.pacing import Pacer
from tests import factories
from tests.floor.conftest import place_call

# Committed rows: the results side updates Redis after each event's commit.
pytestmark = pytest.mark.django_db(transaction=True)


def _event(name: str, attempt, **headers) -> StreamEvent:
    return StreamEvent(node="fs1", core="core-1", seq="1", name=name, headers={
        "Unique-ID": str(attempt.uuid), "variable_attempt_id": str(attempt.id),
        "Event-Date-Timestamp": str(int(time.time() * 1_000_000)), **headers})


@pytest.mark.parametrize("mode", [CampaignMode.TARGET_FIRST, CampaignMode.AGENT_FIRST])
def test_the_pop_and_the_words_follow_who_is_on_the_line(client, floor, key_prefix, mode):
    campaign, store = floor["campaign"], floor["store"]
    campaign.mode = mode
    campaign.save(update_fields=["mode"])
    agent = floor["agents"][0]
    agent.user = get_user_model().objects.create_user("ann", password="ann-pw-for-tests")
    agent.save(update_fields=["user"])
    client.force_login(agent.user)
    target = factories.make_target(campaign, number="+14155550100", extension="204")
    attempt = factories.make_attempt(target, agent=agent, node="fs1")
    now = time.time()
    reservation = store.reserve(floor["group"].name, ["fs1"], now, 60)
    assert reservation is not None and reservation.agent == agent.presence_key
    save_call(store.client, key_prefix, str(attempt.uuid), CallRecord(
        attempt.id, "fs1", agent.presence_key, reservation.token, (), mode, 0))
    place_call(campaign, agent, target, attempt)
    results = Results(presence=store, pacer=Pacer(store.client, key_prefix), redis=store.client,
                      prefix=key_prefix)

    def desk():
        body = client.get("/agent/data.json").json()
        return body["state_label"], body["call"]["state"], "target" in body["call"]

    answer = {"variable_attempt_leg": "target"} if mode == CampaignMode.AGENT_FIRST else {}
    assert results.apply(_event("CHANNEL_ANSWER", attempt, **answer), timezone.now()) == (
        "answered")
    if mode == CampaignMode.TARGET_FIRST:
        assert desk() == ("Reserved", "sending_digits", False)
        mark = {"Application": "set", "Application-Data": f"{DTMF_SENT_MARK}=sent"}
        assert results.apply(_event("CHANNEL_EXECUTE_COMPLETE", attempt, **mark),
                             timezone.now()) == "dtmf_sent"
        assert desk() == ("Reserved", "answered", False)
    else:
        # The agent took their phone before the target was dialled: they hear the digits.
        assert desk()[1:] == ("sending_digits", True)
    assert results.apply(_event("CHANNEL_BRIDGE", attempt), timezone.now()) == "bridged"
    label, state, popped = desk()
    assert (label, popped) == ("On a call", True)
    if mode == CampaignMode.TARGET_FIRST:
        # The digits were out before the bridge: the floor reads the call as connected.
        assert state == "connected"
        (row,) = live_calls().page(time.time(), campaign_id=campaign.id)
        assert row.state == "connected"
