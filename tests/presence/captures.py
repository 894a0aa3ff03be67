"""Read the real FreeSWITCH captures (`tests/fixtures/freeswitch`) as framed ESL."""

from __future__ import annotations

from telephony.protocol import EVENT_JSON, EVENT_PLAIN, FrameParser, parse_event
from tests.telephony.fixtures import CAPTURE_DIR, server_reads


def server_frames(name: str):
    """Every frame FreeSWITCH sent in one capture, framed by Content-Length."""
    parser = FrameParser()
    return [frame for data in server_reads(CAPTURE_DIR / name) for frame in parser.feed(data)]


def events(name: str):
    """The events of one capture, decoded."""
    return [parse_event(f) for f in server_frames(name)
            if f.content_type in (EVENT_PLAIN, EVENT_JSON)]


def api_bodies(name: str, marker: str):
    """api/response bodies containing `marker`."""
    return [f.text() for f in server_frames(name)
            if f.content_type == "api/response" and marker in f.text()]
