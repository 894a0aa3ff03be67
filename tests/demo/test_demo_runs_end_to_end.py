"""`scripts/demo.py` starts the whole system, places calls, stops cleanly on Ctrl-C, and reruns.

The demo runs as a user runs it: its own PostgreSQL database (created by the demo; here one
named for this test run, dropped afterwards), its own private Redis, three emulated nodes and
every Switchboard process, in a temporary run directory on free ports.
"""

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

from emulator.control import EmulatorControl
from switchboard import children

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ADMIN_LINE = re.compile(r"user: admin\s+password: (\S+)")
AGENT_LINE = re.compile(r"Agent page\s+(http://\S+/agent/login/)\s+user: (\S+)\s+password: (\S+)")


def demo_database() -> str:
    """A PostgreSQL URL naming a database of this test run's own (absent: the demo makes it)."""
    base = os.environ.get("DATABASE_URL",
                          "postgres://switchboard:switchboard@127.0.0.1:5432/switchboard")
    name = os.environ.get("TEST_DATABASE_NAME", "test_switchboard") + "_demo"
    drop_database(base, name)
    return base.rsplit("/", 1)[0] + "/" + name


def drop_database(base: str, name: str) -> None:
    with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
FLOWER_LINE = re.compile(r"Flower\s+(http://\S+)\s+user: (\S+)\s+password: (\S+)")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports() -> dict[str, int]:
    """Free loopback ports for the demo; the three ESL ports must be consecutive."""
    chosen: list[int] = []
    while len(chosen) < 4:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in chosen:
            chosen.append(port)
    esl = 20000 + os.getpid() % 20000
    while not all(_free(esl + i) and esl + i not in chosen for i in range(3)):
        esl += 3
    return dict(zip(("web", "flower", "control", "redis"), chosen, strict=True)) | {"esl": esl}


def processes_mentioning(text: str) -> list[int]:
    """Pids whose environment mentions text (every demo child has the run dir in its env)."""
    found = []
    needle = text.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


# It starts its whole world itself (no fixture says so): the tier, for `make test-fast`.
pytestmark = pytest.mark.processes


class Demo:
    """One run of scripts/demo.py with its output collected line by line."""

    def __init__(self, run_dir: Path, ports: dict[str, int], duration: float, database: str):
        env = {k: v for k, v in os.environ.items()
               if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
        env["DEMO_MARKER"] = str(run_dir)
        self.ports = ports
        self.lines: list[str] = []
        self.process = children.popen(
            [sys.executable, str(REPO / "scripts" / "demo.py"), "--run-dir", str(run_dir),
             "--duration", str(duration), "--web-port", str(ports["web"]),
             "--flower-port", str(ports["flower"]), "--esl-port", str(ports["esl"]),
             "--control-port", str(ports["control"]), "--redis-port", str(ports["redis"]),
             "--database-url", database],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError("demo exited early:\n" + "".join(self.lines))
            self.lines.append(line)
            match = regex.search(line)
            if match:
                return match
        raise AssertionError(f"no {pattern!r} within {timeout} s:\n" + "".join(self.lines))

    def finish(self, timeout: float) -> int:
        out, _ = self.process.communicate(timeout=timeout)
        self.lines.append(out)
        return self.process.returncode


def originates(control: EmulatorControl) -> int:
    return sum(len(control.commands(node, contains="originate")) for node in ("fs1", "fs2", "fs3"))


def test_demo_places_calls_stops_on_ctrl_c_and_runs_again(tmp_path):
    run_dir = tmp_path / "demo"
    ports = free_ports()
    web, control_port = ports["web"], ports["control"]

    database = demo_database()
    first = Demo(run_dir, ports, duration=240, database=database)
    try:
        password = first.wait_for(ADMIN_LINE.pattern, 120).group(1)
        agent_url, agent_user, _agent_password = first.wait_for(AGENT_LINE.pattern, 10).groups()
        assert (agent_url, agent_user) == (f"http://127.0.0.1:{web}/agent/login/", "agent1001")
        flower_url, flower_user, flower_password = first.wait_for(FLOWER_LINE.pattern, 10).groups()
        first.wait_for(r"Stop with Ctrl-C", 30)

        # Flower answers only with its basic-auth credentials.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(flower_url, timeout=5)
        assert refused.value.code == 401
        request = urllib.request.Request(flower_url, headers={"Authorization": "Basic " + (
            base64.b64encode(f"{flower_user}:{flower_password}".encode()).decode())})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

        with urllib.request.urlopen(f"http://127.0.0.1:{web}/healthz", timeout=5) as response:
            assert response.status == 200
            assert json.load(response)["status"] == "ok"

        control = EmulatorControl(f"http://127.0.0.1:{control_port}")
        deadline = time.monotonic() + 90
        while originates(control) == 0 and time.monotonic() < deadline:
            time.sleep(1)
        placed = originates(control)
        assert placed > 0, "".join(first.lines)
        commands = [c["command"] for c in control.commands("fs1", contains="originate")]
        commands += [c["command"] for c in control.commands("fs2", contains="originate")]
        assert any("sofia/gateway/demo-carrier/+1415777" in c for c in commands)
        assert processes_mentioning(str(run_dir)), "the children should be running now"
    finally:
        first.process.send_signal(signal.SIGINT)  # what Ctrl-C does
        status = first.finish(timeout=90)
    assert status == 0, "".join(first.lines)
    assert "SIGINT received: stopping" in "".join(first.lines)
    time.sleep(0.5)
    assert processes_mentioning(str(run_dir)) == [], "a demo process outlived the demo"
    # A clean stop: Celery's warm shutdown, no pool process killed mid-task, no crash anywhere.
    for log in sorted((run_dir / "logs").glob("*.log")):
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, f"{log.name}:\n{text[-3000:]}"
    assert "Warm shutdown" in (run_dir / "logs" / "worker.log").read_text()
    # No secret of the run (ESL, Flower, Django key) appears in any process's log.
    secrets = [(run_dir / "secrets" / name).read_text().strip()
               for name in ("esl-password", "flower-password", "django-secret-key")]
    for log in (run_dir / "logs").glob("*.log"):
        text = log.read_text(errors="replace")
        assert not [s for s in secrets if s in text], log.name

    # The same run directory again: same admin password, the same campaign, no duplicates.
    second = Demo(run_dir, ports, duration=3, database=database)
    assert second.wait_for(ADMIN_LINE.pattern, 120).group(1) == password
    status = second.finish(timeout=90)
    output = "".join(second.lines)
    assert status == 0, output
    assert "seeded campaign #1 with 300 targets and 12 agents" in output
    assert processes_mentioning(str(run_dir)) == []
    base, name = database.rsplit("/", 1)
    drop_database(base + "/x", name)
