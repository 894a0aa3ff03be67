"""Readers for the real FreeSWITCH ESL captures, and tiny scripted ESL servers on loopback.

Capture format (shared/fixtures/freeswitch/README.md): records of one header line
`=== <time> +<secs> <DIR> len=<N>`, exactly N raw bytes, then one newline.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# A copy of ../shared/fixtures/freeswitch (real FreeSWITCH 1.10.12 captures) ships with the tests,
# so a fresh clone needs nothing beside it; SWITCHBOARD_CAPTURES points elsewhere if wanted.
_SHIPPED = Path(__file__).resolve().parent.parent / "fixtures" / "freeswitch"
CAPTURE_DIR = Path(os.environ.get("SWITCHBOARD_CAPTURES", _SHIPPED))
_RECORD = re.compile(rb"=== (\S+) \+(\d+\.\d+) (S>C|C>S|NOTE|EOF) len=(\d+)\n")


@dataclass(frozen=True)
class Record:
    """One capture record: when, which direction, and its raw bytes."""

    time: str
    offset: float
    direction: str
    data: bytes


def capture_paths() -> list[Path]:
    """Every capture file, sorted by name."""
    return sorted(CAPTURE_DIR.glob("*.esl.txt"))


def capture_path(prefix: str) -> Path:
    """The one capture whose file name starts with `prefix` (e.g. "17-", or "lab/lab-s9-" for
    the lab's captures in `lab/`)."""
    folder, _, name = prefix.rpartition("/")
    files = sorted((CAPTURE_DIR / folder).glob("*.esl.txt")) if folder else capture_paths()
    matches = [p for p in files if p.name.startswith(name)]
    if len(matches) != 1:
        raise LookupError(f"{len(matches)} captures start with {prefix!r}")
    return matches[0]


def read_records(path: Path) -> list[Record]:
    """All records of one capture, reading each by its length (payloads contain blank lines)."""
    data = path.read_bytes()
    records: list[Record] = []
    pos = 0
    while pos < len(data):
        match = _RECORD.match(data, pos)
        if match is None:
            raise ValueError(f"{path.name}: no record header at byte {pos}")
        start = match.end()
        size = int(match.group(4))
        payload = data[start : start + size]
        if len(payload) != size or data[start + size : start + size + 1] != b"\n":
            raise ValueError(f"{path.name}: truncated record at byte {pos}")
        records.append(
            Record(match.group(1).decode(), float(match.group(2)), match.group(3).decode(), payload)
        )
        pos = start + size + 1
    return records


def server_reads(path: Path) -> list[bytes]:
    """The S>C payloads (one per recv() FreeSWITCH's peer did), in order."""
    return [r.data for r in read_records(path) if r.direction == "S>C"]


def server_stream(path: Path) -> bytes:
    """Everything FreeSWITCH sent on one connection, concatenated."""
    return b"".join(server_reads(path))


# ---- scripted servers -------------------------------------------------------------------------


def _take_command(buf: bytes) -> tuple[bytes, bytes] | None:
    """Split one client command off the front of `buf`: (command, rest), or None if incomplete."""
    buf = buf.lstrip(b"\n")
    end = buf.find(b"\n\n")
    if end < 0:
        return None
    length = 0
    for line in buf[:end].split(b"\n")[1:]:
        name, _, value = line.partition(b": ")
        if name.lower() == b"content-length":
            length = int(value)
    total = end + 2 + length
    if len(buf) < total:
        return None
    return buf[:total], buf[total:]


def split_commands(data: bytes) -> list[bytes]:
    """The client commands in one C>S payload (file 17 and 20 pipeline several in one write)."""
    commands: list[bytes] = []
    while (taken := _take_command(data)) is not None:
        command, data = taken
        commands.append(command)
    return commands


class ServerConn:
    """The server side of one accepted connection, with a blocking command reader."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = b""
        self._send_lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self._send_lock:
            self.sock.sendall(data)

    def read_command(self, timeout: float = 5.0) -> bytes | None:
        """One client command (header block and any Content-Length body), or None at EOF."""
        self.sock.settimeout(timeout)
        while True:
            taken = _take_command(self._buf)
            if taken is not None:
                command, self._buf = taken
                return command
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self._buf += chunk

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class ScriptedServer:
    """A TCP server on 127.0.0.1:<free port>; each connection runs `handler` in its own thread."""

    def __init__(self, handler: Callable[[ServerConn], None], port: int = 0) -> None:
        self.handler = handler
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.connections: list[ServerConn] = []
        self.errors: list[BaseException] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            conn = ServerConn(sock)
            self.connections.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: ServerConn) -> None:
        try:
            self.handler(conn)
        except OSError:
            pass
        except BaseException as exc:  # surfaced by tests that look at .errors
            self.errors.append(exc)
        finally:
            conn.close()

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in list(self.connections):
            conn.close()
        self._thread.join(timeout=5)


def replay_capture(
    path: Path, commands_seen: list[bytes] | None = None
) -> Callable[[ServerConn], None]:
    """A handler playing FreeSWITCH's side of a capture: S>C bytes as recorded, the client's
    commands read where the capture has C>S records, the socket closed at EOF."""
    records = [r for r in read_records(path) if r.direction in ("S>C", "C>S", "EOF")]

    def handler(conn: ServerConn) -> None:
        for record in records:
            if record.direction == "S>C":
                conn.send(record.data)
            elif record.direction == "C>S":
                for _ in range(len(split_commands(record.data)) or 1):
                    command = conn.read_command()
                    if command is None:
                        return
                    if commands_seen is not None:
                        commands_seen.append(command)
            else:
                return
        conn.read_command(timeout=10)  # hold the socket until the client leaves

    return handler


# ---- a minimal scripted FreeSWITCH --------------------------------------------------------------

GREETING = b"Content-Type: auth/request\n\n"
GOODBYE = (
    b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
    b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
)
SHUTDOWN = (
    b"Content-Type: text/disconnect-notice\nContent-Length: 31\n\nThe system is being shut down.\n"
)


def command_reply(text: str, extra: str = "") -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n{extra}\n".encode()


def api_response(body: str) -> bytes:
    data = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(data) + data


def plain_event(headers: list[tuple[str, str]], body: str | None = None) -> bytes:
    """Serialize an event as switch_event_serialize() does (values URL-encoded)."""
    from urllib.parse import quote

    lines = "".join(f"{name}: {quote(value, safe='')}\n" for name, value in headers)
    if body is not None:
        raw = body.encode()
        inner = lines.encode() + b"Content-Length: %d\n\n" % len(raw) + raw
    else:
        inner = lines.encode() + b"\n"
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(inner) + inner


def parse_command(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    """Split a client command into its line, headers and body."""
    head, _, body = raw.lstrip(b"\n").partition(b"\n\n")
    lines = head.decode().split("\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(": ")
        headers[name] = value
    return lines[0], headers, body


class FakeSwitch:
    """Just enough FreeSWITCH for client error paths: auth, api, bgapi, event, filter, exit.

    `api` maps an api command to its body (default: `+OK <command>`); `api_delay` delays replies
    to commands starting with a prefix; every command is recorded in `commands` (the auth line
    included, for the secret-handling tests)."""

    def __init__(
        self,
        password: str = "ClueCon",
        core_uuid: str = "11111111-1111-4111-8111-111111111111",
        port: int = 0,
    ) -> None:
        self.password = password
        self.core_uuid = core_uuid
        self.commands: list[str] = []
        self.api: dict[str, str] = {}
        self.api_delay: dict[str, float] = {}
        self.job_delay = 0.0
        self.sequence = 100
        self.lock = threading.Lock()
        self.live: list[ServerConn] = []
        self.server = ScriptedServer(self.handle, port=port)
        self.port = self.server.port

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FakeSwitch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def event(self, name: str, extra: list[tuple[str, str]] = (), body: str | None = None) -> bytes:
        with self.lock:
            self.sequence += 1
            seq = self.sequence
        headers = [
            ("Event-Name", name),
            ("Core-UUID", self.core_uuid),
            ("Event-Sequence", str(seq)),
            *extra,
        ]
        return plain_event(headers, body)

    def broadcast(self, data: bytes) -> None:
        for conn in list(self.live):
            with contextlib.suppress(OSError):
                conn.send(data)

    def handle(self, conn: ServerConn) -> None:
        import time as _time

        conn.send(GREETING)
        subscribed: set[str] = set()
        authed = False
        while True:
            raw = conn.read_command(timeout=30)
            if raw is None:
                return
            line, headers, _body = parse_command(raw)
            self.commands.append(line)
            if not authed:
                if line == f"auth {self.password}":
                    authed = True
                    self.live.append(conn)
                    conn.send(command_reply("+OK accepted"))
                elif line.startswith("auth "):
                    conn.send(command_reply("-ERR invalid") + GOODBYE)
                    return
                else:
                    conn.send(command_reply("-ERR command not found"))
                continue
            for prefix, delay in self.api_delay.items():
                if line.startswith(prefix):
                    _time.sleep(delay)
            if line.startswith("api "):
                cmd = line[4:]
                if cmd == "global_getvar core_uuid":
                    conn.send(api_response(self.core_uuid))
                else:
                    conn.send(api_response(self.api.get(cmd, f"+OK {cmd}\n")))
            elif line.startswith("bgapi "):
                job = headers.get("Job-UUID", "00000000-0000-4000-8000-00000000ffff")
                conn.send(command_reply(f"+OK Job-UUID: {job}", f"Job-UUID: {job}\n"))
                if "BACKGROUND_JOB" in subscribed:
                    cmd = line[6:]
                    result = self.api.get(cmd, f"+OK {cmd}\n")
                    event = self.event(
                        "BACKGROUND_JOB",
                        [("Job-UUID", job), ("Job-Command", cmd.split(" ")[0])],
                        result,
                    )
                    if self.job_delay:
                        threading.Timer(self.job_delay, conn.send, (event,)).start()
                    else:
                        conn.send(event)
            elif line.startswith("event "):
                words = line.split()[2:]
                subscribed.update(words)
                conn.send(command_reply(f"+OK event listener enabled {line.split()[1]}"))
            elif line.startswith("filter "):
                conn.send(command_reply("+OK filter added."))
            elif line == "exit":
                conn.send(command_reply("+OK bye") + GOODBYE)
                self.live.remove(conn)
                return
            else:
                conn.send(command_reply("-ERR command not found"))
