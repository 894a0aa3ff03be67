"""Calls-per-second buckets and live-call sets in Redis, shared by every worker.

Buckets. Each scope (a trunk, a node, a campaign) is a GCRA token bucket: the state is one
number, the "theoretical arrival time" (TAT) of the next call, kept in integer microseconds so no
float rounding can let a call in early. A scope with rate R and burst B lets a call through when
its backlog plus the call fits in B emission intervals (1/R). With B = 1 calls are spaced at least
1/R apart, so no window of one second, aligned to any clock, holds more than R of them: that is
what FreeSWITCH's own per-second counter needs, since its second is not aligned to ours. A larger
burst trades that guarantee for burstiness (a window may then hold R + B - 1).

`take_tokens` takes n tokens from every scope at once or from none (one Lua script), so a call
never consumes trunk capacity it then cannot use on its node.

Live calls are SETs of call UUIDs per scope, not counters: adding or removing the same call
twice is harmless, and a reconcile can compare the members with the node's channel list.

Time is passed in (`now`, epoch seconds); nothing here reads the clock. Callers on one host share
a clock; across hosts, NTP skew shifts when a bucket refills but never lets it overfill, because a
call stamped earlier than the bucket's TAT is refused, not back-dated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

MICROS = 1_000_000

# KEYS: one bucket per scope. ARGV: n, now_us, then interval_us and burst for each key.
# Returns n when every bucket had room for n calls (and takes them), else 0 (and takes none).
_TAKE = """
local n = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local new_tat = tat + n * interval
  -- room for n more calls: the backlog after them stays within the burst
  if new_tat - now > burst * interval then
    return 0
  end
  tats[i] = new_tat
end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  -- the key outlives its backlog by a margin, then a full bucket is the same as no key
  local ttl_ms = math.floor((tats[i] - now) / 1000) + burst * math.ceil(interval / 1000) + 60000
  redis.call('SET', key, string.format('%d', tats[i]), 'PX', ttl_ms)
