"""Concurrent threads on one connection each get their own reply, with events interleaved."""

from __future__ import annotations

import threading
import time
from contextlib import closing

import pytest

from telephony.client import ESLConnection
from tests.telephony.fixtures import FakeSwitch, ScriptedServer, capture_path, replay_capture

pytestmark = pytest.mark.integration


def test_many_threads_pipelining_commands_each_get_their_own_reply_while_events_flow():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            stop = threading.Event()

            def heartbeats():
                while not stop.is_set():
                    switch.broadcast(switch.event("HEARTBEAT"))
                    time.sleep(0.002)

            wrong: list[tuple[str, str]] = []

            def worker(n):
                for i in range(60):
                    command = f"echo {n}-{i}"
                    reply = conn.api(command)
                    if reply != f"+OK {command}\n":
                        wrong.append((command, reply))

            beat = threading.Thread(target=heartbeats)
            beat.start()
            threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            stop.set()
            beat.join(5)
            assert wrong == []
            assert conn.connected
            received = []
            while (event := conn.read_event(timeout=0.5)) is not None:
                received.append(event.sequence)
            assert received, "events between replies were lost"
            assert received == sorted(received)


def test_pipelined_replies_are_matched_in_write_order_capture_17():
    """Capture 17 answered three pipelined api commands in one write; the replay plays them back
    the same way once all three commands are in."""
    with ScriptedServer(replay_capture(capture_path("17-"))) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon").connect()
        with closing(conn):
            for command in (
                "event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB",
                "filter Unique-ID 00000000-0000-4000-8000-000000000017",
                "filter Job-UUID 17171717-0000-4000-8000-00000000000a",
            ):
                assert conn.send(command).ok
            conn.bgapi("originate {...A}", job_uuid="17171717-0000-4000-8000-00000000000a")
            conn.bgapi("originate {...B}", job_uuid="17171717-0000-4000-8000-00000000000b")
            results: dict[str, str] = {}
            commands = [
                "uuid_exists 00000000-0000-4000-8000-000000000017",
                "uuid_getvar 00000000-0000-4000-8000-000000000017 attempt_id",
                "show channels count",
            ]
            threads = []
            for command in commands:
                thread = threading.Thread(
                    target=lambda c=command: results.__setitem__(c, conn.api(c))
                )
                before = len(conn._pending)
                thread.start()
                deadline = time.monotonic() + 5
                while len(conn._pending) == before and time.monotonic() < deadline:
                    time.sleep(0.001)  # wait until this command is written, to fix the order
                threads.append(thread)
            for thread in threads:
                thread.join(5)
            assert results == {
                commands[0]: "true",
                commands[1]: "42",
                commands[2]: "\n2 total.\n",
            }
