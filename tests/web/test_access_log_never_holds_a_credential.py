"""A real gunicorn, started as the Dockerfile, compose and the demo start it (with
switchboard/gunicorn_conf.py), writes no credential to its access log, well-formed or not."""

from __future__ import annotations

import base64
import contextlib
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.processes import Process
from tests.redis_server import free_port

pytestmark = pytest.mark.integration

SECRET = "Cdr-Pa55word-n0-colon"

# (what the client sends, the secret spellings that must not appear in the log)
CASES = [
    ("basic without a colon", {"Authorization": "Basic " + base64.b64encode(
        SECRET.encode()).decode()}, [SECRET, base64.b64encode(SECRET.encode()).decode()]),
    ("basic user:password", {"Authorization": "Basic " + base64.b64encode(
        f"{SECRET}-user:{SECRET}-pw".encode()).decode()}, [f"{SECRET}-user", f"{SECRET}-pw"]),
    ("basic not base64", {"Authorization": f"Basic {SECRET}-raw"}, [f"{SECRET}-raw"]),
    ("a token header", {"Authorization": f"Token {SECRET}-token"}, [f"{SECRET}-token"]),
    ("a bearer header", {"Authorization": f"Bearer {SECRET}-bearer"}, [f"{SECRET}-bearer"]),
    ("a referrer with a token", {"Referer": f"http://x/?token={SECRET}-ref"}, [f"{SECRET}-ref"]),
]


def request(url: str, headers: dict[str, str]) -> None:
    # A 401 or 404 is still written to the access log.
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=20)


def test_no_credential_reaches_the_access_log(tmp_path: Path):
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    web = Process([sys.executable, "-m", "gunicorn", "-c", "python:switchboard.gunicorn_conf",
                   "switchboard.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1",
                   "--access-logfile", str(access_log), "--no-control-socket"], env, "web")
    try:
        web.wait_for("Booting worker", timeout=60)
        base = f"http://127.0.0.1:{port}"
        for index, (_name, headers, _secrets) in enumerate(CASES):
            request(f"{base}/no-such-page-{index}/", headers)
        request(f"{base}/no-such-page-q/?password={SECRET}-query", {})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = access_log.read_text() if access_log.exists() else ""
            if text.count("\n") >= len(CASES) + 1:
                break
            time.sleep(0.1)
    finally:
        web.stop()
    lines = access_log.read_text().splitlines()
    # Every request is logged, with its path: the log is still useful.
    for index in range(len(CASES)):
        assert any(f"/no-such-page-{index}/" in line for line in lines), lines
    assert any("/no-such-page-q/" in line for line in lines), lines
    text = "\n".join(lines) + web.log()
    for name, _headers, secrets in CASES:
        for secret in secrets:
            assert secret not in text, f"{name}: {secret!r} is in the log"
    assert f"{SECRET}-query" not in text
    assert SECRET not in text
