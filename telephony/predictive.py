"""The predictive pacer: how many calls a campaign places now, from what it measured.

A pure function (`decide`) of a snapshot (`PacerInputs`) and the clock inside it: the
dispatcher's tick calls it once a second with figures read from the database and presence, and
`bench/predictive.py` calls the same code in a simulated floor, so a figure of the simulation
is a figure of the product.

The model (late binding: no agent is reserved before a person says hello):

1. Every call placed now reaches a person with probability `p` (persons / resolved attempts
   over the measurement horizon) after a dial-to-person time whose median `H` is measured. A
   call already in flight for `a` seconds reaches a person with the conditional probability
   p S_p(a) / (p S_p(a) + (1 - p) S_f(a)), S being the measured survival of person and
   non-person delays: an old call that has not yet resolved is likely to be a failure.
2. An agent is free for it when free by H + 2 s (the 2-second rule): idle agents surely, agents in
   wrap-up when their wrap ends by then, agents talking with the measured conditional
   probability that their call (talk, then wrap) is over by then.
3. Persons X (waiting now, plus those from calls in flight and new calls) and free agents F are
   sums of independent Bernoullis; D = X - F is taken as normal (continuity-corrected) and the
   expected abandons are E[max(0, D)] = s phi(m/s) + m Phi(m/s).
4. The pacer places the largest number of calls whose expected abandons stay within the target
   share of expected persons, and within half of the abandon slack left in the window.

The ceiling is never crossed by choice: the slack is ceiling x answered - abandoned over the
campaign's regulatory window (US: 30 days per campaign; UK: 24 hours, AMD false positives
counted as abandons). With less than two abandons of slack (MIN_SLACK), and at a cold start
(too few resolved attempts to measure), the pacer is progressive: calls in flight never exceed
agents free now, so every person finds an agent. Near the ceiling the target shrinks in
proportion to the slack, so throughput goes first.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class DialMode(StrEnum):
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"
    RATIO = "ratio"


class AbandonFormula(StrEnum):
    US_30D = "us_30d"  # FTC TSR / FCC: per campaign, each successive 30 days
    UK_24H = "uk_24h"  # Ofcom: per campaign per 24 hours, AMD false positives counted


WINDOW_SECONDS: Final = {AbandonFormula.US_30D: 30 * 86400, AbandonFormula.UK_24H: 86400}
ABANDON_AFTER_S: Final = 2.0  # regulators: a person with no agent within 2 s is abandoned
DEFAULT_CEILING: Final = 0.03
MIN_RESOLVED: Final = 30  # resolved attempts before the pacer trusts its measured rates
MIN_PERSONS: Final = 5  # persons reached before it trusts the dial-to-person times
MIN_TALKS: Final = 20  # completed talks before it predicts when agents come free
# Over-dial only while the window could take this many more abandons without crossing: calls
# already in flight may abandon together, more so on a small floor.
MIN_SLACK: Final = 2.0
BURST_SHARE: Final = 0.25  # of the worst-case abandons the window's slack must hold
GOAL_SHARE: Final = 0.85  # the window's rate at which over-dialling stops altogether
MAX_CALIBRATION: Final = 2.0
RECENT_MIN_PERSONS: Final = 50  # persons before the recent abandon share corrects the model
MAX_LEVEL: Final = 20.0  # calls in flight per free agent, at most (low live rates need over 10)


@dataclass(frozen=True, slots=True)
class PacerSettings:
    """A campaign's pacing choices."""

    mode: DialMode = DialMode.PROGRESSIVE
    ceiling: float = DEFAULT_CEILING  # abandoned / live answered, over the window
    formula: AbandonFormula = AbandonFormula.US_30D
    ratio: float = 1.0  # RATIO: calls in flight per available agent
    target_share: float = 0.5  # aim at this share of the ceiling per call placed
    max_level: float = MAX_LEVEL


@dataclass(frozen=True, slots=True)
class Agent:
    """One logged-in, available agent, as the pacer sees it (times are epoch seconds).

    `free_at`: when the agent is free for sure (now or earlier = idle; the end of wrap-up).
    `talking_since`: set while on a call whose end is unknown (then `free_at` is ignored).
    """

    free_at: float = 0.0
    talking_since: float | None = None


