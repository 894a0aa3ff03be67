"""A bgapi job is a concurrent.futures.Future: the standard waiting tools work on it, its timeout
is an ESLTimeout, and whichever of result or failure comes first wins."""

from __future__ import annotations

import concurrent.futures
from contextlib import closing

import pytest

from telephony.client import BackgroundJob, ESLConnection
from telephony.errors import ConnectionLost, ESLTimeout
from tests.telephony.fixtures import FakeSwitch

JOB = "aaaaaaaa-0000-4000-8000-000000000001"


def test_a_job_is_a_future_that_resolves_once():
    job = BackgroundJob(JOB, node="fs1")
    assert isinstance(job, concurrent.futures.Future) and not job.done()
    job._resolve("+OK first\n")
    job._fail(ConnectionLost("lost after the result", node="fs1"))
    job._resolve("+OK second\n")
    assert job.done() and job.result(0) == "+OK first\n"


def test_a_failed_job_raises_its_error_and_ignores_a_late_result():
    job = BackgroundJob(JOB, node="fs1")
    job._fail(ConnectionLost("connection closed by the node", node="fs1"))
    job._resolve("+OK too late\n")
    with pytest.raises(ConnectionLost, match="connection closed by the node"):
        job.result(0)


def test_waiting_past_the_timeout_is_an_esl_timeout_naming_the_job():
    job = BackgroundJob(JOB, node="fs1")
    with pytest.raises(ESLTimeout) as caught:
        job.result(0.01)
    assert str(caught.value) == f"fs1: no BACKGROUND_JOB for job {JOB} in time"
    assert not job.done()


@pytest.mark.integration
def test_jobs_on_a_connection_can_be_awaited_together_with_the_standard_tools():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            conn.subscribe(["BACKGROUND_JOB"])
            jobs = [conn.bgapi_job(f"echo {n}") for n in range(3)]
            done, pending = concurrent.futures.wait(jobs, timeout=5)
            assert (len(done), pending) == (3, set())
            assert [job.result(0) for job in jobs] == [f"+OK echo {n}\n" for n in range(3)]
