"""Dial: one call per claimed target, recorded, originated and retried on its own (DESIGN step 2).

For each target of a batch (`dial_batch`):

1. Compare-and-set the target queued -> dialing. A redelivered task finds it no longer queued
   and places no second call (the attempt row and its uuid already exist).
2. Re-check at the last moment: campaign still running, window open, number not on do-not-call.
3. Reserve an agent atomically in Redis on a node that is up and has capacity.
4. Take calls-per-second tokens for trunk, node and campaign at once (all or none).
5. Create the CallAttempt with a fresh uuid and commit it BEFORE `bgapi originate` (STYLE rule 6),
   then record the call in Redis (reservation token, live-call sets) for the results side.
6. Send `bgapi originate` with our Job-UUID on the node's persistent connection.

An ESL failure before the node accepted the command (refused, lost, timed out) is not a call
failure: we ask the node whether the channel exists (`uuid_exists`); if it surely does not, the
attempt ends as a node failure that does not count and the target is dialled again at once on
another healthy node. When the node cannot even be asked, the attempt stays open: the reconciler
ends it after its originate timeout if no channel shows up, so a call is never placed twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from django.db import connection
from django.db.models import Count, Exists, OuterRef

from campaigns.models import (
    Agent,
    CallAttempt,
    Campaign,
    CampaignMode,
    CampaignStatus,
    DoNotCall,
    Outcome,
    Target,
    TargetState,
)
from telephony.config import NodeConfig
from telephony.dialstring import DialstringError
from telephony.errors import AuthenticationError, ESLError
from telephony.originate import Mode, OriginateRequest, render_originate
from telephony.pacing import Scope, campaign_scope, node_scope, trunk_scope

log = logging.getLogger(__name__)

NO_AGENT_RETRY_SECONDS = 1.0  # no routable agent now: the tick offers the target again soon
PACED_RETRY_SECONDS = 0.5
TOKEN_WAIT_SECONDS = 1.0  # how long one dial waits for a CPS token before handing back
LEASE_MARGIN_SECONDS = 30.0  # reservation lease beyond originate timeout and settle delay
CALL_TTL_SECONDS = 86_400
STATUS_CACHE_SECONDS = 0.5  # node statuses change on connect/loss; a batch may reuse them briefly
# A pause takes effect within this long inside a running batch (and at once for the next batch).
CAMPAIGN_CACHE_SECONDS = 0.2


# --- the Redis record of one call in flight --------------------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """What the dialer took for one call, so the results side can give it all back exactly once."""

    attempt_id: int
    node: str
    agent: str  # presence key user@domain
    token: str  # presence reservation token
    scopes: tuple[str, ...]  # live-call set scopes (trunk, node, campaign)
    mode: str
    wrapup_seconds: int = 0


def _call_key(prefix: str, call_uuid: str) -> str:
    return f"{prefix}:call:{call_uuid}"


def save_call(client: Any, prefix: str, call_uuid: str, record: CallRecord) -> None:
    """Remember the call; the TTL bounds a record whose end we never saw."""
    client.set(_call_key(prefix, call_uuid), json.dumps(asdict(record)), ex=CALL_TTL_SECONDS)


def load_call(client: Any, prefix: str, call_uuid: str) -> CallRecord | None:
    """The call's record, or None when it was already finished (or never written)."""
    raw = client.get(_call_key(prefix, call_uuid))
    if raw is None:
        return None
    data = json.loads(raw)
    data["scopes"] = tuple(data["scopes"])
    return CallRecord(**data)


def forget_call(client: Any, prefix: str, call_uuid: str) -> bool:
    """Drop the record; True only for the one caller that removed it (finish exactly once)."""
    return bool(client.delete(_call_key(prefix, call_uuid)))


# --- the parts a dial needs, as small protocols (real ones wired in workers/) ----------------


class Commands(Protocol):
    """The per-process ESL command path: one persistent connection per node."""

    def is_up(self, node: str) -> bool: ...

    def bgapi(self, node: str, command: str, *, job_uuid: str | None = None) -> str: ...

    def api(self, node: str, command: str) -> str: ...


class Pacer(Protocol):
    """CPS token buckets and live-call sets (telephony.pacing.Pacer)."""

    def take_tokens(self, scopes: Sequence[Scope], n: int, now: float) -> int: ...

    def available(self, scopes: Sequence[Scope], now: float, horizon: float = 1.0) -> int: ...

    def add_call(self, scopes: Iterable[str], uuid: str) -> None: ...

    def remove_call(self, scopes: Iterable[str], uuid: str) -> None: ...

    def count(self, scope: str) -> int: ...

    def counts(self, scopes: Sequence[str]) -> dict[str, int]: ...


