"""Every real FreeSWITCH capture frames identically whole, byte by byte, and split anywhere."""

from __future__ import annotations

import random

import pytest

from telephony.protocol import EVENT_TYPES, FrameParser, parse_event, parse_reply
from tests.telephony.fixtures import capture_paths, server_reads, server_stream

CAPTURES = capture_paths()
SMALL = 4 * 1024  # captures up to this size are split at every byte offset
SPLITS_FOR_BIG = 1500


def frames_of(chunks):
    parser = FrameParser()
    frames = []
    for chunk in chunks:
        frames.extend(parser.feed(chunk))
    assert parser.buffered == 0, "bytes left over after the last frame"
    return frames


def split_points(stream: bytes, whole) -> list[int]:
    """Every offset for small captures; for big ones every frame and header-block edge (+-2)
    plus a seeded random sample."""
    if len(stream) <= SMALL:
        return list(range(len(stream) + 1))
    edges = frame_edges(stream, whole)
    points = {p for edge in edges for p in range(edge - 2, edge + 3) if 0 <= p <= len(stream)}
    rng = random.Random(len(stream))
    while len(points) < SPLITS_FOR_BIG + len(edges):
        points.add(rng.randrange(len(stream) + 1))
    return sorted(points)


def frame_edges(stream: bytes, whole) -> list[int]:
    """Offsets where a frame's header block ends and where the frame ends."""
    edges = []
    pos = 0
    for frame in whole:
        header_end = stream.index(b"\n\n", pos) + 2
        pos = header_end + len(frame.body)
        edges += [header_end, pos]
    return edges


def test_there_are_captures_to_replay():
    assert len(CAPTURES) >= 29


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name.split(".")[0])
def test_capture_frames_the_same_whole_as_recorded_and_byte_by_byte(path):
    stream = server_stream(path)
    whole = frames_of([stream])
    assert whole, "a capture with no frames"
    assert frames_of(server_reads(path)) == whole
    assert frames_of([stream[i : i + 1] for i in range(len(stream))]) == whole
    # Every frame is a greeting, a reply, an event or a disconnect notice, and each decodes.
    for frame in whole:
        if frame.content_type in EVENT_TYPES:
            event = parse_event(frame)
            assert event.name and event.core_uuid and event.sequence is not None
        elif frame.content_type in ("command/reply", "api/response"):
            parse_reply(frame)
        else:
            assert frame.content_type in ("auth/request", "text/disconnect-notice")
    assert whole[0].content_type == "auth/request"
    assert whole[-1].content_type == "text/disconnect-notice"


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name.split(".")[0])
def test_capture_frames_the_same_split_in_two_at_any_point(path):
    stream = server_stream(path)
    whole = frames_of([stream])
    for point in split_points(stream, whole):
        assert frames_of([stream[:point], stream[point:]]) == whole, f"split at {point}"


def test_the_whole_corpus_frames_the_same_in_chunks_of_every_size_up_to_64():
    streams = [server_stream(p) for p in CAPTURES if len(server_stream(p)) <= 50_000]
    for stream in streams:
        whole = frames_of([stream])
        for size in (2, 3, 5, 7, 13, 31, 64):
            chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
            assert frames_of(chunks) == whole
