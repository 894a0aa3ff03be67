"""The CDR captures (tests/fixtures/freeswitch/cdr/): requests as FreeSWITCH sent them."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

CDR_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "freeswitch" / "cdr"
_RECORD = re.compile(rb"=== (\S+) \+(\S+) (\w+) len=(\d+)\n")
USER, PASSWORD = "switchboard", "cdr-s3cret"  # the captures' `cred`
GOOD_AUTHORIZATION = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@dataclass(frozen=True)
class Post:
    method: str
    path: str  # with its query
    headers: dict[str, str]
    body: bytes

    @property
    def module(self) -> str:
        return "json" if self.path.startswith("/cdr/json") else "xml"


def records(path: Path) -> list[tuple[str, bytes]]:
    """(DIR, bytes) of each record of a `.http.txt` / `.esl.txt` capture file."""
    data, at, out = path.read_bytes(), 0, []
    while at < len(data):
        match = _RECORD.match(data, at)
        assert match, f"{path.name}: bad record at byte {at}"
        size, start = int(match.group(4)), match.end()
        out.append((match.group(3).decode(), data[start:start + size]))
        at = start + size + 1
    return out


def posts(prefix: str) -> list[Post]:
    """Every request of the JSON and XML captures of one scenario (e.g. "36"), in file order."""
    found = []
    for path in sorted(CDR_DIR.glob(f"{prefix}-*.http.txt")):
        for direction, raw in records(path):
            if direction != "REQ":
                continue
            head, body = raw.split(b"\r\n\r\n", 1)
            lines = head.decode("ascii").split("\r\n")
            method, target, _ = lines[0].split(" ")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            assert len(body) == int(headers["content-length"])
            found.append(Post(method, target, headers, body))
    return found


def send(client, post: Post, *, authorization: str | None = None):
    """Replay a captured post through Django's test client, headers as sent."""
    return client.generic(
        post.method, post.path, post.body, content_type=post.headers["content-type"],
        HTTP_AUTHORIZATION=authorization or post.headers["authorization"],
        HTTP_USER_AGENT=post.headers["user-agent"],
    )
