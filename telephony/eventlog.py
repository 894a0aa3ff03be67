"""Where each node's events stand in the `{prefix}:events` stream: appended, and applied.

Two small records per node, instead of one de-duplication key per event (about 50 million keys a
day at 30 calls a second):

- `{prefix}:events:appended` (a hash, node -> stream id): the last entry a listener appended for
  the node, written by the same script as the XADD, so the two never disagree.
- `{prefix}:events:applied:{node}` (a hash): the high-water mark of the results consumer for the
  node: `core` and `seq` (the last Core-UUID and Event-Sequence it applied, for de-duplication)
  and `id` (the last stream entry of the node it finished with, applied or skipped).

FreeSWITCH numbers a core's events in order and one connection delivers them in order, so an
event whose Event-Sequence is at or below the mark of the same Core-UUID was applied already: a
listener failover appended it twice. A new Core-UUID (the node restarted) starts a new mark.
The trade-off: an old owner that appends a batch late, after a standby's later events were
applied, has that batch skipped; the standby appended the same events unless they came before it
connected, and reconcile and the CDRs settle what is missing (the writes are idempotent, so the
opposite error, applying twice, would change nothing).

A node is *behind* while its appended id is past its applied id: the stream still holds entries
of that node the consumer has not finished (pending after a failure, or not read yet). Reconcile
does not settle that node's calls then: their events are on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# XADD one entry and note its id as the node's last appended, atomically.
# KEYS: stream appended_hash; ARGV: node maxlen field value [field value ...]
_APPEND = r"""
local args = {'MAXLEN', '~', ARGV[2], '*'}
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[1], unpack(args))
redis.call('HSET', KEYS[2], ARGV[1], id)
return id
"""

# Move a node's applied mark forward (never back: an entry claimed from a dead consumer may be
# older than what was applied since). KEYS: applied_hash; ARGV: id core seq ("" core: id only)
_MARK = r"""
local function older(a, b)
  local am, as_ = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as_, bm, bs = tonumber(am), tonumber(as_), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as_ <= bs)
end
local cur = redis.call('HMGET', KEYS[1], 'id', 'core', 'seq')
if not cur[1] or not older(ARGV[1], cur[1]) then
  redis.call('HSET', KEYS[1], 'id', ARGV[1])
end
if ARGV[2] ~= '' then
  if cur[2] ~= ARGV[2] or tonumber(ARGV[3]) > tonumber(cur[3] or '0') then
    redis.call('HSET', KEYS[1], 'core', ARGV[2], 'seq', ARGV[3])
  end
end
return 1
"""


@dataclass(frozen=True)
class Mark:
    """A node's applied high-water mark."""

    core: str
    seq: int
    entry_id: str

    def covers(self, core: str, seq: int) -> bool:
        """True when the event (core, seq) was applied already."""
        return bool(core) and core == self.core and 0 < seq <= self.seq


def parse_id(entry_id: str) -> tuple[int, int]:
    """A stream id `ms-seq` as a comparable pair ((0, 0) for none)."""
    ms, _, seq = entry_id.partition("-")
    return (int(ms), int(seq or 0)) if ms.isdigit() else (0, 0)


class EventLog:
    """The appended and applied positions of each node in one prefix's events stream."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.stream = f"{prefix}:events"
        self.appended_key = f"{prefix}:events:appended"
        self._append = client.register_script(_APPEND)
        self._mark = client.register_script(_MARK)

    def applied_key(self, node: str) -> str:
        return f"{self.prefix}:events:applied:{node}"

    def append(self, node: str, fields: dict[str, str], maxlen: int,
               client: Any = None) -> Any:
        """XADD `fields` and record it as `node`'s last appended entry (a pipeline may queue it)."""
        args: list[Any] = [node, maxlen]
        for name, value in fields.items():
            args += [name, value]
        return self._append(keys=[self.stream, self.appended_key], args=args,
                            client=client or self.client)

    def mark(self, node: str, entry_id: str, core: str = "", seq: int = 0,
             client: Any = None) -> Any:
        """The consumer finished `entry_id` of `node` (event `core`/`seq` applied, if given; a
        pipeline may queue it)."""
        return self._mark(keys=[self.applied_key(node)], args=[entry_id, core, seq],
                          client=client or self.client)

    def applied(self, node: str) -> Mark:
        """The node's applied mark (empty when nothing was applied yet)."""
        raw = self.client.hgetall(self.applied_key(node))
        data = {_s(k): _s(v) for k, v in raw.items()}
        seq = data.get("seq", "0")
        return Mark(data.get("core", ""), int(seq) if seq.isdigit() else 0, data.get("id", ""))

    def appended(self, node: str) -> str:
        """The id of the last entry appended for `node` ("" when none is known)."""
        value = self.client.hget(self.appended_key, node)
        return _s(value) if value is not None else ""

    def behind(self, node: str) -> bool:
        """True while the stream holds entries of `node` the consumer has not finished.

        An appended entry the stream no longer holds (trimmed at its length limit before it was
        read) is lost, not on the way: it does not count."""
        pipe = self.client.pipeline(transaction=False)
        pipe.hget(self.appended_key, node)
        pipe.hget(self.applied_key(node), "id")
        pipe.xrange(self.stream, "-", "+", count=1)
        appended_raw, applied_raw, first = pipe.execute()
        appended = parse_id(_s(appended_raw) if appended_raw is not None else "")
        applied = parse_id(_s(applied_raw) if applied_raw is not None else "")
        oldest = parse_id(_s(first[0][0])) if first else None
        if oldest is None or appended < oldest:
            return False
        return appended > applied


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