class Presence(Protocol):
    """The reservation half of telephony.presence.PresenceStore."""

    def reserve(self, group: str, usable_nodes: Sequence[str], now: float,
                lease_seconds: float) -> Any: ...

    def mark(self, token: str, activity: Any, now: float, lease_seconds: float) -> bool: ...

    def release(self, token: str, now: float, wrapup_seconds: float | None = None) -> bool: ...

    def node_statuses(self) -> dict[str, Any]: ...


@dataclass
class Dialer:
    """Everything a dial needs in one worker process."""

    commands: Commands
    pacer: Pacer
    presence: Presence
    redis: Any
    prefix: str
    nodes: dict[str, NodeConfig]
    clock: Callable[[], float] = time.time
    token_wait_seconds: float = TOKEN_WAIT_SECONDS
    # Test-only switch (STYLE rule 15): skip the queued->dialing compare-and-set to show the race.
    guard: bool = True
    placed: list[str] = field(default_factory=list)
    _agents: dict[tuple[str, str], Agent | None] = field(default_factory=dict)
    _statuses: tuple[float, dict[str, Any]] = (0.0, {})
    _campaigns: dict[int, tuple[float, str]] = field(default_factory=dict)
    _numbers: dict[int, int] = field(default_factory=dict)  # attempt rows per target so far

    # -- public ---------------------------------------------------------------------------

    def dial_batch(self, target_ids: Iterable[int], node_hint: str | None = None) -> dict[str, int]:
        """Dial each target on its own; return how many ended in each way."""
        tally: dict[str, int] = {}
        for result in self._dial_many(list(target_ids), node_hint).values():
            tally[result] = tally.get(result, 0) + 1
        return tally

    def dial_one(self, target_id: int, node_hint: str | None = None) -> str:
        """Dial one claimed target; return what happened (placed, skipped, requeued, ...)."""
        return self._dial_many([target_id], node_hint)[target_id]

    def _dial_many(self, ids: list[int], node_hint: str | None) -> dict[int, str]:
        """Steps 1-2 for the batch in two statements, then steps 3-6 per call."""
        now = self._now()
        self._campaigns.clear()  # a new batch never trusts an earlier batch's status
        claimed = self._claim(ids, now) if self.guard else list(ids)
        results = {target_id: "skipped" for target_id in ids if target_id not in set(claimed)}
        if len(claimed) < len(ids):
            log.info("%d targets no longer queued: not dialled again", len(ids) - len(claimed))
        # One read for the targets, their campaign and trunk, and whether each number is on the
        # do-not-call list; the campaign's status is re-read per call (at the last moment).
        targets = Target.objects.select_related(
            "campaign", "campaign__trunk", "campaign__agent_group"
        ).annotate(
            do_not_call=Exists(DoNotCall.objects.filter(number=OuterRef("number")))
        ).in_bulk(claimed)
        self._numbers.update(
            CallAttempt.objects.filter(target_id__in=claimed).order_by().values("target_id")
            .annotate(n=Count("id")).values_list("target_id", "n")
        )
        for target_id in claimed:
            try:
                results[target_id] = self._dial_claimed(targets[target_id], node_hint)
            except Exception:  # one bad target must not lose the rest of the batch
                log.exception("dial of target %s failed", target_id)
                results[target_id] = "error"
        return results

    def _claim(self, ids: list[int], now: dt.datetime) -> list[int]:
        """Step 1 for the batch: compare-and-set queued -> dialing, one statement."""
        if not ids:
            return []
        table = connection.ops.quote_name(Target._meta.db_table)
        marks = ", ".join(["%s"] * len(ids))
        # Compare-and-set: a redelivered task (or a second worker) finds them no longer queued.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET state = %s, updated_at = %s "  # noqa: S608 - no user input
                f"WHERE state = %s AND id IN ({marks}) RETURNING id",
                [TargetState.DIALING, now, TargetState.QUEUED, *ids],
            )
            return [row[0] for row in cursor.fetchall()]

    def _dial_claimed(self, target: Target, node_hint: str | None) -> str:
        now = self._now()
        campaign = target.campaign
        campaign.status = self._campaign_status(campaign.id)
        refusal = self._last_moment_refusal(target, campaign, now)
        if refusal is not None:
            return refusal
        excluded: set[str] = set()
        while True:
            outcome = self._try_node(target, campaign, node_hint, excluded)
            if outcome != "node_failed":
                return outcome

    def _campaign_status(self, campaign_id: int) -> str:
        """The campaign's status now (re-read per batch and every CAMPAIGN_CACHE_SECONDS)."""
        ts = self.clock()
        cached = self._campaigns.get(campaign_id)
        if cached is None or ts - cached[0] > CAMPAIGN_CACHE_SECONDS:
            status = Campaign.objects.filter(id=campaign_id).values_list("status", flat=True)
            cached = (ts, status.first() or CampaignStatus.CANCELLED)
            self._campaigns[campaign_id] = cached
        return cached[1]

    # -- steps ----------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), tz=dt.UTC)

    def _last_moment_refusal(self, target: Target, campaign: Campaign,
                             now: dt.datetime) -> str | None:
        """Step 2: campaign running, window open, number callable; else hand the target back."""
        if campaign.status == CampaignStatus.CANCELLED:
            self._set_state(target, TargetState.CANCELLED, now)
            return "cancelled"
        if campaign.status != CampaignStatus.RUNNING or not campaign.is_in_window(now):
            # Paused (or outside its hours): stop at once, dial it later without counting.
            self._set_state(target, TargetState.PENDING, now, next_attempt_at=None)
            return "not_running"
        if getattr(target, "do_not_call", False):
            self._set_state(target, TargetState.DO_NOT_CALL, now)
            return "do_not_call"
        return None

    def _usable_nodes(self, node_hint: str | None, excluded: set[str]) -> list[str]:
        """Nodes that are up (listener and our own connection agree) and below max sessions."""
        ts = self.clock()
        if ts - self._statuses[0] > STATUS_CACHE_SECONDS:
            self._statuses = (ts, self.presence.node_statuses())
        statuses = self._statuses[1]
        live = self.pacer.counts([f"node:{name}" for name in self.nodes])
        usable = []
        for name, config in self.nodes.items():
            status = statuses.get(name)
            if name in excluded or status is None or not status.up:
                continue
            if not self.commands.is_up(name):
                continue
            if live[f"node:{name}"] >= config.max_sessions:
                continue
            usable.append(name)
        if node_hint in usable:  # the tick's preference first, the rest as fallbacks
            usable.remove(node_hint)
            usable.insert(0, node_hint)
        return usable

    def _try_node(self, target: Target, campaign: Campaign, node_hint: str | None,
                  excluded: set[str]) -> str:
        """Steps 3-6 on one node; "node_failed" means try again without that node."""
        ts = self.clock()
        now = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
        lease = campaign.originate_timeout + campaign.dtmf_settle_ms / 1000 + LEASE_MARGIN_SECONDS
        usable = self._usable_nodes(node_hint, excluded)
        # Prefer nodes whose CPS bucket has a token now, so one batch spreads over the cluster
        # instead of queueing behind one node's rate; any usable node is the fallback.
        ready = [n for n in usable
                 if self.pacer.available([node_scope(n, self.nodes[n].max_cps)], ts, 0.01)]
        reservation = None
        if ready:
            reservation = self.presence.reserve(campaign.agent_group.name, ready, ts, lease)
        if reservation is None and len(ready) < len(usable):
            reservation = self.presence.reserve(campaign.agent_group.name, usable, ts, lease)
        if reservation is None:
            self._requeue(target, now, NO_AGENT_RETRY_SECONDS)
            return "no_agent"
        node = reservation.node
        trunk = campaign.trunk
        buckets = [
            trunk_scope(trunk.id, trunk.cps_limit),
            node_scope(node, self.nodes[node].max_cps),  # capped at sps - 1 (capture 20)
            campaign_scope(campaign.id, campaign.calls_per_second),
        ]
        scopes = tuple(bucket.key for bucket in buckets)
        if not self._take_tokens(buckets):
            self.presence.release(reservation.token, self.clock(), 0)
            self._requeue(target, now, PACED_RETRY_SECONDS)
            return "paced"

        agent_user, _, agent_domain = reservation.agent.partition("@")
        agent = self._agent(agent_user, agent_domain)
        attempt = self._record_attempt(target, campaign, node, agent)
        request = OriginateRequest(
            mode=Mode(campaign.mode),
            attempt_id=attempt.id,
            call_uuid=str(attempt.uuid),
            gateway=trunk.gateway,
            number=target.number,
            agent_user=agent_user,
            agent_domain=agent_domain,
            timeout_s=campaign.originate_timeout,
            dial_prefix=trunk.dial_prefix,
            extension=target.extension,
            settle_ms=campaign.dtmf_settle_ms,
            tone_ms=campaign.dtmf_duration_ms,
            pause_ms=campaign.dtmf_pause_ms,
            caller_id_number=campaign.caller_id_number or trunk.caller_id_number,
            caller_id_name=campaign.caller_id_name or trunk.caller_id_name,
            b_leg_uuid=str(uuid.uuid5(attempt.uuid, "target")),
        )
        try:
            command = render_originate(request)
        except DialstringError as exc:
            # A value that fails the grammar is the target's fault and never gets better.
            log.warning("target %s refused by the dial-string grammar: %s", target.id, exc)
            self.presence.release(reservation.token, self.clock(), 0)
            self._end_attempt(attempt, Outcome.INVALID_NUMBER, "INVALID_NUMBER_FORMAT", True)
            self._set_state(target, TargetState.FAILED, now, last_outcome=Outcome.INVALID_NUMBER)
            return "invalid"

        record = CallRecord(attempt.id, node, reservation.agent, reservation.token, scopes,
                            campaign.mode, agent.wrapup_seconds if agent else 0)
        save_call(self.redis, self.prefix, str(attempt.uuid), record)
        self.pacer.add_call(scopes, str(attempt.uuid))
        if campaign.mode == CampaignMode.AGENT_FIRST:
            self.presence.mark(reservation.token, "ringing", self.clock(), lease)
        try:
            self.commands.bgapi(node, command, job_uuid=str(attempt.job_uuid))
        except ESLError as exc:
            return self._after_send_failure(target, attempt, record, node, exc, excluded)
        self.placed.append(str(attempt.uuid))
        return "placed"

    def _take_tokens(self, buckets: list[Scope]) -> bool:
        """All three buckets at once, waiting briefly for a refill rather than spinning."""
        deadline = self.clock() + self.token_wait_seconds
        while True:
            if self.pacer.take_tokens(buckets, 1, self.clock()):
                return True
            if self.clock() >= deadline:
                return False
            time.sleep(0.02)

    def _agent(self, user: str, domain: str) -> Agent | None:
        """The agent row, cached for the life of this Dialer (one batch): it rarely changes."""
        key = (user, domain)
        if key not in self._agents:
            self._agents[key] = Agent.objects.filter(sip_user=user, sip_domain=domain).first()
        return self._agents[key]

    def _record_attempt(self, target: Target, campaign: Campaign, node: str,
                        agent: Agent | None) -> CallAttempt:
        """Step 5: the attempt row with its uuid and Job-UUID, committed before anything is sent."""
        number = self._numbers.get(target.id, 0) + 1
        self._numbers[target.id] = number
        # Autocommit: the row is durable before the originate goes out.
        return CallAttempt.objects.create(
            target=target,
            campaign=campaign,
            attempt_number=number,
            uuid=uuid.uuid4(),
            job_uuid=uuid.uuid4(),
            node=node,
            agent=agent,
            queued_at=target.updated_at,
            # Stamped as the originate goes out (right after this commit); an ESL failure
            # before the node took it ends the attempt as a node failure.
            originated_at=self._now(),
        )

    def _after_send_failure(self, target: Target, attempt: CallAttempt, record: CallRecord,
                            node: str, exc: ESLError, excluded: set[str]) -> str:
        """The node may or may not have taken the originate: ask it before dialling elsewhere."""
        call_uuid = str(attempt.uuid)
        log.warning("originate of attempt %s on %s failed at the ESL level: %s",
                    attempt.id, node, type(exc).__name__)
        try:
            exists = self.commands.api(node, f"uuid_exists {call_uuid}").strip() == "true"
        except ESLError:
            if _surely_not_sent(exc):
                exists = False
            else:
                # Cannot tell: leave the attempt open; the reconciler settles it after its
                # originate timeout (a call placed on a dead node died with it).
                log.warning("attempt %s left for the reconciler", attempt.id)
                return "in_doubt"
        if exists:
            return "placed"
        if not forget_call(self.redis, self.prefix, call_uuid):
            return "placed"  # the results side already finished it: the node did take it
        self.pacer.remove_call(record.scopes, call_uuid)
        self.presence.release(record.token, self.clock(), 0)
        self._end_attempt(attempt, Outcome.NODE_FAILURE, "NODE_LOST", False)
        excluded.add(node)
        return "node_failed"

    def _end_attempt(self, attempt: CallAttempt, outcome: str, cause: str, counts: bool) -> None:
        CallAttempt.objects.filter(id=attempt.id, ended_at__isnull=True).update(
            outcome=outcome, hangup_cause=cause, ended_at=self._now(), counts_as_attempt=counts
        )

    def _requeue(self, target: Target, now: dt.datetime, delay: float) -> None:
        """Hand the target back to the tick without counting an attempt."""
        self._set_state(target, TargetState.PENDING, now,
                        next_attempt_at=now + dt.timedelta(seconds=delay))

    def _set_state(self, target: Target, state: str, now: dt.datetime, **fields: Any) -> None:
        # Compare-and-set from dialing: only the dialer that moved it there moves it on.
        Target.objects.filter(id=target.id, state=TargetState.DIALING).update(
            state=state, updated_at=now, **fields
        )


def _surely_not_sent(exc: ESLError) -> bool:
    """True when the command cannot have reached the node (the connection was never made)."""
    if isinstance(exc, AuthenticationError):
        return True
    text = str(exc).lower()
    return "cannot connect" in text or "node is down" in text or "refused" in text

