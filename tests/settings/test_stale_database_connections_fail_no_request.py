"""A web process whose persistent database connections die (PostgreSQL restarted) fails no request.

The restart is simulated by terminating every backend of this test's own database with
pg_terminate_backend (never the shared server). Control: without health checks the first
request after it fails, so the test shows the guard is what saves it.
"""

from __future__ import annotations

import signal
import socket
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.processes import Process, process_environment, stop_all


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def terminate_other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def statuses(url: str, token: str, count: int) -> list[int]:
    found = []
    for _ in range(count):
        request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                found.append(response.status)
        except urllib.error.HTTPError as exc:
            found.append(exc.code)
    return found


@pytest.fixture
def web(transactional_db, redis_url, key_prefix):
    started = []

    def start(health_checks: str) -> str:
        port = free_port()
        env = process_environment(redis_url, key_prefix, DATABASE_CONN_HEALTH_CHECKS=health_checks)
        env["DATABASE_CONN_MAX_AGE"] = "600"  # persistent connections, as in production
        proc = Process(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "switchboard.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "1",
            ],
            env,
            "web",
            stop_signal=signal.SIGINT,  # gunicorn's quick shutdown: no 30 s graceful wait
        )
        started.append(proc)
        proc.wait_for("Booting worker", timeout=60)
        return f"http://127.0.0.1:{port}"

    yield start
    stop_all(started)


def token_for_a_viewer() -> str:
    return Token.objects.create(user=User.objects.create_user("viewer")).key


def wait_until_up(url: str, token: str) -> None:
    for _ in range(200):
        try:
            if statuses(url, token, 1) == [200]:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("web did not answer")


def test_requests_after_the_connections_died_all_succeed(web):
    token = token_for_a_viewer()
    base = web("true")
    url = f"{base}/api/campaigns/"
    wait_until_up(url, token)
    assert statuses(url, token, 3) == [200, 200, 200]  # a persistent connection is in use

    assert terminate_other_backends() >= 1

    assert statuses(url, token, 6) == [200] * 6


def test_control_without_health_checks_the_first_request_fails(web):
    token = token_for_a_viewer()
    base = web("false")
    url = f"{base}/api/campaigns/"
    wait_until_up(url, token)

    assert terminate_other_backends() >= 1

    after = statuses(url, token, 3)
    assert after[0] == 500
    assert after[1:] == [200, 200]  # Django drops the broken connection after the error
