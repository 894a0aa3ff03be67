"""Throughput of one emulator process: printed as figures, never asserted (noisy machine)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

from emulator.control import EmulatorControl
from switchboard import children

ORIGINATES = 3000
APIS = 5000


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.recv(100)
    s.sendall(b"auth ClueCon\n\n")
    assert b"+OK accepted" in s.recv(100)
    return s


def _count(sock: socket.socket, needle: bytes, n: int, deadline: float) -> int:
    got, tail = 0, b""
    while got < n and time.monotonic() < deadline:
        data = sock.recv(1 << 20)
        if not data:
            break
        buf = tail + data
        got += buf.count(needle)
        tail = buf[-len(needle) + 1 :]
    return got


def test_one_process_handles_thousands_of_calls_and_api_commands(capsys):
    proc = children.popen(
        [sys.executable, "-m", "emulator", "--nodes", "1", "--esl-port", "0",
         "--control-port", "0", "--sps", "1000000", "--max-sessions", "1000000"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready = None
        while ready is None:
            line = proc.stdout.readline()
            assert line, "emulator exited"
            if line.startswith("EMULATOR READY "):
                ready = json.loads(line[len("EMULATOR READY ") :])
        port = ready["nodes"]["fs1"]
        ctl = EmulatorControl(f"http://127.0.0.1:{ready['control']}")
        ctl.set_outcome("*", node="fs1", ring_ms=None, answer_ms=0, hangup_ms=0)

        cmd = _connect(port)
        cpu0, t0 = _cpu_seconds(proc.pid), time.perf_counter()
        for _ in range(APIS):
            cmd.sendall(b"api uuid_exists nope\n\n")
            data = b""
            while not data.endswith(b"false"):
                data += cmd.recv(256)
        api_wall = APIS / (time.perf_counter() - t0)
        api_cpu = APIS / max(_cpu_seconds(proc.pid) - cpu0, 1e-3)

        listener = _connect(port)
        listener.sendall(b"event plain BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE\n\n")
        assert b"+OK event listener enabled plain" in listener.recv(200)
        done: list[int] = []
        waiter = threading.Thread(
            target=lambda: done.append(
                _count(
                    listener,
                    b"Event-Name: CHANNEL_HANGUP_COMPLETE",
                    ORIGINATES,
                    time.monotonic() + 120,
                )  # fmt: skip
            )
        )
        batch = b"bgapi originate {ignore_early_media=true}sofia/gateway/gw/4008001234 &park()\n\n"
        cpu0, t0 = _cpu_seconds(proc.pid), time.perf_counter()
        waiter.start()
        for _ in range(ORIGINATES // 100):
            cmd.sendall(batch * 100)
            _count(cmd, b"Reply-Text: +OK Job-UUID", 100, time.monotonic() + 30)
        waiter.join()
        calls_wall = done[0] / (time.perf_counter() - t0)
        calls_cpu = done[0] / max(_cpu_seconds(proc.pid) - cpu0, 1e-3)
        assert done == [ORIGINATES]  # every call answered and hung up, none lost
        assert ctl.stats("fs1")["sessions"] == 0
        with capsys.disabled():
            print()
            print(f"emulator_api_roundtrips_one_connection: {api_wall:.0f} per s")
            print(f"emulator_api_per_cpu_second: {api_cpu:.0f} per s")
            print(f"emulator_originate_hangup_jobs: {calls_wall:.0f} per s")
            print(f"emulator_originate_hangup_per_cpu_second: {calls_cpu:.0f} per s")
        cmd.close()
        listener.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
