"""`python -m emulator` prints its ports and serves ESL and HTTP until SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from emulator.control import EmulatorControl
from switchboard import children
from tests.emulator.eslraw import RawEsl


def test_cli_prints_a_ready_line_serves_and_exits_on_sigterm():
    proc = children.popen(
        [sys.executable, "-m", "emulator", "--nodes", "2", "--esl-port", "0",
         "--control-port", "0", "--password", "s3cret", "--heartbeat", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready = None
        for _ in range(10):
            line = proc.stdout.readline()
            if line.startswith("EMULATOR READY "):
                ready = json.loads(line[len("EMULATOR READY ") :])
                break
        assert ready is not None
        assert sorted(ready["nodes"]) == ["fs1", "fs2"]
        conn = RawEsl(ready["nodes"]["fs2"])
        try:
            conn.login("s3cret")
            assert conn.api("hostname") == "fs2"
        finally:
            conn.close()
        ctl = EmulatorControl(f"http://127.0.0.1:{ready['control']}")
        assert ctl.stats("fs1")["port"] == ready["nodes"]["fs1"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "s3cret" not in proc.stdout.read() + proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
