"""bgapi sends our own Job-UUID and its BACKGROUND_JOB result reaches the caller that sent it."""

from __future__ import annotations

import threading
from contextlib import closing

import pytest

from telephony.client import ESLConnection
from telephony.errors import ConnectionLost, ESLTimeout, InvalidCommand
from telephony.protocol import encode_command
from tests.telephony.fixtures import (
    GREETING,
    FakeSwitch,
    ScriptedServer,
    capture_path,
    command_reply,
    parse_command,
    plain_event,
    read_records,
    replay_capture,
    split_commands,
)

pytestmark = pytest.mark.integration

JOB_A = "aaaaaaaa-0000-4000-8000-000000000001"
JOB_B = "bbbbbbbb-0000-4000-8000-000000000002"


def test_bgapi_sends_our_job_uuid_and_the_result_comes_back_by_it():
    with FakeSwitch() as switch:
        switch.api["originate error/user_busy &park()"] = "-ERR USER_BUSY\n"
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            conn.subscribe(["BACKGROUND_JOB"])
            job_uuid = conn.bgapi("originate error/user_busy &park()", job_uuid=JOB_A)
            assert job_uuid == JOB_A
            assert conn.bgapi_result(JOB_A, timeout=5) == "-ERR USER_BUSY\n"
            generated = conn.bgapi("status")
            assert len(generated) == 36 and generated != JOB_A
            assert conn.bgapi_result(generated, timeout=5) == "+OK status\n"
        assert switch.commands[1:] == [
            "event plain BACKGROUND_JOB",
            "bgapi originate error/user_busy &park()",
            "bgapi status",
        ]


def test_results_arriving_in_completion_order_reach_the_right_callers():
    """BACKGROUND_JOBs come in completion order, not send order (capture 20)."""

    def two_jobs_answered_backwards(conn):
        conn.send(GREETING)
        conn.read_command()
        conn.send(command_reply("+OK accepted"))
        jobs = []
        for _ in range(2):
            _line, headers, _ = parse_command(conn.read_command())
            jobs.append(headers["Job-UUID"])
            conn.send(command_reply(f"+OK Job-UUID: {jobs[-1]}", f"Job-UUID: {jobs[-1]}\n"))
        for job, body in ((jobs[1], "+OK second\n"), (jobs[0], "-ERR first\n")):
            conn.send(plain_event([("Event-Name", "BACKGROUND_JOB"), ("Job-UUID", job)], body))
        conn.read_command(timeout=5)

    with ScriptedServer(two_jobs_answered_backwards) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon").connect()
        with closing(conn):
            first = conn.bgapi_job("originate A", job_uuid=JOB_A)
            second = conn.bgapi_job("originate B", job_uuid=JOB_B)
            assert second.result(5) == "+OK second\n"
            assert first.result(5) == "-ERR first\n"


def test_concurrent_bgapi_callers_each_get_their_own_result():
    with FakeSwitch() as switch:
        switch.job_delay = 0.05
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            conn.subscribe(["BACKGROUND_JOB"])
            wrong = []

            def worker(n):
                for i in range(20):
                    job = conn.bgapi_job(f"echo {n} {i}")
                    body = job.result(5)
                    if body != f"+OK echo {n} {i}\n":
                        wrong.append(body)

            threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert wrong == []


def test_a_missing_background_job_times_out_without_dropping_the_connection():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            job = conn.bgapi_job("status")  # not subscribed: no BACKGROUND_JOB will come
            with pytest.raises(ESLTimeout, match="no BACKGROUND_JOB for job"):
                job.result(0.2)
            assert conn.connected
            assert conn.api("status") == "+OK status\n"


def test_pending_jobs_fail_with_connection_lost_when_the_node_goes_away():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        job = conn.bgapi_job("status")
    with pytest.raises(ConnectionLost):
        job.result(5)


def test_a_hostile_job_uuid_is_refused():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            with pytest.raises(InvalidCommand, match="invalid Job-UUID"):
                conn.bgapi("status", job_uuid="x\nexit")
            assert switch.commands == ["auth ClueCon"]


def test_the_whole_capture_02_session_replays_through_the_client():
    """Every command of capture 02 sent through the client API against the recorded replies; the
    bgapi results resolve by the Job-UUID FreeSWITCH answered with, even where it chose its own."""
    path = capture_path("02-")
    commands = [
        c for r in read_records(path) if r.direction == "C>S" for c in split_commands(r.data)
    ]
    api_bodies = []
    with ScriptedServer(replay_capture(path)) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon").connect()
        jobs = []
        for raw in commands[1:]:
            line, headers, _ = parse_command(raw)
            if line.startswith("api "):
                api_bodies.append(conn.api(line[4:]))
            elif line.startswith("bgapi "):
                jobs.append(conn.bgapi_job(line[6:], job_uuid=headers.get("Job-UUID")))
            elif line.startswith("event "):
                conn.subscribe(line.split()[2:])
            elif line == "exit":
                conn.exit()
            else:
                assert conn.send(line).text == "-ERR command not found"
    assert len(api_bodies) == 25
    assert api_bodies[0] == "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n"
    assert "-ERR no_such_command Command not found!\n" in api_bodies
    assert [job.job_uuid for job in jobs][-1] == "99999999-0000-4000-8000-000000000001"
    # The two bgapi sent before `event plain BACKGROUND_JOB` get no result; the four after do.
    assert [job.done() for job in jobs] == [True, True, True, True, True, True]
    with pytest.raises(ConnectionLost):
        jobs[0].result(0)
    assert jobs[2].result(0).startswith("UP 0 years")
    assert jobs[3].result(0) == "-ERR CHAN_NOT_IMPLEMENTED\n"
    assert jobs[5].result(0).startswith("UP 0 years, 0 days, 0 hours, 0 minutes, 18 seconds")
    assert encode_command("exit") == commands[-1]