@dataclass(frozen=True, slots=True)
class Measured:
    """What the campaign measured over its recent horizon (samples in seconds)."""

    resolved: int = 0  # attempts resolved (a person, or not)
    persons: int = 0  # of which reached a person
    person_delays: Sequence[float] = ()  # dial -> hello, sorted ascending
    failure_delays: Sequence[float] = ()  # dial -> resolved without a person, sorted
    talk: Sequence[float] = ()  # talk times, sorted
    wrap: float = 0.0  # mean wrap-up seconds
    recent_persons: int = 0  # persons among the resolved attempts
    recent_abandoned: int = 0  # of which abandoned (no agent within 2 s)


@dataclass(frozen=True, slots=True)
class Window:
    """The regulatory window so far, counted under the campaign's formula."""

    answered: int = 0  # live persons answered (the denominator; UK: plus AMD false positives)
    abandoned: float = 0.0  # abandoned (UK: plus the AMD false-positive estimate)

    @property
    def rate(self) -> float | None:
        return self.abandoned / self.answered if self.answered else None


@dataclass(frozen=True, slots=True)
class PacerInputs:
    now: float
    settings: PacerSettings
    agents: Sequence[Agent]  # logged in and available (not paused)
    in_flight: Sequence[float] = ()  # dial times of calls not yet resolved
    waiting: int = 0  # persons answered, no agent yet
    measured: Measured = field(default_factory=Measured)
    window: Window = field(default_factory=Window)


@dataclass(frozen=True, slots=True)
class Decision:
    calls: int  # to place now
    level: float | None  # (in flight + calls) / agents free now; None without a free agent
    reason: str  # why the level is what it is, for the floor's card
    expected_abandon_share: float = 0.0  # of the persons expected from calls in flight
    slack: float = 0.0  # abandons the window can still take without crossing the ceiling


def window_seconds(formula: AbandonFormula) -> int:
    return WINDOW_SECONDS[formula]


def abandon_rate(formula: AbandonFormula, live: int, abandoned: int,
                 amd_false_positives: float = 0.0) -> float | None:
    """Abandoned over live answered: US as is; UK with AMD false positives as abandons of persons.

    `live` counts persons reached (connected or abandoned); an AMD false positive was a person
    the machine detector hung up on, so the UK formula adds it to both sides.
    """
    if formula is AbandonFormula.UK_24H:
        denominator = live + amd_false_positives
        return (abandoned + amd_false_positives) / denominator if denominator else None
    return abandoned / live if live else None


def ofcom_no_amd_rate(drops: int, agent_handled: int, agent_machines: int) -> float | None:
    """Ofcom's rate without AMD: drops reduced by the share of machines agents observed.

    am = machines / (handled + machines); drops' = drops (1 - am); rate = drops' / (handled +
    drops'). VICIdial's worked example: 29 drops, 9 live, 7 machines -> 64.44 %.
    """
    seen = agent_handled + agent_machines
    share = agent_machines / seen if seen else 0.0
    drops_live = drops * (1 - share)
    total = agent_handled + drops_live
    return drops_live / total if total else None


def _survival(sorted_samples: Sequence[float], t: float) -> float:
    """Share of samples greater than t (1.0 with no samples)."""
    n = len(sorted_samples)
    if not n:
        return 1.0
    return (n - bisect.bisect_right(sorted_samples, t)) / n


def _quantile(sorted_samples: Sequence[float], q: float) -> float:
    return sorted_samples[min(len(sorted_samples) - 1, int(q * len(sorted_samples)))]


class Survival:
    """Kaplan-Meier survival of talk times: completed talks, and calls still talking (censored).

    Completed talks alone are biased short early in a shift (the long calls have not ended
    yet); counting the calls in progress as "at least this long" removes that bias.
    """

    def __init__(self, completed: Sequence[float], censored: Sequence[float]) -> None:
        marks = sorted([(t, 1) for t in completed] + [(t, 0) for t in censored])
        self.times: list[float] = []
        self.values: list[float] = []
        at_risk, survival, i = len(marks), 1.0, 0
        while i < len(marks):
            t, deaths, seen = marks[i][0], 0, 0
            while i < len(marks) and marks[i][0] == t:
                deaths += marks[i][1]
                seen += 1
                i += 1
            if deaths and at_risk:
                survival *= 1 - deaths / at_risk
                self.times.append(t)
                self.values.append(survival)
            at_risk -= seen

    def __call__(self, t: float) -> float:
        """P(talk > t)."""
        index = bisect.bisect_right(self.times, t)
        return self.values[index - 1] if index else 1.0


