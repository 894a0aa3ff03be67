"""The media applications replayed against captures 43-48.

Each capture's commands are sent to the emulator at the captured offsets, against the same far end
scripted as a media timeline (tests/emulator/media_scripts.py). The calls run side by side, so the
whole replay takes as long as the longest capture (about 30 s). Then, per capture: the same
sequence of the call's media events (EXECUTE/EXECUTE_COMPLETE per application, DETECTED_TONE with
or without a Unique-ID, avmd::*, CHANNEL_PARK, the hangup), the same wait_for_silence variables,
the same api replies, and each event's time since the answer within the tolerance the captures
themselves show (a loaded test machine adds its own lag: 0.3 s).
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.emulator.captures import conversation
from tests.emulator.eslraw import RawEsl
from tests.emulator.media_scripts import HUMAN, HUMAN_UNHEARD_RINGBACK, NOPAUSE, VOICEMAIL
from tests.telephony.fixtures import capture_path

TOLERANCE_S = 0.3
FAR_ENDS = {
    "43-": ("+14157771043", HUMAN),
    "44-": ("+14157771044", NOPAUSE),
    "45-": ("+14157771045", VOICEMAIL),
    "46-": ("+14157771046", HUMAN),
    "47-": ("+14157771047", HUMAN_UNHEARD_RINGBACK),
    "47b-": ("+14157771471", HUMAN),
    "47c-": ("+14157771472", HUMAN),
    "48-": ("+14157771048", HUMAN),
}
WATCHED = ("CHANNEL_ANSWER", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_PARK",
           "CHANNEL_HANGUP", "DETECTED_TONE", "CUSTOM")  # fmt: skip
VARIABLES = ("variable_wait_for_silence_timeout", "variable_wait_for_silence_listenhits",
             "variable_wait_for_silence_silence_hits", "variable_detect_audio_timeout",
             "variable_detect_silence_timeout")  # fmt: skip


def _commands(prefix: str) -> list[tuple[float, str]]:
    """(offset, command) of a capture after the login, from its records."""
    from tests.telephony.fixtures import read_records

    out = []
    for rec in read_records(capture_path(prefix)):
        if rec.direction != "C>S":
            continue
        line = rec.data.decode().strip()
        if line.startswith("auth "):
            continue
        out.append((rec.offset, line))
    return out


def _stamp(ev: dict[str, str]) -> float:
    return int(ev["Event-Date-Timestamp"]) / 1e6


def _media_events(events: list[dict[str, str]], call: str) -> list[dict[str, str]]:
    """The call's watched events up to its hangup (DETECTED_TONE copies without a Unique-ID
    included: they belong to whichever call armed the key)."""
    out = []
    for ev in events:
        name = ev.get("Event-Name", "")
        if name not in WATCHED or ev.get("Unique-ID", call) != call:
            continue
        if name == "CUSTOM" and not ev.get("Event-Subclass", "").startswith("avmd::"):
            continue
        out.append(ev)
        if name == "CHANNEL_HANGUP":
            break
    return out


def _label(ev: dict[str, str]) -> str:
    name = ev["Event-Name"]
    if name.startswith("CHANNEL_EXECUTE"):
        return f"{name}:{ev.get('Application')}"
    if name == "DETECTED_TONE":
        return f"DETECTED_TONE:{ev['Detected-Tone']}:{'uuid' if 'Unique-ID' in ev else 'bare'}"
    if name == "CUSTOM":
        return f"{ev['Event-Subclass']}:{ev.get('Beep-Status', '')}:{ev['Event-Sequence'] != ''}"
    return name


def _own(ev: dict[str, str]) -> list[str]:
    names = list(ev)
    return names[: names.index("Channel-State") + 1] if "Channel-State" in names else names


def _call_uuid(commands: list[tuple[float, str]]) -> str:
    line = next(c for _, c in commands if c.startswith("bgapi originate"))
    return line.split("origination_uuid=")[1].split(",")[0]


def _captured(prefix: str, call: str) -> tuple[list[dict[str, str]], list[str]]:
    events, replies = [], []
    for kind, item in conversation(capture_path(prefix).name):
        if kind != "S":
            continue
        if item.content_type == "text/event-plain":
            events.append(item.event())
        elif item.content_type == "api/response":
            replies.append(item.body.decode())
    return _media_events(events, call), replies


def _replay(port: int, commands: list[tuple[float, str]], out: dict) -> None:
    conn = RawEsl(port, timeout=10.0)
    conn.login()
    replies: list[str] = []
    start = time.monotonic() - commands[0][0]
    try:
        for offset, line in commands:
            delay = start + offset - time.monotonic()
            if delay > 0:
                conn.drain(delay)
            if line == "exit":
                break
            frame = conn.cmd(line, timeout=10.0)
            if frame.content_type == "api/response":
                replies.append(frame.body.decode())
        conn.drain(0.3)
    finally:
        out["events"] = [f.event() for f in conn.events if f.content_type.endswith("plain")]
        out["replies"] = replies
        conn.close()


@pytest.fixture(scope="module")
def replays():
    from emulator import Cluster

    # One node per capture: a bare DETECTED_TONE names no call, so calls on one node would
    # each see the others' (the trap the product handles with a per-call key).
    cluster = Cluster(nodes=len(FAR_ENDS), password="ClueCon", esl_port=0,
                      heartbeat_interval=60.0, sweep_interval=60.0).start()  # fmt: skip
    try:
        results: dict[str, dict] = {}
        threads = []
        for i, (prefix, (number, media)) in enumerate(FAR_ENDS.items(), start=1):
            node = f"fs{i}"
            # SIPp answered about 320 ms after the INVITE in every one of these captures.
            cluster.node(node).set_outcome(pattern=number, answer_ms=320, ring_ms=None,
                                           media=media)  # fmt: skip
            results[prefix] = {}
            thread = threading.Thread(
                target=_replay, args=(cluster.ports[node], _commands(prefix), results[prefix])
            )
            threads.append(thread)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        yield results
    finally:
        cluster.stop()


def _check(replays, prefix: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    commands = _commands(prefix)
    call = _call_uuid(commands)
    ours = _media_events(replays[prefix]["events"], call)
    theirs, _ = _captured(prefix, call)
    assert [_label(e) for e in ours] == [_label(e) for e in theirs]
    for mine, real in zip(ours, theirs, strict=True):
        assert {k: mine.get(k) for k in VARIABLES} == {k: real.get(k) for k in VARIABLES}, (
            _label(real)
        )
    ours_answer, their_answer = _stamp(ours[0]), _stamp(theirs[0])
    for mine, real in zip(ours, theirs, strict=True):
        lag_ours, lag_theirs = _stamp(mine) - ours_answer, _stamp(real) - their_answer
        assert abs(lag_ours - lag_theirs) <= TOLERANCE_S, (_label(real), lag_ours, lag_theirs)
    return ours, theirs


def test_a_short_silence_count_fires_inside_the_greetings_pause_43(replays):
    ours, theirs = _check(replays, "43-")
    assert replays["43-"]["replies"][0] == "false"


def test_a_greeting_that_never_pauses_gives_only_the_timeout_44(replays):
    _check(replays, "44-")
    assert replays["44-"]["replies"][:3] == ["true", "397", "25"]


def test_voicemail_beep_is_heard_by_tone_detect_and_avmd_and_copies_come_at_park_45(replays):
    ours, theirs = _check(replays, "45-")
    # The same header names on every media event: the first copies whole, the second copies up
    # to their channel headers (the channel's own variables are the emulator's).
    for mine, real in zip(ours, theirs, strict=True):
        if real["Event-Name"] in ("DETECTED_TONE", "CUSTOM"):
            assert _own(mine) == _own(real), _label(real)
    replies = replays["45-"]["replies"]
    assert replies[0] == "TRUE"
    assert 574 - 300 <= int(replies[1]) <= 993 + 1500  # ringback: ms from tone_detect to the hit
    bare = [e for e in ours if e["Event-Name"] == "DETECTED_TONE" and "Unique-ID" not in e]
    copies = [e for e in ours if e["Event-Name"] == "DETECTED_TONE" and "Unique-ID" in e]
    assert [e["Event-Sequence"] for e in bare] == [e["Event-Sequence"] for e in copies]
    assert [e["Event-Date-Timestamp"] for e in bare] == [e["Event-Date-Timestamp"] for e in copies]


def test_a_person_gives_no_beep_and_avmd_stop_says_notdetected_46(replays):
    ours, _ = _check(replays, "46-")
    stop = next(e for e in ours if e.get("Event-Subclass") == "avmd::stop")
    assert stop["Beep-Status"] == "NOTDETECTED"
    assert replays["46-"]["replies"][0] == "_undef_"


def test_tone_detect_can_miss_the_ringback_and_the_avmd_api_stop_always_says_detected_47(replays):
    ours, _ = _check(replays, "47-")
    assert not [e for e in ours if e["Event-Name"] == "DETECTED_TONE"]
    replies = replays["47-"]["replies"]
    call = _call_uuid(_commands("47-"))
    assert replies[:2] == ["_undef_", "_undef_"]
    assert replies[2] == f"+OK\n [{call}] [sofia/external/+14157771047] stopped\n\n"
    stop = [e for e in ours if e.get("Event-Subclass") == "avmd::stop"]
    assert stop[0]["Beep-Status"] == "DETECTED"
    assert stop[0]["Stop-status"] == "ERROR (AVMD SESSION OBJECT NOT FOUND IN MEDIA BUG)"


def test_the_copy_waits_for_the_next_park_under_sleep_47b(replays):
    ours, _ = _check(replays, "47b-")
    bare = next(e for e in ours if e["Event-Name"] == "DETECTED_TONE")
    copy = next(e for e in ours if e["Event-Name"] == "DETECTED_TONE" and "Unique-ID" in e)
    park = next(e for e in ours if e["Event-Name"] == "CHANNEL_PARK")
    assert ours.index(copy) > ours.index(park) > ours.index(bare)


def test_under_park_the_copies_come_at_once_47c(replays):
    _check(replays, "47c-")


def test_detect_audio_and_detect_silence_mark_the_edges_48(replays):
    _check(replays, "48-")
