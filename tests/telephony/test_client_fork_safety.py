"""A connection is never shared across fork: the child refuses it, the pool reconnects, and the
parent's socket survives the child."""

from __future__ import annotations

import os
from contextlib import closing

import pytest

from telephony.client import CommandPool, ESLConnection
from telephony.config import NodeConfig
from telephony.errors import ConnectionLost
from tests.telephony.fixtures import FakeSwitch

pytestmark = pytest.mark.integration


def run_in_child(body) -> int:
    """Fork, run body() in the child, return its exit code (0 = all its checks passed)."""
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            code = body()
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_child_refuses_the_parents_connection_and_the_parent_keeps_it():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon", name="fs1").connect()
        with closing(conn):

            def child() -> int:
                if conn.connected:
                    return 3
                try:
                    conn.api("status")
                except ConnectionLost as exc:
                    return 0 if str(exc).endswith("; open a new one after fork") else 4
                return 5

            assert run_in_child(child) == 0
            # The child closed only its copy of the socket: the parent's still works.
            assert conn.api("status") == "+OK status\n"
            assert switch.commands == ["auth ClueCon", "api status"]


def test_a_pool_used_in_a_forked_child_opens_its_own_connection():
    with FakeSwitch() as switch:
        pool = CommandPool([NodeConfig("fs1", "127.0.0.1", switch.port, "ClueCon")])
        try:
            parent_conn = pool.connection("fs1")
            assert pool.api("fs1", "parent-1") == "+OK parent-1\n"

            def child() -> int:
                if pool.api("fs1", "child") != "+OK child\n":
                    return 3
                return 0 if pool.connection("fs1") is not parent_conn else 4

            assert run_in_child(child) == 0
            assert pool.connection("fs1") is parent_conn
            assert pool.api("fs1", "parent-2") == "+OK parent-2\n"
        finally:
            pool.close_all()
    assert switch.commands.count("auth ClueCon") == 2
    assert "api child" in switch.commands
