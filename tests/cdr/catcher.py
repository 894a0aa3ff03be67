"""A CDR catcher for tests: records every request byte for byte, answers as told."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Caught:
    t: float
    request_line: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def path(self) -> str:
        return self.request_line.split(" ")[1]

    def header(self, name: str) -> str:
        return next(v for k, v in self.headers if k.lower() == name.lower())


@dataclass
class Catcher:
    """Raw-socket HTTP/1.1 server on a free loopback port (like checks/realfs/cdr_catcher.py)."""

    status: int = 200
    caught: list[Caught] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            split = (line.partition(":") for line in lines[1:])
            headers = [(k.strip(), v.strip()) for k, _, v in split]
            length = int(next(v for k, v in headers if k.lower() == "content-length"))
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            self.caught.append(Caught(time.time(), lines[0], headers, body))
            reason = {200: "OK", 401: "Unauthorized"}.get(self.status, "Error")
            conn.sendall(f"HTTP/1.1 {self.status} {reason}\r\nContent-Length: 3\r\n"
                         f"Connection: close\r\n\r\nOK\n".encode())
