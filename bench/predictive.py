"""Floor simulation: progressive, predictive (the product's pacer) and VICIdial ADAPT_AVERAGE.

A discrete-event model of an outbound floor in compressed time (an 8-hour shift runs in
seconds), driving the product's own pacer (`telephony.predictive.decide`, the function the
dispatcher's tick calls) once a simulated second. No Django, no database: the pacer is pure.

The floor (every distribution stated; seeds fixed, so runs repeat):
- Calls go to business main lines. A call that reaches a person does so after the attendant's
  answer, the extension digits and the extension's ring: dial-to-hello ~ normal(18 s, 4 s),
  at least 8 s. Share of attempts reaching a person: 10 % or 40 % (the floor's parameter).
- A call that reaches no person resolves after: 30 % fast failures (busy, invalid) ~ uniform
  (2 s, 6 s); 70 % no answer or a voicemail ~ uniform(15 s, 35 s).
- AMD false positives: 1 % of persons are classified as machines and hung up on. The UK
  formula counts the estimate (1 % of persons detected / 0.99) as abandons, as the product does
  from the campaign's stated false-positive share; the US one does not see them.
- Talk ~ lognormal with mean 240 s (sigma 0.5 of the log); wrap-up = 10 s + exponential(5 s).
- A person with no agent within 2 s of the hello hears the abandon message: abandoned.
- Late binding: no agent is reserved before the hello (the `agent_at_hello` connect mode).

Modes: `progressive` (the pacer in progressive mode: calls in flight never exceed free agents),
`predictive` (the pacer, US 30-day and UK 24-hour formulas, ceiling 3 %), and `vicidial_adapt`
(VICIdial's ADAPT_AVERAGE re-implemented from its documented formula: every second it samples
ready agents and waiting calls; every 15 s, over the last 15 samples, level x= 1 + (avg ready -
avg waiting + diff_target 0) / avg agents, intensity 0, clipped to [1.0, 3.0]; the last minute
over 20 calls and 50 % dropped halves the level; today's drops over answers above 3 % (with more
than 50 calls) halves it; it places round(level x agents) - active calls).

Output, per floor `<agents>a_<live>pct` (stdout, `name: value unit`):
    talk_minutes_per_agent_hour_{progressive,predictive,vicidial_adapt}_<floor>: <v> min
    abandon_rate_pct_us30d_predictive_<floor>: <v> %    drops / persons (predictive, US formula)
    abandon_rate_pct_uk24h_predictive_<floor>: <v> %    (drops + AMD FP) / (persons + AMD FP)
    abandon_rate_pct_vicidial_adapt_<floor>: <v> %      drops / persons (US formula)
    max_window_abandon_pct_<floor>: <v> %               the highest running window rate seen at
                                                        any moment of either predictive run
    dial_level_mean_predictive_<floor>: <v> lines       calls in flight per free agent

`--quick`: a 1-hour shift (the suite runs it). The shift is shorter than either regulatory window,
so each window's running rate is the rate since the shift began, checked after every abandon.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import random
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telephony.predictive import (
    AbandonFormula,
    Agent,
    DialMode,
    Measured,
    PacerInputs,
    PacerSettings,
    Window,
    decide,
)

FLOORS = [(10, 0.10), (10, 0.40), (200, 0.10), (200, 0.40)]
PERSON_DELAY = (18.0, 4.0, 8.0)  # normal mean, sd, minimum
FAST_FAIL_SHARE, FAST_FAIL, SLOW_FAIL = 0.30, (2.0, 6.0), (15.0, 35.0)
AMD_FALSE_POSITIVE = 0.01
TALK_MEAN, TALK_SIGMA = 240.0, 0.5
WRAP_BASE, WRAP_EXP_MEAN = 10.0, 5.0
CEILING = 0.03
# The pacer's measurement horizon: the most recent resolved attempts, talks and persons.
MEASURE_RESOLVED, MEASURE_TALKS, MEASURE_RECENT = 600, 300, 300
SETTLE_SECONDS = 60.0  # every call has resolved this long after it was dialled


@dataclass
class Floor:
    """One simulated shift's state and counters."""

    agents: int
    live: float
    mode: str
    formula: AbandonFormula = AbandonFormula.US_30D
    seed: int = 1
    rng: random.Random = field(init=False)
    now: float = 0.0
    events: list[tuple[float, int, str, int]] = field(default_factory=list)
    seq: itertools.count[int] = field(default_factory=itertools.count)
    idle: set[int] = field(default_factory=set)
    talking: dict[int, float] = field(default_factory=dict)  # agent -> talk start
    wrapping: dict[int, float] = field(default_factory=dict)  # agent -> wrap end
    in_flight: dict[int, float] = field(default_factory=dict)  # call -> dial time
    waiting: deque[tuple[int, float]] = field(default_factory=deque)  # (call, hello time)
    persons: int = 0
    drops: int = 0
    amd_fp: int = 0
    talk_seconds: float = 0.0
    person_delays: deque[float] = field(default_factory=lambda: deque(maxlen=MEASURE_RESOLVED))
    failure_delays: deque[float] = field(default_factory=lambda: deque(maxlen=MEASURE_RESOLVED))
    # Calls in the order dialled, [dial time, reached a person]; once SETTLE_SECONDS old (all
    # resolved) they move to `settled`, the pacer's live-rate sample.
    dials: deque[list[float]] = field(default_factory=deque)
    records: dict[int, list[float]] = field(default_factory=dict)
    settled: deque[bool] = field(default_factory=lambda: deque(maxlen=MEASURE_RESOLVED))
    talks: deque[float] = field(default_factory=lambda: deque(maxlen=MEASURE_TALKS))
    recent: deque[bool] = field(default_factory=lambda: deque(maxlen=MEASURE_RECENT))
    max_rate: float = 0.0
    levels: list[float] = field(default_factory=list)
    # VICIdial's state.
    vici_level: float = 1.0
    samples: deque[tuple[int, int, int]] = field(default_factory=lambda: deque(maxlen=15))
    minute: deque[tuple[float, bool]] = field(default_factory=deque)  # (time, dropped)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.idle = set(range(self.agents))

    # -- events ---------------------------------------------------------------------------

    def push(self, at: float, kind: str, ref: int) -> None:
        heapq.heappush(self.events, (at, next(self.seq), kind, ref))

    def dial(self, call: int) -> None:
        self.in_flight[call] = self.now
        record = [self.now, 0.0]
        self.dials.append(record)
        self.records[call] = record
        if self.rng.random() < self.live:
            mean, sd, low = PERSON_DELAY
            self.push(self.now + max(low, self.rng.gauss(mean, sd)), "hello", call)
        elif self.rng.random() < FAST_FAIL_SHARE:
            self.push(self.now + self.rng.uniform(*FAST_FAIL), "fail", call)
        else:
            self.push(self.now + self.rng.uniform(*SLOW_FAIL), "fail", call)

    def hello(self, call: int) -> None:
        dialled = self.in_flight.pop(call)
        self.records.pop(call)[1] = 1.0
        self.person_delays.append(self.now - dialled)
        if self.rng.random() < AMD_FALSE_POSITIVE:
            self.amd_fp += 1  # hung up on as a machine: the UK formula counts the estimate
            return
        self.persons += 1
        if self.idle:
            self.connect(self.idle.pop())
        else:
            self.waiting.append((call, self.now))
            self.push(self.now + 2.0, "deadline", call)

    def fail(self, call: int) -> None:
        dialled = self.in_flight.pop(call)
        self.records.pop(call)
        self.failure_delays.append(self.now - dialled)

    def connect(self, agent: int) -> None:
        self.recent.append(False)
        talk = self.rng.lognormvariate(math.log(TALK_MEAN) - TALK_SIGMA ** 2 / 2, TALK_SIGMA)
        self.talking[agent] = self.now
        self.minute.append((self.now, False))
        self.push(self.now + talk, "hangup", agent)

    def hangup(self, agent: int) -> None:
        talk = self.now - self.talking.pop(agent)
        self.talk_seconds += talk
        self.talks.append(talk)
        end = self.now + WRAP_BASE + self.rng.expovariate(1 / WRAP_EXP_MEAN)
        self.wrapping[agent] = end
        self.push(end, "free", agent)

    def free(self, agent: int) -> None:
        del self.wrapping[agent]
        while self.waiting and self.waiting[0][1] + 2.0 < self.now:
            self.waiting.popleft()  # its deadline event has dropped it already
        if self.waiting:
            self.waiting.popleft()
            self.connect(agent)
        else:
            self.idle.add(agent)

    def deadline(self, call: int) -> None:
        for i, (waiting_call, _) in enumerate(self.waiting):
            if waiting_call == call:
                del self.waiting[i]
                self.drops += 1
                self.recent.append(True)
                self.minute.append((self.now, True))
                self.check_window()
                return

    def fp_estimate(self) -> float:
        """The AMD false positives the UK formula counts: the stated share, as an estimate."""
        return self.persons * AMD_FALSE_POSITIVE / (1 - AMD_FALSE_POSITIVE)

    def rates(self) -> tuple[float | None, float | None]:
        us = self.drops / self.persons if self.persons else None
        fp = self.fp_estimate()
        uk = (self.drops + fp) / (self.persons + fp) if self.persons else None
        return us, uk

    def check_window(self) -> None:
        us, uk = self.rates()
        rate = uk if self.formula is AbandonFormula.UK_24H else us
        if rate is not None:
            self.max_rate = max(self.max_rate, rate)

    # -- pacing ---------------------------------------------------------------------------

    def pace(self) -> int:
        if self.mode == "vicidial_adapt":
            return self.vicidial()
        settings = PacerSettings(
            mode=DialMode.PREDICTIVE if self.mode == "predictive" else DialMode.PROGRESSIVE,
            ceiling=CEILING, formula=self.formula)
        agents = [Agent(free_at=0.0) for _ in self.idle]
        agents += [Agent(talking_since=t) for t in self.talking.values()]
        agents += [Agent(free_at=t) for t in self.wrapping.values()]
        if self.formula is AbandonFormula.UK_24H:
            fp = self.fp_estimate()
            window = Window(round(self.persons + fp), self.drops + fp)
        else:
            window = Window(self.persons, self.drops)
        # The live rate from calls dialled long enough ago that all have resolved: counted by
        # resolution, a burst of fresh calls shows its fast failures first and hides its persons.
        while self.dials and self.dials[0][0] <= self.now - SETTLE_SECONDS:
            self.settled.append(self.dials.popleft()[1] > 0)
        measured = Measured(
            resolved=len(self.settled), persons=sum(self.settled),
            person_delays=sorted(self.person_delays), failure_delays=sorted(self.failure_delays),
            talk=sorted(self.talks), wrap=WRAP_BASE + WRAP_EXP_MEAN,
            recent_persons=len(self.recent), recent_abandoned=sum(self.recent))
        decision = decide(PacerInputs(
            now=self.now, settings=settings, agents=agents,
            in_flight=list(self.in_flight.values()), waiting=len(self.waiting),
            measured=measured, window=window))
        if decision.level is not None:
            self.levels.append(decision.level)
        return decision.calls

    def vicidial(self) -> int:
        """ADAPT_AVERAGE: sample each second, adapt every 15 s, place level x agents - active."""
        self.samples.append((len(self.idle), len(self.waiting), self.agents))
        second = int(self.now)
        if second % 15 == 0 and self.samples:
            n = len(self.samples)
            ready = sum(s[0] for s in self.samples) / n
            waiting = sum(s[1] for s in self.samples) / n
            agents = sum(s[2] for s in self.samples) / n
            mul = (ready - waiting + 0.0) / agents if agents else 0.0
            self.vici_level = min(3.0, max(1.0, self.vici_level * (1 + mul)))
            while self.minute and self.minute[0][0] < self.now - 60:
                self.minute.popleft()
            calls = len(self.minute)
            dropped = sum(1 for _, d in self.minute if d)
            if calls > 20 and dropped / calls > 0.5:
                self.vici_level = max(1.0, self.vici_level / 2)
            answers = self.persons
            if answers > 50 and self.drops / answers > CEILING:
                self.vici_level = max(1.0, self.vici_level / 2)  # ADAPT_AVERAGE
        active = len(self.in_flight) + len(self.waiting) + len(self.talking)
        return max(0, round(self.vici_level * self.agents) - active)

    # -- the shift ------------------------------------------------------------------------

    def run(self, shift: float) -> None:
        handlers = {"hello": self.hello, "fail": self.fail, "hangup": self.hangup,
                    "free": self.free, "deadline": self.deadline}
        calls = itertools.count()
        for second in range(int(shift)):
            while self.events and self.events[0][0] <= second:
                at, _, kind, ref = heapq.heappop(self.events)
                self.now = at
                handlers[kind](ref)
            self.now = float(second)
            for _ in range(self.pace()):
                self.dial(next(calls))
        # Calls still talking at the end count the talk done so far.
        self.talk_seconds += sum(shift - t for t in self.talking.values())

    def talk_minutes_per_agent_hour(self, shift: float) -> float:
        return self.talk_seconds / 60 / (self.agents * shift / 3600)