end
return n
"""


@dataclass(frozen=True, slots=True)
class Scope:
    """One rate limit: a bucket name, calls per second, and how many may go at once."""

    key: str
    rate: float
    burst: int = 1

    def __post_init__(self) -> None:
        if not self.key or any(c in self.key for c in " \r\n"):
            raise ValueError(f"invalid scope key {self.key!r}")
        if not self.rate > 0:
            raise ValueError(f"scope {self.key} needs a positive rate")
        if self.burst < 1:
            raise ValueError(f"scope {self.key} needs a burst of at least 1")

    @property
    def interval_us(self) -> int:
        """Microseconds between calls, rounded up so the rate is never exceeded."""
        return math.ceil(MICROS / self.rate)


ScopeLike = Scope | tuple[str, float, int]


def _scope(value: ScopeLike) -> Scope:
    return value if isinstance(value, Scope) else Scope(*value)


# FreeSWITCH counts every new session against sessions-per-second and max-sessions, and a
# connected call is two sessions: the leg we originate and the leg it bridges to (the agent in
# target_first, the callee in agent_first). Pacing to one session per call would let the bridge
# legs be refused with DESTINATION_OUT_OF_ORDER after the callee answered.
SESSIONS_PER_CALL = 2


def node_rate(sessions_per_second: int) -> float:
    """Calls per second to ask of a node: it admits only sps - 1 sessions a second (capture 20),
    and each call takes two."""
    return max(1, sessions_per_second - 1) / SESSIONS_PER_CALL


def node_call_capacity(max_sessions: int) -> int:
    """Concurrent calls a node can hold: two sessions each."""
    return max_sessions // SESSIONS_PER_CALL


def trunk_scope(trunk_id: int, cps: float) -> Scope:
    """The bucket of one carrier trunk."""
    return Scope(f"trunk:{trunk_id}", cps)


def node_scope(node: str, sessions_per_second: int) -> Scope:
    """The bucket of one FreeSWITCH node, capped below its sessions-per-second limit."""
    return Scope(f"node:{node}", node_rate(sessions_per_second))


def campaign_scope(campaign_id: int, cps: float) -> Scope:
    """The bucket of one campaign."""
    return Scope(f"campaign:{campaign_id}", cps)


def _fits(scope: Scope, value: Any, now: float, horizon: float) -> int:
    """How many calls a bucket in state `value` (its TAT) passes within `horizon` seconds."""
    now_us = int(now * MICROS)
    tat = max(int(value or 0), now_us)
    # The k-th next call (k = 0, 1, ...) may start at tat + (k - burst + 1) * interval;
    # count those that start before now + horizon.
    ahead = now_us + int(horizon * MICROS) - tat
    return max(0, -((-ahead) // scope.interval_us) + scope.burst - 1)  # ceil division


class Pacer:
    """Token buckets and live-call sets under one key prefix."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._take: Any = client.register_script(_TAKE)

    def _bucket(self, scope: Scope) -> str:
        return f"{self.prefix}:pace:{scope.key}"

    def _live(self, scope: str) -> str:
        return f"{self.prefix}:live:{scope}"

    # -- buckets ------------------------------------------------------------------------

    def take_tokens(self, scopes: Sequence[ScopeLike], n: int, now: float) -> int:
        """Take n tokens from every scope, or none; return n if granted, else 0."""
        if n < 1:
            raise ValueError("n must be at least 1")
        parsed = [_scope(s) for s in scopes]
        if not parsed:
            return n
        args: list[Any] = [n, int(now * MICROS)]
        for scope in parsed:
            args += [scope.interval_us, scope.burst]
        return int(self._take(keys=[self._bucket(s) for s in parsed], args=args))

    def available(self, scopes: Sequence[ScopeLike], now: float, horizon: float = 1.0) -> int:
        """How many calls every scope could pass within the next `horizon` seconds (read only)."""
        parsed = [_scope(s) for s in scopes]
        if not parsed:
            raise ValueError("at least one scope")
        raw = self.client.mget([self._bucket(s) for s in parsed])
        return min(_fits(scope, value, now, horizon)
                   for scope, value in zip(parsed, raw, strict=True))

    def counts_and_available(
        self, live: Sequence[str], buckets: Sequence[ScopeLike], now: float, horizon: float = 1.0
    ) -> tuple[dict[str, int], list[int]]:
        """`counts(live)` and `available()` of each bucket on its own, in one round trip."""
        parsed = [_scope(s) for s in buckets]
        pipe = self.client.pipeline(transaction=False)
        for scope in live:
            pipe.scard(self._live(scope))
        if parsed:
            pipe.mget([self._bucket(s) for s in parsed])
        replies = pipe.execute()
        counts = {scope: int(n) for scope, n in zip(live, replies, strict=False)}
        raw = replies[len(live)] if parsed else []
        return counts, [_fits(s, value, now, horizon) for s, value in zip(parsed, raw, strict=True)]

    # -- live-call sets -----------------------------------------------------------------

    def add_call(self, scopes: Iterable[str], uuid: str, client: Any = None) -> None:
        """Count the call as live in every scope (idempotent); pass a pipeline as client to
        batch (its caller then executes it)."""
        pipe = client if client is not None else self.client.pipeline(transaction=True)
        for scope in scopes:
            pipe.sadd(self._live(scope), uuid)
        if client is None:
            pipe.execute()

    def remove_call(self, scopes: Iterable[str], uuid: str) -> None:
        """The call ended: stop counting it anywhere (idempotent)."""
        pipe = self.client.pipeline(transaction=True)
        for scope in scopes:
            pipe.srem(self._live(scope), uuid)
        pipe.execute()

    def count(self, scope: str) -> int:
        """Live calls in one scope."""
        return int(self.client.scard(self._live(scope)))

    def counts(self, scopes: Sequence[str]) -> dict[str, int]:
        """Live calls in several scopes, in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for scope in scopes:
            pipe.scard(self._live(scope))
        return {scope: int(n) for scope, n in zip(scopes, pipe.execute(), strict=True)}

    # -- rebuilt markers ----------------------------------------------------------------
    # The live sets live only in Redis. After Redis lost its data they are empty while calls
    # are still up, so a node is dialled only once a reconcile has put its live calls back and
    # written this marker; a flush removes it with the sets (fail closed, as presence does for
    # an unknown agent).

    def _rebuilt(self, node: str) -> str:
        return f"{self.prefix}:live:rebuilt:{node}"

    def mark_rebuilt(self, node: str, now: float) -> None:
        """The node's live calls are in the sets (a reconcile compared them with its channels)."""
        self.client.set(self._rebuilt(node), repr(float(now)))

    def rebuilt(self, nodes: Sequence[str]) -> set[str]:
        """Those of `nodes` whose live calls were rebuilt since Redis last lost its data."""
        if not nodes:
            return set()
        raw = self.client.mget([self._rebuilt(n) for n in nodes])
        return {node for node, value in zip(nodes, raw, strict=True) if value is not None}

    def members(self, scope: str) -> set[str]:
        """The UUIDs of the live calls in one scope (for reconcile)."""
        return {m.decode() if isinstance(m, bytes) else str(m)
                for m in self.client.smembers(self._live(scope))}
