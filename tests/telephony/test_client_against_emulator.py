"""The client against the project's FreeSWITCH emulator over real TCP (it must not know)."""

from __future__ import annotations

import time
from contextlib import closing

import pytest

from emulator.cluster import Cluster
from telephony.client import Backoff, CommandPool, ESLConnection, EventStream
from telephony.config import NodeConfig
from telephony.errors import AuthenticationError, ConnectionLost, ESLTimeout

pytestmark = pytest.mark.integration

CALL = "00000000-0000-4000-8000-0000000000e1"


@pytest.fixture(scope="module")
def cluster():
    with Cluster(nodes=1, control_port=None, heartbeat_interval=3600) as running:
        yield running


@pytest.fixture
def node(cluster) -> NodeConfig:
    return NodeConfig("fs1", "127.0.0.1", cluster.ports["fs1"], "ClueCon")


def test_a_wrong_password_is_refused_like_freeswitch_does(node):
    conn = ESLConnection("127.0.0.1", node.port, "not-the-password", name="fs1")
    with pytest.raises(AuthenticationError) as caught:
        conn.connect()
    assert str(caught.value) == "fs1: authentication failed: -ERR invalid"


def test_api_and_bgapi_results_through_the_pool(node):
    pool = CommandPool([node])
    try:
        assert pool.api("fs1", "status").startswith("UP 0 years")
        assert pool.api("fs1", "no_such_command").startswith("-ERR no_such_command")
        job = pool.bgapi_job("fs1", "originate error/user_busy &park()")
        assert job.result(5) == "-ERR USER_BUSY\n"
        assert pool.api("fs1", f"uuid_exists {CALL}") == "false"
    finally:
        pool.close_all()


def test_the_event_stream_sees_a_call_and_the_pool_result_matches(cluster, node):
    cluster.node("fs1").set_outcome(pattern="4008001234", kind="answer", answer_ms=20, hangup_ms=50)
    names = []
    stream = EventStream(
        node, ["CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"], backoff=Backoff(0.05)
    )
    pool = CommandPool([node])
    try:
        assert stream.next_event(0.2) is None
        job = pool.bgapi_job(
            "fs1",
            f"originate {{origination_uuid={CALL},ignore_early_media=true}}"
            "sofia/internal/4008001234@127.0.0.1:5090 &park()",
        )
        assert job.result(5) == f"+OK {CALL}\n"
        deadline = time.monotonic() + 5
        while "CHANNEL_HANGUP_COMPLETE" not in names and time.monotonic() < deadline:
            event = stream.next_event(0.2)
            if event is not None and event.get("Unique-ID", event.get("Job-UUID")):
                names.append(event.name)
                assert event.core_uuid == stream.core_uuid
        assert names[0] == "CHANNEL_ANSWER"
        assert "BACKGROUND_JOB" in names
        assert names[-1] == "CHANNEL_HANGUP_COMPLETE"
    finally:
        pool.close_all()
        stream.close()
        cluster.node("fs1").clear_outcomes()


def test_a_restart_is_reported_and_the_stream_comes_back_with_a_new_core_uuid(cluster, node):
    connects, reasons = [], []
    stream = EventStream(
        node,
        ["HEARTBEAT"],
        on_connect=lambda conn, info: connects.append(info),
        on_disconnect=reasons.append,
        backoff=Backoff(base=0.05, maximum=0.2, jitter=0.0),
    )
    try:
        stream.next_event(0.2)
        before = stream.core_uuid
        cluster.node("fs1").restart(down_for=0.2)
        deadline = time.monotonic() + 10
        while len(connects) < 2 and time.monotonic() < deadline:
            stream.next_event(0.1)
        assert reasons[0] == "The system is being shut down."
        assert connects[1].restarted
        assert connects[1].previous_core_uuid == before
        assert stream.core_uuid != before
    finally:
        stream.close()


def test_a_hung_node_times_out_and_the_connection_is_dropped(cluster, node):
    conn = ESLConnection.for_node(node).connect()
    with closing(conn):
        cluster.node("fs1").hang()
        try:
            with pytest.raises(ESLTimeout):
                conn.api("status", timeout=0.3)
        finally:
            cluster.node("fs1").unhang()
        with pytest.raises(ConnectionLost):
            conn.api("status")