def free_probability(agent: Agent, now: float, by: float, talk: Survival, wrap: float) -> float:
    """Probability that the agent is free by `by` (seconds from now)."""
    if agent.talking_since is None:
        return 1.0 if agent.free_at <= now + by else 0.0
    elapsed = max(0.0, now - agent.talking_since)
    budget = by - wrap  # the talk must end this soon for the wrap-up to end in time
    if budget <= 0 or not talk.times:
        return 0.0
    alive = talk(elapsed)
    if alive <= 0:
        return 1.0  # talking longer than any sample: about to end
    return max(0.0, 1.0 - talk(elapsed + budget) / alive)


def person_probability(p: float, age: float, persons: Sequence[float],
                       failures: Sequence[float]) -> float:
    """Probability that a call in flight for `age` seconds still reaches a person."""
    alive_p = p * _survival(persons, age)
    alive_f = (1 - p) * _survival(failures, age)
    total = alive_p + alive_f
    return alive_p / total if total > 0 else 0.0


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _big_phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def expected_excess(mean: float, variance: float) -> float:
    """E[max(0, D)] for D normal with this mean and variance (a point mass when variance is 0)."""
    if variance <= 1e-12:
        return max(0.0, mean)
    s = math.sqrt(variance)
    return s * _phi(mean / s) + mean * _big_phi(mean / s)


def _target(s: PacerSettings, w: Window, m: Measured, slack: float) -> float:
    """The share of persons the pacer may expect to abandon, corrected by what happened.

    1. Start from target_share x ceiling, shrunk when the slack is small (throughput goes
       first near the ceiling).
    2. The model errs: scale the target by target / the recent measured abandon share (at
       most MAX_CALIBRATION): down when abandons ran above it, up when they ran below.
    3. As the window's own rate climbs from the target to GOAL_SHARE x ceiling, shrink the
       target linearly to zero: at zero only progressive calls fit, which abandon nobody, so
       the window's rate levels off below the ceiling.
    """
    target = s.ceiling * s.target_share * min(1.0, slack / 10.0)
    if target <= 0:
        return 0.0
    # Calibrate by what happened, both ways: the model errs high on small floors (abandons come
    # in whole persons) and low at low live rates. Never above twice the target. No abandon yet
    # is no evidence (the pacer may just have left its cold start).
    if m.recent_persons >= RECENT_MIN_PERSONS and m.recent_abandoned:
        target *= min(MAX_CALIBRATION, target / (m.recent_abandoned / m.recent_persons))
    goal = s.ceiling * GOAL_SHARE
    rate = w.rate or 0.0
    base = s.ceiling * s.target_share
    if rate > base:
        target *= max(0.0, (goal - rate) / (goal - base)) if goal > base else 0.0
    return target


def _progressive(inputs: PacerInputs, free_now: int, reason: str, slack: float) -> Decision:
    """One call per agent free now, counting calls in flight and persons waiting."""
    calls = max(0, free_now - len(inputs.in_flight) - inputs.waiting)
    level = (len(inputs.in_flight) + calls) / free_now if free_now else None
    return Decision(calls, level, reason, 0.0, slack)


