"""Configuration errors are refused as FreeSWITCH refuses them (capture 33).

An undefined gateway is INVALID_GATEWAY, a user in an unknown domain or outside the directory is
SUBSCRIBER_ABSENT, and only a directory user with no registration is USER_NOT_REGISTERED; none
of them creates a channel. An inline bridge to an undefined gateway hangs the answered callee up
with INVALID_GATEWAY.
"""

from __future__ import annotations

from tests.emulator.calls import captured, event, events_of, picked, wait_gone
from tests.emulator.captures import Frame, conversation
from tests.emulator.scenario import captured_sequence, sequence

C33 = "33-originate-invalid-gateway-unknown-domain-unregistered.esl.txt"
A335 = "00000000-0000-4000-8000-000000000335"


def _replies(items: list[tuple[str, object]]) -> list[bytes]:
    """api bodies and BACKGROUND_JOB bodies, in the order they came."""
    out = []
    for kind, item in items:
        if kind != "S":
            continue
        assert isinstance(item, Frame)
        if item.content_type == "api/response":
            out.append(item.body)
        elif item.content_type == "text/event-plain" and (
            item.event()["Event-Name"] == "BACKGROUND_JOB"
        ):
            out.append(item.event_body())
    return out


def test_capture_33_replayed_refuses_the_same_dial_strings_with_the_same_causes(esl):
    conn = esl()
    got: list[tuple[str, object]] = []
    for kind, data in conversation(C33):
        if kind != "C":
            continue
        assert isinstance(data, bytes)
        line = data.decode()
        if line.startswith(("auth", "exit", "noevents")):
            continue
        conn.send(data)
        reply = conn.reply()
        got.append(("S", reply))
        if line.startswith("bgapi"):
            job = line.split("Job-UUID: ")[1].split("\n")[0]
            conn.wait_event(lambda e, j=job: e.get("Job-UUID") == j)
        if "nosuchgw/+14157771001' inline" in line:
            wait_gone(conn, A335)
    got.extend(("S", f) for f in conn.events)
    # The same bodies; their interleaving (replies vs. events) differs only by socket timing.
    theirs = _replies(conversation(C33))
    assert sorted(_replies(got)) == sorted(theirs)
    assert [b for b in theirs if b.startswith(b"-ERR")] == [
        b"-ERR INVALID_GATEWAY\n", b"-ERR INVALID_GATEWAY\n",
        b"-ERR SUBSCRIBER_ABSENT\n", b"-ERR SUBSCRIBER_ABSENT\n", b"-ERR SUBSCRIBER_ABSENT\n",
        b"-ERR USER_NOT_REGISTERED\n", b"-ERR USER_NOT_REGISTERED\n",
    ]  # fmt: skip
    events = events_of(conn)
    assert sequence(events) == captured_sequence(C33)
    done = event(events, "CHANNEL_HANGUP_COMPLETE", A335)
    assert picked(done) == picked(captured(C33, "CHANNEL_HANGUP_COMPLETE", A335))
    assert done["Hangup-Cause"] == "INVALID_GATEWAY"
    assert "variable_last_bridge_hangup_cause" not in done  # no B leg was ever created


def test_gateways_and_directory_are_per_node_lists(cluster, esl):
    fs1 = cluster.node("fs1")
    conn = esl()
    assert conn.api("originate sofia/gateway/carrier7/+14157771001 &park()").startswith("+OK ")
    fs1.set_gateways(gateways=["carrier1"])
    assert conn.api("originate sofia/gateway/carrier7/+14157771001 &park()") == (
        "-ERR INVALID_GATEWAY\n"
    )
    # A user that registered once is a directory user: unregistered, it is USER_NOT_REGISTERED.
    assert conn.api("originate user/2001 &park()") == "-ERR SUBSCRIBER_ABSENT\n"
    fs1.register_agent(user="2001")
    fs1.unregister_agent(user="2001")
    assert conn.api("originate user/2001 &park()") == "-ERR USER_NOT_REGISTERED\n"
    fs1.set_directory(users=["30*"], domains=["pbx.example"])
    assert conn.api("originate user/3005@pbx.example &park()") == "-ERR USER_NOT_REGISTERED\n"
    assert conn.api("originate user/1000 &park()") == "-ERR SUBSCRIBER_ABSENT\n"
    assert fs1.directory() == {
        "gateways": ["carrier1"],
        "users": ["30*"],
        "domains": ["pbx.example"],
    }
    names = [c["name"] for c in fs1.channels()]
    assert names == ["sofia/external/+14157771001"]  # the refusals made no channel
