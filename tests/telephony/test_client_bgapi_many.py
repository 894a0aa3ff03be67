"""Pipelined bgapi (`bgapi_many`): every command written in one go under the send lock, each reply
matched to its own command in order, a failure confined to the commands it touched."""

from __future__ import annotations

import threading
import uuid
from contextlib import closing

import pytest

from telephony.client import CommandPool, ESLConnection
from telephony.config import NodeConfig
from telephony.errors import ConnectionLost, ESLTimeout, InvalidCommand
from tests.telephony.fixtures import FakeSwitch

pytestmark = pytest.mark.integration


def _jobs(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def test_pipelined_bgapis_each_get_their_own_reply_and_result_while_other_threads_talk():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            conn.subscribe(["BACKGROUND_JOB"])
            stop = threading.Event()
            wrong: list[str] = []

            def chatter():
                i = 0
                while not stop.is_set():
                    i += 1
                    if conn.api(f"status {i}") != f"+OK status {i}\n":
                        wrong.append(f"status {i}")

            other = threading.Thread(target=chatter)
            other.start()
            try:
                batches = [_jobs(25) for _ in range(4)]
                for b, jobs in enumerate(batches):
                    commands = [(f"echo {b}-{i}", job) for i, job in enumerate(jobs)]
                    assert conn.bgapi_many(commands) == jobs
            finally:
                stop.set()
                other.join(10)
            assert wrong == []
            for b, jobs in enumerate(batches):
                for i, job in enumerate(jobs):
                    assert conn.bgapi_result(job, timeout=5) == f"+OK echo {b}-{i}\n"
            # Each batch reached the node as one unbroken run: no other command in between.
            lines = [line for line in switch.commands if line.startswith(("bgapi", "api status"))]
            for b in range(4):
                run = [n for n, line in enumerate(lines) if line.startswith(f"bgapi echo {b}-")]
                assert run == list(range(run[0], run[0] + 25))


def test_a_refused_job_uuid_fails_only_its_own_command():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            first, last = _jobs(2)
            results = conn.bgapi_many(
                [("echo a", first), ("echo b", "bad\nJob-UUID: x"), ("echo c", last)]
            )
            assert results[0] == first and results[2] == last
            assert isinstance(results[1], InvalidCommand)
            assert [line for line in switch.commands if line.startswith("bgapi")] == [
                "bgapi echo a", "bgapi echo c"]
            assert conn.connected


def test_a_reply_that_never_comes_drops_the_connection_and_fails_only_the_rest():
    with FakeSwitch() as switch:
        switch.api_delay["bgapi echo 2"] = 2.0
        config = NodeConfig(name="fs1", host="127.0.0.1", port=switch.port, password="ClueCon")
        pool = CommandPool([config], timeout=0.5)
        try:
            jobs = _jobs(5)
            results = pool.bgapi_many("fs1", [(f"echo {i}", job) for i, job in enumerate(jobs)])
            assert results[:2] == jobs[:2]
            assert isinstance(results[2], ESLTimeout)
            assert all(isinstance(r, ConnectionLost) for r in results[3:])
            assert not pool.is_up("fs1")  # the dial path skips the node until it reconnects
        finally:
            pool.close_all()


def test_a_node_that_cannot_be_reached_fails_every_command_without_raising():
    with FakeSwitch() as switch:
        port = switch.port
    config = NodeConfig(name="fs1", host="127.0.0.1", port=port, password="ClueCon")
    pool = CommandPool([config], connect_timeout=0.5)
    results = pool.bgapi_many("fs1", [("echo 1", None), ("echo 2", None)])
    assert len(results) == 2 and all(isinstance(r, ConnectionLost) for r in results)
    assert pool.bgapi_many("fs1", []) == []
