"""Flower started the documented way answers /metrics only with its credentials."""

from __future__ import annotations

import base64
import socket
import sys
import urllib.error
import urllib.request

import pytest

from tests.processes import Process, process_environment

USER, PASSWORD = "monitor", "a-real-flower-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, auth: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def flower(redis_url, key_prefix):
    port = free_port()
    env = process_environment(
        redis_url,
        key_prefix,
        FLOWER_BASIC_AUTH=f"{USER}:{PASSWORD}",
        FLOWER_UNAUTHENTICATED_API="false",
    )
    proc = Process(
        [sys.executable, "-m", "workers.flower", "--address=127.0.0.1", f"--port={port}"],
        env,
        "flower",
    )
    try:
        proc.wait_for("Visit me at", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()


def test_metrics_answer_401_without_credentials_and_200_with_them(flower):
    anonymous, _ = get(f"{flower}/metrics")
    wrong, _ = get(f"{flower}/metrics", "monitor:guess")
    page, _ = get(f"{flower}/workers")
    status, body = get(f"{flower}/metrics", f"{USER}:{PASSWORD}")

    assert (anonymous, wrong, page) == (401, 401, 401)
    assert status == 200
    assert b"flower_events_total" in body or b"# HELP" in body


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FLOWER_BASIC_AUTH": ""}, "FLOWER_BASIC_AUTH is required"),
        ({"FLOWER_BASIC_AUTH": "admin:change-me"}, "FLOWER_BASIC_AUTH still holds a placeholder"),
        (
            {"FLOWER_BASIC_AUTH": "a:b-real", "FLOWER_UNAUTHENTICATED_API": "true"},
            "FLOWER_UNAUTHENTICATED_API must stay false",
        ),
    ],
)
def test_flower_refuses_to_start_unprotected(redis_url, key_prefix, env, message):
    proc = Process(
        [sys.executable, "-m", "workers.flower", f"--port={free_port()}"],
        process_environment(redis_url, key_prefix, DJANGO_DEBUG="false", **env),
        "flower",
    )
    try:
        assert proc.proc.wait(timeout=60) == 1
        assert message in proc.log()
    finally:
        proc.stop()