def decide(inputs: PacerInputs) -> Decision:
    """How many calls to place now (see the module docstring for the model)."""
    s, now, m, w = inputs.settings, inputs.now, inputs.measured, inputs.window
    free_now = sum(1 for a in inputs.agents if a.talking_since is None and a.free_at <= now)
    slack = s.ceiling * w.answered - w.abandoned
    if s.mode is DialMode.PROGRESSIVE:
        return _progressive(inputs, free_now, "progressive: one call per free agent", slack)
    if not inputs.agents:
        return Decision(0, None, "no agent available", 0.0, slack)
    if slack < MIN_SLACK:
        rate = w.rate
        said = f"{rate:.2%}" if rate is not None else "none yet"
        return _progressive(inputs, free_now, f"abandon slack below {MIN_SLACK:g} calls (window "
                            f"rate {said}, ceiling {s.ceiling:.1%}, {w.answered} answered): "
                            "progressive", slack)
    if s.mode is DialMode.RATIO:
        goal = math.floor(s.ratio * free_now + 1e-9)
        calls = max(0, goal - len(inputs.in_flight) - inputs.waiting)
        level = (len(inputs.in_flight) + calls) / free_now if free_now else None
        return Decision(calls, level, f"fixed ratio {s.ratio:g} per free agent", 0.0, slack)
    # The first talks to end are the short ones: until about one per agent has ended, their
    # times say little about when the others will (a floor that started together ends together).
    if (m.resolved < MIN_RESOLVED or m.persons < MIN_PERSONS
            or len(m.talk) < max(MIN_TALKS, len(inputs.agents))):
        return _progressive(inputs, free_now, f"cold start ({m.resolved} resolved attempts, "
                            f"{m.persons} persons measured): progressive", slack)

    p = m.persons / m.resolved
    horizon = _quantile(m.person_delays, 0.5) if m.person_delays else 0.0
    # Checkpoints: by each, the persons arrived so far must find agents free 2 s later; persons
    # from calls placed now arrive after the measured dial-to-person times.
    last = _quantile(m.person_delays, 0.9) if m.person_delays else 0.0
    checkpoints = [t for t in range(2, int(last) + 3, 3)] or [2]
    ages = [max(0.0, now - dialled) for dialled in inputs.in_flight]
    alive = [p * _survival(m.person_delays, a) + (1 - p) * _survival(m.failure_delays, a)
             for a in ages]
    talk = Survival(m.talk, [now - a.talking_since for a in inputs.agents
                             if a.talking_since is not None])
    points = []
    for t in checkpoints:
        mean_x, var_x = float(inputs.waiting), 0.0
        for age, total in zip(ages, alive, strict=True):
            if total <= 0:
                continue
            q = p * (_survival(m.person_delays, age) - _survival(m.person_delays, age + t)) / total
            mean_x += q
            var_x += q * (1 - q)
        mean_f = var_f = 0.0
        for agent in inputs.agents:
            q = free_probability(agent, now, t + ABANDON_AFTER_S, talk, m.wrap)
            mean_f += q
            var_f += q * (1 - q)
        new = p * (1 - _survival(m.person_delays, t))  # a call placed now, a person by t
        points.append((mean_x, var_x + var_f, mean_f, new))
    persons_in_flight = inputs.waiting + sum(
        p * _survival(m.person_delays, a) / total for a, total in zip(ages, alive, strict=True)
        if total > 0)
    # Agents free by the horizon whatever the talk times do: idle, or wrap-up ending by then.
    sure = sum(1 for a in inputs.agents
               if a.talking_since is None and a.free_at <= now + horizon + ABANDON_AFTER_S)
    target = _target(s, w, m, slack)
    cap_calls = max(0, math.floor(s.max_level * max(free_now, 1)) - len(inputs.in_flight))

    def excess(n: int, shift: float = -0.5) -> tuple[float, float]:
        """Expected abandons (the most at any checkpoint) and persons, with n calls placed now.

        Abandons come in whole persons: E[max(0, D)] for an integer D is about E[max(0, N -
        0.5)] (shift -0.5, the best estimate); the compliance guard uses +0.5 (pessimistic).
        """
        lost = max(expected_excess(mx + n * q - mf + shift, v + n * q * (1 - q))
                   for mx, v, mf, q in points)
        return lost, persons_in_flight + n * p

    def fits(n: int) -> bool:
        lost, persons = excess(n)
        if lost > target * max(persons, 1.0):
            return False
        # The window's slack must hold the pessimistic expected abandons with a margin for
        # their spread; the model errs low by up to about half (the simulation): count double.
        safe, _ = excess(n, 0.5)
        if 2 * safe + 2 * math.sqrt(safe) > slack - MIN_SLACK:
            return False
        # And a share of the worst case, no talking agent freeing in time, so that a burst from
        # a model gone wrong (a floor that started together, a sudden change) stays inside it.
        return BURST_SHARE * max(0.0, persons - sure) <= slack - MIN_SLACK

    low, high = 0, cap_calls
    if not fits(0):
        high = 0
    while low < high:  # the largest n that fits; fits() is monotone in n
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    mean_f = points[-1][2]
    floor_calls = max(0, free_now - len(inputs.in_flight) - inputs.waiting)
    calls = max(low, floor_calls)
    lost, persons = excess(calls)
    level = (len(inputs.in_flight) + calls) / free_now if free_now else None
    share = lost / persons if persons else 0.0
    if calls == cap_calls and calls > floor_calls:
        why = f"capped at {s.max_level:g} calls per free agent"
    elif calls == floor_calls and low < floor_calls:
        why = "model says wait: one call per free agent at most"
    else:
        why = (f"{p:.0%} of calls reach a person after {horizon:.0f} s; "
               f"{mean_f:.1f} agents free by then")
    why += (f"; expected abandons {share:.2%} of persons (target {target:.2%}, "
            f"window {(w.rate or 0):.2%} of {w.answered}, ceiling {s.ceiling:.1%})")
    return Decision(calls, level, why, share, slack)
