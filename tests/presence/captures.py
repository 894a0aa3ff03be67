"""Read the real FreeSWITCH captures (`/work/shared/fixtures/freeswitch`) as framed ESL."""

from __future__ import annotations

import re
from pathlib import Path

from telephony.protocol import EVENT_JSON, EVENT_PLAIN, FrameParser, parse_event

FIXTURES = Path("/work/shared/fixtures/freeswitch")
_HDR = re.compile(rb"=== (\S+) \+(\d+\.\d+) (S>C|C>S|NOTE|EOF) len=(\d+)\n")


def server_frames(name: str):
    """Every frame FreeSWITCH sent in one capture, framed by Content-Length."""
    data, i = (FIXTURES / name).read_bytes(), 0
    parser = FrameParser()
    frames = []
    while i < len(data):
        m = _HDR.match(data, i)
        n, start = int(m.group(4)), m.end()
        if m.group(3) == b"S>C":
            frames += parser.feed(data[start:start + n])
        i = start + n + 1
    return frames


def events(name: str):
    """The events of one capture, decoded."""
    return [parse_event(f) for f in server_frames(name)
            if f.content_type in (EVENT_PLAIN, EVENT_JSON)]


def api_bodies(name: str, marker: str):
    """api/response bodies containing `marker`."""
    return [f.text() for f in server_frames(name)
            if f.content_type == "api/response" and marker in f.text()]
