"""Media-aware connect benchmark: when the digits go, and who gets an agent when.

One run against an emulated FreeSWITCH node in this process (over TCP), with the product's own
plan renderers (`telephony.originate`), grammars and person/machine heuristic
(`telephony.listening.classify_listen`); the bench plays the results side's listening loop
itself (what `campaigns.services.call_path.listening` does on the events), without PostgreSQL
or Celery,
so that the figures are those of the plans and the heuristic, not of a loaded test machine's
queues (the end-to-end tests hold the full path to the same 2 s). The same mix of far ends is
dialled under every plan: attendants with and without pauses in their greeting, 0-30 s of
ringback, people (a short hello), machines (a voicemail greeting and beep), extensions that
never answer, and a tone_detect miss now and then. Agents' phones answer after 0.3-1.5 s.

Plans: `blind` target_first (settle 1 s, the agent bridged after the digits), `attendant`
target_first, and the agent at the hello (attendant digits, then listening) with ring on demand
(`uuid_transfer` to `bridge:user/<agent>`) or with agent sessions (each agent's phone called
once and parked with `park_after_bridge`; `uuid_bridge` at the hello, captures 49-53; the
session manager itself is not in the product yet, the bench drives the legs).

Exactly these lines on stdout (`--quick`: a small mix, same lines):

    digits_over_greeting_pct_blind: <v> %       calls whose digits started over the greeting
    digits_over_greeting_pct_attendant: <v> %
    digits_over_greeting_pct_attendant_pausing: <v> %   ...on greetings that pause (goal 0)
    agent_seconds_before_person_blind: <v> s    per connected person: agent on the line
    agent_seconds_before_person_hello: <v> s      before the person's first word
    hello_to_agent_p50_ms: <v> ms               the hello heard -> CHANNEL_BRIDGE, sessions
    hello_to_agent_p95_ms: <v> ms
    hello_to_agent_p50_ms_ring_on_demand: <v> ms
    hello_to_agent_p95_ms_ring_on_demand: <v> ms
    machine_detected_pct: <v> %                 machines judged machines
    person_called_machine_pct: <v> %            people judged machines (hung up on)

Figures from a shared noisy machine are indications, never pass/fail.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator import Cluster  # noqa: E402
from telephony.config import NodeConfig  # noqa: E402
from telephony.connection import ESLConnection  # noqa: E402
from telephony.listening import (  # noqa: E402
    LISTEN_VARIABLE,
    Heard,
    Listening,
    Thresholds,
    attempt_of_ringback_key,
    classify_listen,
)
from telephony.originate import (  # noqa: E402
    Mode,
    OriginateRequest,
    render_hello_transfer,
    render_originate,
)

DOMAIN = "bench.example"
KINDS = ("person", "machine", "person", "nobody", "person", "machine", "person", "person",
         "machine", "person")  # 6 people, 3 machines, 1 extension nobody answers
EXTENSION = "123"
THRESHOLDS = Thresholds(ring_timeout_s=30)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _ringback(bursts: int, detectable: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"kind": "silence", "ms": 300}]
    for i in range(bursts):
        out += [{"kind": "ringback", "ms": 2000, "label": "ringback", "detectable": detectable},
                {"kind": "silence", "ms": 4000 if i < bursts - 1 else 800}]
    return out


@dataclass
class FarEnd:
    number: str
    kind: str  # person | machine | nobody
    media: list[dict[str, Any]]


def far_ends(count: int, seed: int, base: int, max_bursts: int = 5) -> list[FarEnd]:
    """The mix: each far end an attendant, then ringback, then a person, a machine or nobody."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        pauses = rng.random() < 0.75
        greeting: list[dict[str, Any]] = [{"kind": "silence", "ms": 200}]
        if pauses:
            greeting += [{"kind": "speech", "ms": rng.randint(900, 2000), "label": "greeting"},
                         {"kind": "silence", "ms": rng.choice([200, 280, 340])},
                         {"kind": "speech", "ms": rng.randint(800, 1600), "label": "greeting"}]
        else:
            # Speech over a music bed that never falls silent, longer than the listen timeout.
            greeting += [{"kind": "noise", "ms": rng.randint(11_000, 14_000),
                          "label": "greeting"}]
        greeting.append({"kind": "await_digits", "digits": len(EXTENSION), "ms": 15_000})
        kind = KINDS[i % len(KINDS)]
        bursts = 5 if kind == "nobody" else rng.randint(0, max_bursts)
        media = greeting + _ringback(bursts, rng.random() > 0.15)
        if kind == "person":
            media += [{"kind": "speech", "ms": rng.randint(500, 1700), "label": "hello"},
                      {"kind": "silence", "ms": 30_000}]
        elif kind == "machine":
            media += [{"kind": "speech", "ms": rng.randint(3000, 5000), "label": "voicemail"},
                      {"kind": "silence", "ms": 300}, {"kind": "beep", "ms": 500, "label": "beep"},
                      {"kind": "silence", "ms": 30_000}]
        else:
            media += [{"kind": "silence", "ms": 60_000}]
        out.append(FarEnd(f"+1415{base + i * 10:07d}", kind, media))
    return out


