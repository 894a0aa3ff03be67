"""ESL throughput: bgapi originates and api round trips against one emulated node, and the parser
on replayed FreeSWITCH captures.

Run: `.venv/bin/python bench/esl_throughput.py`. Progress goes to stderr; stdout gets exactly:

    bgapi_per_s: <value> jobs/s
    events_parsed_per_s: <value> events/s
    api_per_s: <value> req/s
    emulator_api_per_s: <value> req/s

`api_per_s` goes through our client (one round trip at a time); `emulator_api_per_s` is what the
emulated node itself answers when a raw socket keeps 50 commands in flight, to show the emulator is
not what limits the client's figures.
The emulated node runs in its own process (as FreeSWITCH would), so client and server do not share
one interpreter lock. Figures are for comparison on the same machine, never pass/fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from switchboard.children import exit_on_signals, popen  # noqa: E402
from telephony.client import ESLConnection  # noqa: E402
from telephony.protocol import EVENT_TYPES, FrameParser, parse_event  # noqa: E402

CAPTURES = Path(
    os.environ.get(
        "SWITCHBOARD_CAPTURES",
        Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "freeswitch",
    )
)
_RECORD = re.compile(rb"=== (\S+) \+(\d+\.\d+) (S>C|C>S|NOTE|EOF) len=(\d+)\n")

QUICK = "--quick" in sys.argv[1:]  # seconds, small sizes: the suite's check that figures print
API_SECONDS = float(os.environ.get("BENCH_API_SECONDS", "0.5" if QUICK else "3"))
BGAPI_JOBS = int(os.environ.get("BENCH_BGAPI_JOBS", "400" if QUICK else "6000"))
BGAPI_THREADS = int(os.environ.get("BENCH_BGAPI_THREADS", "4"))
PARSE_SECONDS = float(os.environ.get("BENCH_PARSE_SECONDS", "0.5" if QUICK else "3"))


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def start_emulator() -> tuple[subprocess.Popen[str], int]:
    """One emulated node on a free port, with limits high enough not to throttle the benchmark."""
    proc = popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--nodes",
            "1",
            "--esl-port",
            "0",
            "--control-port",
            "0",
            "--password",
            "ClueCon",
            "--sps",
            "1000000",
            "--max-sessions",
            "1000000",
            "--heartbeat",
            "3600",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("EMULATOR READY "):
            ready = json.loads(line[len("EMULATOR READY ") :])
            return proc, int(ready["nodes"]["fs1"])
    proc.kill()
    raise SystemExit("the emulator did not start")


def stop_emulator(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def bench_api(port: int) -> float:
    """Sequential api round trips on one connection."""
    conn = ESLConnection("127.0.0.1", port, "ClueCon", name="fs1").connect()
    command = "uuid_exists 00000000-0000-4000-8000-00000000bbbb"
    for _ in range(200):  # warm up
        conn.api(command)
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < API_SECONDS:
        for _ in range(100):
            if conn.api(command) != "false":
                raise SystemExit("unexpected uuid_exists answer")
        done += 100
    conn.exit()
    progress(f"api: {done} round trips in {elapsed:.2f} s on one connection")
    return done / elapsed


def bench_emulator_api(port: int) -> float:
    """The node's own api capacity: a raw socket keeping WINDOW commands in flight."""
    import socket

    window = 50
    command = b"api uuid_exists 00000000-0000-4000-8000-00000000bbbb\n\n"
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    parser = FrameParser()

    def replies(wanted: int) -> None:
        got = 0
        while got < wanted:
            data = sock.recv(65536)
            if not data:
                raise SystemExit("the emulated node closed the connection")
            got += sum(1 for frame in parser.feed(data) if frame.content_type == "api/response")

    parser.feed(sock.recv(4096))  # auth/request
    sock.sendall(b"auth ClueCon\n\n")
    sock.recv(4096)
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < API_SECONDS:
        sock.sendall(command * window)
        replies(window)
        done += window
    sock.close()
    progress(f"emulator api: {done} replies in {elapsed:.2f} s, {window} in flight")
    return done / elapsed


def bench_bgapi(port: int) -> float:
    """bgapi originates pushed by several threads on one connection, replies read, and every
    BACKGROUND_JOB result waited for before the clock stops."""
    conn = ESLConnection("127.0.0.1", port, "ClueCon", name="fs1", jobs_kept=BGAPI_JOBS * 2)
    conn.connect()
    conn.subscribe(["BACKGROUND_JOB"])
    command = "originate error/user_busy &park()"
    conn.bgapi_job(command).result(5)  # warm up
    per_thread = BGAPI_JOBS // BGAPI_THREADS
    jobs: list[list] = [[] for _ in range(BGAPI_THREADS)]

    def push(n: int) -> None:
        for _ in range(per_thread):
            jobs[n].append(conn.bgapi_job(command))

    threads = [threading.Thread(target=push, args=(n,)) for n in range(BGAPI_THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = time.perf_counter() - start
    failed = sum(1 for batch in jobs for job in batch if job.result(30) != "-ERR USER_BUSY\n")
    elapsed = time.perf_counter() - start
    conn.exit()
    total = per_thread * BGAPI_THREADS
    if failed:
        raise SystemExit(f"{failed} of {total} jobs returned an unexpected result")
    progress(
        f"bgapi: {total} originates from {BGAPI_THREADS} threads; replies in {sent:.2f} s, "
        f"all BACKGROUND_JOB results in {elapsed:.2f} s"
    )
    return total / elapsed


def capture_reads() -> list[bytes]:
    """Every S>C read of every capture, in order, one item per recv() FreeSWITCH's peer did."""
    reads: list[bytes] = []
    for path in sorted(CAPTURES.glob("*.esl.txt")):
        data = path.read_bytes()
        pos = 0
        while pos < len(data):
            match = _RECORD.match(data, pos)
            if match is None:
                raise SystemExit(f"{path.name}: bad record at {pos}")
            start, size = match.end(), int(match.group(4))
            if match.group(3) == b"S>C":
                reads.append(data[start : start + size])
            pos = start + size + 1
    return reads


def bench_parse() -> float:
    """Frame and decode the captures' server bytes, replayed in memory as recorded."""
    reads = capture_reads()
    progress(f"parser: replaying {len(reads)} reads, {sum(map(len, reads))} bytes per pass")
    events = 0
    passes = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < PARSE_SECONDS:
        parser = FrameParser()
        for chunk in reads:
            for frame in parser.feed(chunk):
                if frame.content_type in EVENT_TYPES:
                    parse_event(frame)
                    events += 1
        passes += 1
    progress(f"parser: {passes} passes, {events} events in {elapsed:.2f} s")
    return events / elapsed


def main() -> None:
    exit_on_signals()
    proc, port = start_emulator()
    progress(f"emulated node fs1 on 127.0.0.1:{port} (pid {proc.pid})")
    try:
        bgapi = bench_bgapi(port)
        api = bench_api(port)
        raw_api = bench_emulator_api(port)
    finally:
        stop_emulator(proc)
    parsed = bench_parse()
    print(f"bgapi_per_s: {bgapi:.0f} jobs/s")
    print(f"events_parsed_per_s: {parsed:.0f} events/s")
    print(f"api_per_s: {api:.0f} req/s")
    print(f"emulator_api_per_s: {raw_api:.0f} req/s")


if __name__ == "__main__":
    main()