def simulate(agents: int, live: float, mode: str, shift: float,
             formula: AbandonFormula = AbandonFormula.US_30D, seed: int = 1) -> Floor:
    floor = Floor(agents, live, mode, formula, seed)
    floor.run(shift)
    return floor


def _pct(value: float | None) -> str:
    return "0.00" if value is None else f"{value * 100:.2f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 1-hour shift instead of 8")
    args = parser.parse_args(argv)
    shift = 3600.0 if args.quick else 8 * 3600.0
    print(f"# shift {shift / 3600:g} h; dial-to-hello normal{PERSON_DELAY[:2]} s min "
          f"{PERSON_DELAY[2]:g}; failures {FAST_FAIL_SHARE:.0%} U{FAST_FAIL} s else "
          f"U{SLOW_FAIL} s; AMD false positives {AMD_FALSE_POSITIVE:.0%}; talk lognormal mean "
          f"{TALK_MEAN:g} s sigma {TALK_SIGMA}; wrap {WRAP_BASE:g} s + exp({WRAP_EXP_MEAN:g} s); "
          f"ceiling {CEILING:.0%}", file=sys.stderr)
    for agents, live in FLOORS:
        name = f"{agents}a_{round(live * 100)}pct"
        started = time.monotonic()
        prog = simulate(agents, live, "progressive", shift)
        us = simulate(agents, live, "predictive", shift, AbandonFormula.US_30D)
        uk = simulate(agents, live, "predictive", shift, AbandonFormula.UK_24H)
        vici = simulate(agents, live, "vicidial_adapt", shift)
        print(f"talk_minutes_per_agent_hour_progressive_{name}: "
              f"{prog.talk_minutes_per_agent_hour(shift):.1f} min")
        print(f"talk_minutes_per_agent_hour_predictive_{name}: "
              f"{us.talk_minutes_per_agent_hour(shift):.1f} min")
        print(f"talk_minutes_per_agent_hour_predictive_uk_{name}: "
              f"{uk.talk_minutes_per_agent_hour(shift):.1f} min")
        print(f"talk_minutes_per_agent_hour_vicidial_adapt_{name}: "
              f"{vici.talk_minutes_per_agent_hour(shift):.1f} min")
        print(f"abandon_rate_pct_us30d_predictive_{name}: {_pct(us.rates()[0])} %")
        print(f"abandon_rate_pct_uk24h_predictive_{name}: {_pct(uk.rates()[1])} %")
        print(f"abandon_rate_pct_vicidial_adapt_{name}: {_pct(vici.rates()[0])} %")
        print(f"max_window_abandon_pct_{name}: {max(us.max_rate, uk.max_rate) * 100:.2f} %")
        mean_level = sum(us.levels) / len(us.levels) if us.levels else 0.0
        print(f"dial_level_mean_predictive_{name}: {mean_level:.2f} lines", flush=True)
        print(f"# {name}: {time.monotonic() - started:.1f} s wall", file=sys.stderr)


if __name__ == "__main__":
    main()