@dataclass
class Call:
    far: FarEnd
    plan: str
    attempt_id: int
    uuid: str
    answered: float = 0.0
    bridged: float = 0.0
    hello_at: float = 0.0
    heard: str = ""
    tone: bool = False
    tone_at: float = 0.0
    listen_began: float = 0.0
    beep: bool = False
    listens: list[str] = field(default_factory=list)


class Bench:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.cluster = Cluster(nodes=1, password="ClueCon", esl_port=0, heartbeat_interval=60.0,
                               sweep_interval=60.0, sps=1000, max_sessions=5000).start()
        self.node = self.cluster.node("fs1")
        port = self.cluster.ports["fs1"]
        config = NodeConfig(name="fs1", host="127.0.0.1", port=port, password="ClueCon")
        self.cmd = ESLConnection.for_node(config).connect()
        self.events = ESLConnection.for_node(config).connect()
        self.events.subscribe(["CHANNEL_ANSWER", "CHANNEL_BRIDGE", "CHANNEL_EXECUTE_COMPLETE",
                               "CHANNEL_PARK", "DETECTED_TONE"], ["avmd::beep"])
        self.calls: dict[str, Call] = {}
        self.by_attempt: dict[int, Call] = {}
        self.lock = threading.Lock()
        self.free_agents: list[str] = []
        self.session_agents: list[str] = []
        self.sessions: dict[str, str] = {}  # agent -> parked leg uuid
        self.stop = threading.Event()
        self.rng = random.Random(7)
        self.next_attempt = 1

    def close(self) -> None:
        self.stop.set()
        self.cmd.close()
        self.events.close()
        self.cluster.stop()

    # -- agents ------------------------------------------------------------------------------

    def register_agents(self, count: int) -> None:
        for i in range(count):
            user = f"{7000 + i}"
            self.node.register_agent(user=user, domain=DOMAIN, transport="tcp",
                                     answer_ms=self.rng.randint(300, 1500))
            self.free_agents.append(user)

    def open_sessions(self, count: int) -> None:
        """Each ready agent's phone called once and parked (captures 49-53)."""
        self.session_agents, self.free_agents = (self.free_agents[:count],
                                                 self.free_agents[count:])
        for user in self.session_agents:
            leg = str(uuid.uuid4())
            self.cmd.bgapi(f"originate {{origination_uuid={leg},park_after_bridge=true,"
                           f"media_timeout=4000}}user/{user}@{DOMAIN} &park()")
            self.sessions[user] = leg
        time.sleep(2.0)  # every phone answers within 1.5 s

    # -- calls -------------------------------------------------------------------------------

    def dial(self, far: FarEnd, plan: str) -> None:
        attempt_id = self.next_attempt
        self.next_attempt += 1
        call_uuid = str(uuid.uuid4())
        mode = Mode.TARGET_FIRST if plan in ("blind", "attendant") else Mode.AGENT_AT_HELLO
        agent = ""
        if mode is Mode.TARGET_FIRST:
            with self.lock:
                agent = self.free_agents.pop(0)
        request = OriginateRequest(
            mode=mode, attempt_id=attempt_id, call_uuid=call_uuid, gateway="carrier1",
            number=far.number, agent_user=agent, agent_domain=DOMAIN if agent else "",
            timeout_s=30, extension=EXTENSION, settle_ms=1000, tone_ms=100,
            connect_plan="blind" if plan == "blind" else "attendant",
            listening=Listening(silence_ms=600), thresholds=THRESHOLDS,
            agent_timeout_s=15,
        )
        call = Call(far, plan, attempt_id, call_uuid)
        with self.lock:
            self.calls[call_uuid] = call
            self.by_attempt[attempt_id] = call
        self.cmd.bgapi(render_originate(request))

    def pump(self) -> None:
        while not self.stop.is_set():
            try:
                event = self.events.read_event(0.2)
            except Exception:
                return
            if event is not None:
                self.on_event(event)

    def on_event(self, event: Any) -> None:
        name = event.name
        if name == "DETECTED_TONE":
            attempt = attempt_of_ringback_key(event.get("Detected-Tone") or "")
            call = self.by_attempt.get(attempt or 0)
            if call is not None:
                call.tone, call.tone_at = True, time.time()
            return
        call = self.calls.get(event.get("Unique-ID") or "")
        if call is None:
            return
        now = time.time()
        if name == "CHANNEL_ANSWER":
            call.answered = now
        elif name == "CHANNEL_BRIDGE":
            call.bridged = call.bridged or now
        elif name == "CUSTOM":
            call.beep = True
        elif (name == "CHANNEL_EXECUTE_COMPLETE" and event.get("Application") == "wait_for_silence"
              and event.get(f"variable_{LISTEN_VARIABLE}") and not call.heard):
            hits = int(event.get("variable_wait_for_silence_listenhits") or 0)
            timed_out = event.get("variable_wait_for_silence_timeout") == "true"
            heard = classify_listen(hits, timed_out, tone_heard=call.tone,
                                    ringing_seen=Heard.RINGBACK in call.listens, beep=call.beep,
                                    thresholds=THRESHOLDS,
                                    tone_during=call.listen_began <= call.tone_at <= now)
            call.listen_began = now
            call.listens.append(heard)
            if heard in (Heard.PERSON, Heard.MACHINE):
                call.heard = heard
                self.act(call, heard, now)
        elif (name == "CHANNEL_PARK" and event.get(f"variable_{LISTEN_VARIABLE}")
              and not call.heard):
            call.heard = "no_person"
            self.cmd.api(f"uuid_kill {call.uuid}")

    def act(self, call: Call, heard: str, now: float) -> None:
        if heard == Heard.MACHINE:
            self.cmd.api(f"uuid_kill {call.uuid}")
            return
        call.hello_at = now
        pool = self.session_agents if call.plan == "hello_sessions" else self.free_agents
        with self.lock:
            agent = pool.pop(0) if pool else ""
        if not agent:
            return
        if call.plan == "hello_sessions":
            self.cmd.api(f"uuid_bridge {call.uuid} {self.sessions[agent]}")
        else:
            self.cmd.api(render_hello_transfer(call.uuid, agent, DOMAIN, 2,
                                               "tone:200/200/480x1"))

    # -- one round ---------------------------------------------------------------------------

    def round(self, plans: list[str], mix: list[FarEnd], wait_s: float) -> None:
        """Every plan dials the same mix at once (each on its own copy of the numbers)."""
        for plan in plans:
            for far in mix:
                self.dial(FarEnd(f"{far.number[:-1]}{plans.index(plan)}", far.kind, far.media),
                          plan)
        deadline = time.time() + wait_s
        while time.time() < deadline:
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small mix (the suite's run)")
    args = parser.parse_args()
    count = 10 if args.quick else 40
    # Quick: at most 2 bursts of ringback (12 s), so that one 36 s round ends every call.
    mix = far_ends(count, seed=18, base=1_000_000, max_bursts=2 if args.quick else 5)
    bench = Bench(args.quick)
    for far in mix:
        for i in range(4):
            bench.node.set_outcome(pattern=f"{far.number[:-1]}{i}", answer_ms=200,
                                   ring_ms=None, media=far.media)
    pump = threading.Thread(target=bench.pump, daemon=True)
    pump.start()
    try:
        bench.register_agents(count * 4 + 4)
        bench.open_sessions(count)
        say(f"dialling {count} far ends under 4 plans at once")
        bench.round(["blind", "attendant", "hello_ring", "hello_sessions"], mix,
                    36.0 if args.quick else 60.0)
        report(bench)
    finally:
        bench.close()


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(bench: Bench) -> None:
    by_plan: dict[str, list[Call]] = defaultdict(list)
    for call in bench.calls.values():
        by_plan[call.plan].append(call)
    logs = {c.uuid: bench.node.media(uuid=c.uuid) for c in bench.calls.values()}

    def over_greeting(calls: list[Call]) -> float:
        hit = sum(1 for c in calls if any(d["over"] == "greeting" for d in logs[c.uuid]["digits"]))
        return _pct(hit, len(calls))

    def pausing(calls: list[Call]) -> list[Call]:
        return [c for c in calls if not any(s["kind"] == "noise" for s in c.far.media)]

    def hello_start(call: Call) -> float | None:
        for span in logs[call.uuid]["timeline"]:
            if span["label"] == "hello":
                return float(span["start"])
        return None

    def before_person(calls: list[Call]) -> float:
        waits = []
        for call in calls:
            start = hello_start(call)
            if call.far.kind == "person" and call.bridged and start is not None:
                waits.append(max(0.0, start - call.bridged))
        return round(sum(waits) / len(waits), 2) if waits else 0.0

    def hello_to_agent(calls: list[Call]) -> list[float]:
        return [(c.bridged - c.hello_at) * 1000 for c in calls if c.hello_at and c.bridged]

    hello_calls = by_plan["hello_ring"] + by_plan["hello_sessions"]
    machines = [c for c in hello_calls if c.far.kind == "machine"]
    people = [c for c in hello_calls if c.far.kind == "person"]
    sessions = hello_to_agent(by_plan["hello_sessions"])
    ring = hello_to_agent(by_plan["hello_ring"])
    print(f"digits_over_greeting_pct_blind: {over_greeting(by_plan['blind'])} %")
    print(f"digits_over_greeting_pct_attendant: {over_greeting(by_plan['attendant'])} %")
    print("digits_over_greeting_pct_attendant_pausing: "
          f"{over_greeting(pausing(by_plan['attendant']))} %")
    print(f"agent_seconds_before_person_blind: {before_person(by_plan['blind'])} s")
    print(f"agent_seconds_before_person_hello: {before_person(hello_calls)} s")
    print(f"hello_to_agent_p50_ms: {round(_quantile(sessions, 0.5))} ms")
    print(f"hello_to_agent_p95_ms: {round(_quantile(sessions, 0.95))} ms")
    print(f"hello_to_agent_p50_ms_ring_on_demand: {round(_quantile(ring, 0.5))} ms")
    print(f"hello_to_agent_p95_ms_ring_on_demand: {round(_quantile(ring, 0.95))} ms")
    print(f"machine_detected_pct: "
          f"{_pct(sum(1 for c in machines if c.heard == Heard.MACHINE), len(machines))} %")
    print(f"person_called_machine_pct: "
          f"{_pct(sum(1 for c in people if c.heard == Heard.MACHINE), len(people))} %")
    for call in people:
        if call.heard == Heard.MACHINE:
            say(f"a person judged a machine: {call.plan} {call.far.number} heard {call.listens}")
    say(f"people {len(people)}, machines {len(machines)}, "
        f"nobody {sum(1 for c in hello_calls if c.far.kind == 'nobody')}")


if __name__ == "__main__":
    main()
