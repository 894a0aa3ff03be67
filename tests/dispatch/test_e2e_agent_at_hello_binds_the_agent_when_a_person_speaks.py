"""End to end, `agent_at_hello`, against attendants with extensions scripted in the emulator.

No agent is reserved when the number is dialled (the originate names no agent); the plan sends
the extension once the attendant has finished, listens to what follows, and the results side
judges each sound: ringback (the per-attempt tone_detect key, or the cadence), a person (a short
utterance, no beep) or a machine (a long greeting, or a beep).

* a person: an agent is reserved at the hello and bridged within 2 s of it (ring on demand);
* a machine, `hangup`: the call is ended, outcome `voicemail`, its own retry delay, the evidence
  (loud frames, beep) stored; `message`: the campaign's message is played after the beep;
* nobody takes the extension: it rings past the campaign's allowance, outcome `no_person`;
* a person and no agent free: the abandon message at once (within 2 s of the hello).
One call per number in the emulator's log each time.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.models import CallAttempt, Outcome, TargetState
from tests.dispatch.e2e_agents import (
    agent_world_fixture,
    callee,
    commands,
    one_target,
    originates_to,
    phone,
    start,
    wait_target,
)
from tests.dispatch.e2e_world import wait_for
from tests.dispatch.media_far_ends import HELLO, VOICEMAIL, attendant, ringback

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]

world = agent_world_fixture(agents=1)


def _campaign(world, worker_factory, beat_factory, *, number: str, media, hangup_ms: int,
              **fields):
    (agent,) = world.agents[world.nodes[0]]
    phone(world, agent, "answer")
    callee(world, number, kind="answer", answer_ms=40, hangup_ms=hangup_ms, media=media)
    fields.setdefault("connect_plan", "attendant")
    made = world.campaign(mode="agent_at_hello", originate_timeout=10, **fields)
    start(world, worker_factory, beat_factory)
    return agent, one_target(made, number, extension="123")


def _steps(attempt, step):
    return [s for s in attempt.connect_timeline if s["step"] == step]


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_a_person_gets_an_agent_reserved_at_the_hello_and_bridged_within_2_s(
        world, celery_worker_factory, celery_beat_factory):
    number = "+14157777001"
    agent, target = _campaign(world, celery_worker_factory, celery_beat_factory, number=number,
                              media=attendant(then=ringback(2) + HELLO), hangup_ms=22_000)
    wait_target(world, target, lambda t: t.last_outcome == Outcome.ANSWERED, 60,
                "the person to reach the agent")
    (originate,) = originates_to(world, number)
    assert "user/" not in originate["command"]  # nobody reserved to dial it
    (attempt,) = CallAttempt.objects.filter(target=target)
    assert attempt.heard == "person" and attempt.agent_id == agent.id
    hello = attempt.hello_at
    (transfer,) = [c for c in commands(world, "uuid_transfer") if "user/" in c["command"]]
    assert transfer["t"] >= hello.timestamp() - 0.01  # reserved and sent only after the hello
    assert (attempt.bridged_at - hello).total_seconds() < 2.0
    listens = _steps(attempt, "listen")
    assert [s["heard"] for s in listens] == ["ringback", "ringback", "person"]
    # "Hello? This is Bob." is 56 loud frames; the hello began 0.7 s after the last burst, while
    # the previous listen was in its blind 500 ms countdown, so this listen heard part of it.
    assert 20 < listens[-1]["listen_hits"] <= 56 and not listens[-1]["beep"]
    assert _steps(attempt, "ringback_tone")
    (verdict,) = _steps(attempt, "person")
    assert verdict["speech_frames"] == listens[-1]["listen_hits"]


def test_a_machine_is_hung_up_on_and_the_evidence_is_stored(
        world, celery_worker_factory, celery_beat_factory):
    number = "+14157777002"
    _, target = _campaign(world, celery_worker_factory, celery_beat_factory, number=number,
                          media=attendant(then=ringback(1) + VOICEMAIL), hangup_ms=40_000,
                          retry_voicemail_seconds=600)
    wait_target(world, target, lambda t: t.last_outcome == Outcome.VOICEMAIL, 60,
                "the machine's call to end")
    (attempt,) = CallAttempt.objects.filter(target=target)
    assert (attempt.heard, attempt.agent_id, attempt.bridged_at) == ("machine", None, None)
    assert attempt.counts_as_attempt
    listens = _steps(attempt, "listen")
    assert [s["heard"] for s in listens] == ["ringback", "machine"]
    # The greeting and its beep: 148 loud frames when heard whole (capture 45).
    assert 120 < listens[-1]["listen_hits"] <= 148 and listens[-1]["beep"]
    assert _steps(attempt, "beep")[0]["frequency"]
    assert not [c for c in commands(world, "user/")]  # no agent was ever rung
    assert [c["command"] for c in commands(world, "uuid_kill")] == [
        f"api uuid_kill {attempt.uuid} NORMAL_CLEARING"]
    target.refresh_from_db()
    assert target.state == TargetState.RETRY_WAIT
    assert target.next_attempt_at >= attempt.ended_at + dt.timedelta(seconds=599)
    assert len(originates_to(world, number)) == 1


def test_a_machine_gets_the_campaigns_message_after_the_beep(
        world, celery_worker_factory, celery_beat_factory):
    number = "+14157777003"
    _, target = _campaign(world, celery_worker_factory, celery_beat_factory, number=number,
                          media=attendant(then=ringback(1) + VOICEMAIL), hangup_ms=40_000,
                          voicemail_action="message", voicemail_message="tone:300/100/660x2")
    wait_target(world, target, lambda t: t.last_outcome == Outcome.VOICEMAIL, 60,
                "the message to be left")
    (attempt,) = CallAttempt.objects.filter(target=target)
    (left,) = commands(world, "uuid_transfer")
    assert left["command"].endswith(
        "'m:|:playback:tone_stream://%(300,100,660);loops=2|hangup:NORMAL_CLEARING' inline")
    assert left["t"] > _at(_steps(attempt, "beep")[0]["at"]).timestamp()


def test_an_extension_that_rings_out_is_no_person(
        world, celery_worker_factory, celery_beat_factory):
    number = "+14157777004"
    _, target = _campaign(world, celery_worker_factory, celery_beat_factory, number=number,
                          media=attendant(then=ringback(4, detectable=False)),
                          hangup_ms=60_000, ring_timeout_seconds=12,
                          retry_no_person_seconds=900)
    wait_target(world, target, lambda t: t.last_outcome == Outcome.NO_PERSON, 70,
                "the extension to ring out")
    (attempt,) = CallAttempt.objects.filter(target=target)
    assert (attempt.heard, attempt.agent_id) == ("no_person", None)
    assert not _steps(attempt, "ringback_tone")  # tone_detect missed it (capture 47)...
    heard = [s["heard"] for s in _steps(attempt, "listen")]
    assert heard[:2] == ["ringback", "ringback"]  # ...the cadence did not
    target.refresh_from_db()
    assert target.next_attempt_at >= attempt.ended_at + dt.timedelta(seconds=899)


def test_a_person_with_no_agent_free_hears_the_abandon_message_within_2_s(
        world, celery_worker_factory, celery_beat_factory):
    number = "+14157777005"
    agent, target = _campaign(world, celery_worker_factory, celery_beat_factory, number=number,
                              media=attendant(then=ringback(1) + HELLO), hangup_ms=30_000,
                              abandon_message="tone:200/200/480x1")
    wait_for(lambda: CallAttempt.objects.filter(target=target, answered_at__isnull=False)
             .exists(), 30, "the answer", world.logs)
    world.presence.set_intent(agent.presence_key, "paused", "busy elsewhere", "test",
                              time.time())
    wait_target(world, target, lambda t: t.last_outcome == Outcome.ABANDONED, 60,
                "the abandon")
    (attempt,) = CallAttempt.objects.filter(target=target)
    assert (attempt.heard, attempt.agent_id, attempt.bridged_at) == ("person", None, None)
    (abandon,) = commands(world, "uuid_transfer")
    assert ("playback:tone_stream://%(200,200,480);loops=1|set:switchboard_abandon=played|"
            "hangup:NORMAL_CLEARING") in abandon["command"]
    assert 0 <= abandon["t"] - attempt.hello_at.timestamp() < 2.0
    # The compliance proof: the plan's own mark after the message played to its end.
    wait_for(lambda: CallAttempt.objects.filter(id=attempt.id, abandon_message_at__isnull=False)
             .exists(), 30, "the abandon message's played mark", world.logs)
