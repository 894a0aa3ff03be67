"""CommandPool: lazy per-node connections, BACKGROUND_JOB only, health, reconnect with backoff."""

from __future__ import annotations

import random
import socket

import pytest

from telephony.client import Backoff, CommandPool
from telephony.config import NodeConfig
from telephony.errors import ConnectionLost, ESLError, ESLTimeout
from tests.telephony.fixtures import FakeSwitch

pytestmark = pytest.mark.integration

NO_JITTER = Backoff(base=0.5, factor=2.0, maximum=4.0, jitter=0.0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node(name: str, port: int) -> NodeConfig:
    return NodeConfig(name, "127.0.0.1", port, "ClueCon")


def test_the_pool_connects_lazily_and_subscribes_only_to_background_job():
    with FakeSwitch() as switch:
        pool = CommandPool([node("fs1", switch.port)])
        try:
            assert switch.commands == []
            assert pool.api("fs1", "status") == "+OK status\n"
            assert pool.api("fs1", "version") == "+OK version\n"
            job = pool.bgapi_job("fs1", "originate error/user_busy &park()")
            assert job.result(5) == "+OK originate error/user_busy &park()\n"
        finally:
            pool.close_all()
    assert switch.commands == [
        "auth ClueCon",
        "event plain BACKGROUND_JOB",
        "api status",
        "api version",
        "bgapi originate error/user_busy &park()",
        "exit",
    ]


def test_a_down_node_is_skipped_until_its_backoff_expires():
    clock = FakeClock()
    pool = CommandPool([node("fs1", free_port())], backoff=NO_JITTER, clock=clock)
    assert pool.is_up("fs1")
    with pytest.raises(ConnectionLost, match="Connection refused"):
        pool.api("fs1", "status")
    health = pool.health("fs1")
    assert (health.up, health.consecutive_failures) == (False, 1)
    assert "Connection refused" in health.last_error
    assert health.retry_at == clock.now + 0.5
    assert pool.up_nodes() == []
    # Within the backoff no connection is attempted at all.
    with pytest.raises(ConnectionLost) as caught:
        pool.api("fs1", "status")
    assert str(caught.value) == "fs1: node is down (1 failures); next attempt in 0.5 s"
    assert pool.health("fs1").consecutive_failures == 1
    # After it, the next attempt fails again and the delay doubles, up to the cap.
    delays = []
    for _ in range(5):
        clock.now = pool.health("fs1").retry_at
        with pytest.raises(ConnectionLost, match="Connection refused"):
            pool.api("fs1", "status")
        delays.append(pool.health("fs1").retry_at - clock.now)
    assert delays == [1.0, 2.0, 4.0, 4.0, 4.0]


def test_the_pool_reconnects_after_the_node_restarts():
    clock = FakeClock()
    switch = FakeSwitch()
    port = switch.port
    pool = CommandPool([node("fs1", port)], backoff=NO_JITTER, clock=clock)
    try:
        assert pool.api("fs1", "status") == "+OK status\n"
        switch.stop()
        with pytest.raises(ConnectionLost):
            pool.api("fs1", "status")
        assert not pool.is_up("fs1")
        switch = FakeSwitch(port=port)
        clock.now += 10
        assert pool.api("fs1", "status") == "+OK status\n"
        assert pool.is_up("fs1")
        assert pool.health("fs1").consecutive_failures == 0
        assert switch.commands[:2] == ["auth ClueCon", "event plain BACKGROUND_JOB"]
    finally:
        pool.close_all()
        switch.stop()


def test_a_connection_that_died_while_idle_is_replaced_at_once():
    with FakeSwitch() as switch:
        pool = CommandPool([node("fs1", switch.port)])
        try:
            first = pool.connection("fs1")
            switch.live[0].close()  # the node drops the idle connection
            import time

            deadline = time.monotonic() + 5
            while first.connected and time.monotonic() < deadline:
                time.sleep(0.01)
            assert pool.api("fs1", "status") == "+OK status\n"
            assert pool.connection("fs1") is not first
            assert pool.is_up("fs1")
        finally:
            pool.close_all()


def test_an_unknown_node_is_an_error():
    pool = CommandPool([node("fs1", 8021)])
    with pytest.raises(ESLError, match="unknown node 'fs9'"):
        pool.api("fs9", "status")


def test_backoff_jitter_stays_within_its_bounds_and_cap():
    backoff = Backoff(base=0.5, factor=2.0, maximum=30.0, jitter=0.5)
    rng = random.Random(7)
    for failures in range(1, 40):
        raw = min(30.0, 0.5 * 2.0 ** (failures - 1))
        delay = backoff.delay(failures, rng)
        assert raw * 0.5 <= delay <= raw
    assert backoff.delay(0) == 0.0


def test_a_slow_node_times_out_is_marked_down_and_recovers_after_its_backoff():
    clock = FakeClock()
    with FakeSwitch() as switch:
        switch.api_delay["api slow"] = 0.6
        pool = CommandPool([node("fs1", switch.port)], timeout=0.2, backoff=NO_JITTER, clock=clock)
        try:
            with pytest.raises(ESLTimeout):
                pool.api("fs1", "slow")
            health = pool.health("fs1")
            assert (health.up, health.consecutive_failures) == (False, 1)
            assert health.last_error == "fs1: no reply within 0.2 s; connection dropped"
            with pytest.raises(ConnectionLost, match="node is down"):
                pool.api("fs1", "fast")
            clock.now += 1
            assert pool.api("fs1", "fast") == "+OK fast\n"
            assert pool.is_up("fs1")
            assert switch.commands.count("auth ClueCon") == 2
        finally:
            pool.close_all()
