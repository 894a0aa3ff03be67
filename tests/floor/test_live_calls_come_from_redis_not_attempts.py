"""The live-call registry: state moves with the call, a page costs O(page), ends leave no trace."""

import time

import pytest

from telephony.floor import LiveCall, LiveCalls, call_state


@pytest.mark.parametrize(("answered", "has_ext", "digits", "bridged", "state"), [
    (False, False, False, False, "ringing"),
    (True, False, False, False, "answered"),
    (True, True, False, False, "sending_digits"),
    (True, True, True, False, "answered"),
    (True, True, True, True, "connected"),
    (True, True, False, True, "sending_digits"),  # agent_first: bridged, digits still going
    (True, False, False, True, "connected"),
    (False, False, False, True, "connected"),  # agent_first: agent bridged before far answer
])
def test_call_state_words(answered, has_ext, digits, bridged, state):
    assert call_state(answered, has_ext, digits, bridged) == state


def _call(uuid, campaign_id=1, agent="1001@demo.local", started=1000.0, ext="22"):
    return LiveCall(uuid=uuid, number="+14155550100", extension=ext, campaign_id=campaign_id,
                    campaign="Spring", target_id=7, attempt_id=9, node="fs1", agent=agent,
                    state="ringing", started_at=started, state_at=started)


def test_a_call_moves_through_its_states_and_leaves_when_it_ends(redis_client, key_prefix):
    live = LiveCalls(redis_client, key_prefix)
    live.add(_call("00000000-0000-4000-8000-000000000001"))
    uuid = "00000000-0000-4000-8000-000000000001"
    assert live.progress(uuid, 1001.0, answered=True) == "sending_digits"
    assert live.progress(uuid, 1003.0, digits_done=True) == "answered"
    assert live.progress(uuid, 1004.0, bridged=True) == "connected"
    (row,) = live.page(1010.0)
    assert (row.state, row.state_at, row.as_dict(1010.0)["duration_seconds"]) == (
        "connected", 1004.0, 10)
    assert live.for_agents(["1001@demo.local", "1002@demo.local"]) == {"1001@demo.local": row}
    live.remove(uuid)
    assert (live.count(), live.count(1), live.for_agents(["1001@demo.local"])) == (0, 0, {})
    assert not list(redis_client.scan_iter(match=f"{key_prefix}:live:call:*"))
    # An event for a call already ended creates nothing.
    assert live.progress(uuid, 1020.0, bridged=True) is None
    assert not list(redis_client.scan_iter(match=f"{key_prefix}:live:call:*"))


def test_a_page_is_the_longest_calls_of_a_campaign_whatever_the_total(redis_client, key_prefix):
    live = LiveCalls(redis_client, key_prefix)
    pipe = redis_client.pipeline(transaction=False)
    for n in range(300):
        live.add(_call(f"00000000-0000-4000-8000-{n:012d}", campaign_id=1 + n % 2,
                       agent=f"a{n}@x", started=2000.0 + n), client=pipe)
    pipe.execute()
    assert (live.count(), live.count(1), live.count(2)) == (300, 150, 150)
    page = live.page(3000.0, limit=5, campaign_id=2)
    assert [c.uuid[-3:] for c in page] == ["001", "003", "005", "007", "009"]
    assert len(live.page(3000.0, limit=200)) == 200


def test_an_agents_slot_is_not_cleared_by_its_previous_call(redis_client, key_prefix):
    live = LiveCalls(redis_client, key_prefix)
    first, second = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
    live.add(_call(first))
    live.add(_call(second, started=1100.0))  # the agent's next call, before the first ended
    live.remove(first)
    assert [c.uuid for c in live.for_agents(["1001@demo.local"]).values()] == [second]


def test_records_past_their_ttl_are_pruned_from_the_list(redis_client, key_prefix):
    live = LiveCalls(redis_client, key_prefix)
    live.add(_call("00000000-0000-4000-8000-0000000000ff", started=time.time() - 90_000))
    assert live.page(time.time()) == []
    assert live.count() == 0
