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

Steps 2-4 run call by call; steps 5-6 run for the calls that got that far together: their
attempts in one transaction, their Redis records in one pipeline, their originates written back
to back per node (replies matched in order). A batch is sent before any token wait and after
HOLD_SECONDS at most, so no call goes out much later than its token allowed.

An ESL failure before the node accepted the command (refused, lost, timed out) is not a call
failure: we ask the node whether the channel exists (`uuid_exists`); if it surely does not, the
attempt ends as a node failure that does not count and the target is dialled again at once on
another healthy node. When the node cannot even be asked, the attempt stays open: the reconciler
ends it after its originate timeout if no channel shows up, so a call is never placed twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection, transaction
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
from campaigns.services.floor.dispositions import callback_agents
from campaigns.services.floor.presence import personal_group
from campaigns.services.lifecycle import complete_if_exhausted
from telephony import dialstring
from telephony.call_records import CallRecord, forget_call, save_call
from telephony.config import NodeConfig, ProxyConfig
from telephony.dialstring import DialstringError, validate_prompt
from telephony.errors import ESLError, NotSent
from telephony.floor import LiveCall, LiveCalls
from telephony.listening import Listening, Thresholds
from telephony.originate import AgentProxy, Mode, OriginateRequest, render_originate
from telephony.pacing import Scope, campaign_scope, node_call_capacity, node_scope, trunk_scope
from telephony.presence import Reservation

log = logging.getLogger(__name__)

NO_AGENT_RETRY_SECONDS = 1.0  # no routable agent now: the tick offers the target again soon
PACED_RETRY_SECONDS = 0.5
TOKEN_WAIT_SECONDS = 1.0  # how long one dial waits for a CPS token before handing back
LEASE_MARGIN_SECONDS = 30.0  # reservation lease beyond originate timeout and settle delay
# A call holding its tokens waits at most about this long for the rest of its batch before the
# batch is sent. Trade-off: a longer hold shares more round trips but shifts sends further from
# their token times, which the nodes' per-second counters see; this is of the order of what one
# commit and a few Redis writes between token and send always cost the one-call-at-a-time path.
HOLD_SECONDS = 0.025
STATUS_CACHE_SECONDS = 0.5  # node statuses change on connect/loss; a batch may reuse them briefly
# A pause takes effect within this long inside a running batch (and at once for the next batch).
CAMPAIGN_CACHE_SECONDS = 0.2


# --- the parts a dial needs, as small protocols (real ones wired in workers/) ----------------


class Commands(Protocol):
    """The per-process ESL command path: one persistent connection per node."""

    def is_up(self, node: str) -> bool: ...

    def bgapi(self, node: str, command: str, *, job_uuid: str | None = None) -> str: ...

    def bgapi_many(self, node: str, commands: Sequence[tuple[str, str | None]]
                   ) -> list[str | ESLError]: ...

    def api(self, node: str, command: str) -> str: ...


class Pacer(Protocol):
    """CPS token buckets and live-call sets (telephony.pacing.Pacer)."""

    def take_tokens(self, scopes: Sequence[Scope], n: int, now: float) -> int: ...

    def available(self, scopes: Sequence[Scope], now: float, horizon: float = 1.0) -> int: ...

    def counts_and_available(
        self, live: Sequence[str], buckets: Sequence[Scope], now: float, horizon: float = 1.0
    ) -> tuple[dict[str, int], list[int]]: ...

    def add_call(self, scopes: Iterable[str], uuid: str, client: Any = None) -> None: ...

    def remove_call(self, scopes: Iterable[str], uuid: str) -> None: ...

    def count(self, scope: str) -> int: ...

    def counts(self, scopes: Sequence[str]) -> dict[str, int]: ...


class Presence(Protocol):
    """The reservation half of telephony.presence.PresenceStore."""

    def reserve(self, group: str, usable_nodes: Sequence[str], now: float,
                lease_seconds: float) -> Any: ...

    def mark(self, token: str, activity: Any, now: float, lease_seconds: float,
             client: Any = None) -> bool: ...

    def release(self, token: str, now: float, wrapup_seconds: float | None = None) -> bool: ...

    def node_statuses(self) -> dict[str, Any]: ...


def _agent_key(presence_key: str) -> tuple[str, str]:
    user, _, domain = presence_key.partition("@")
    return user, domain


@dataclass
class _Ready:
    """One call holding its agent and tokens, waiting for its batch's commit and send."""

    target: Target
    campaign: Campaign
    node: str
    reservation: Any
    scopes: tuple[str, ...]
    lease: float
    excluded: set[str]
    taken_at: float  # when its tokens were taken (epoch seconds)
    attempt: CallAttempt | None = None
    record: CallRecord | None = None
    command: str = ""


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
    # SIP proxies by name (settings.SIP_PROXIES): an agent reserved `via` one is dialled there.
    proxies: dict[str, ProxyConfig] = field(default_factory=dict)
    sip_profile: str = "internal"
    token_wait_seconds: float = TOKEN_WAIT_SECONDS
    hold_seconds: float = HOLD_SECONDS
    # Test-only switch (STYLE rule 15): skip the queued->dialing compare-and-set to show the race.
    guard: bool = True
    placed: list[str] = field(default_factory=list)
    _agents: dict[tuple[str, str], Agent | None] = field(default_factory=dict)
    _statuses: tuple[float, dict[str, Any]] = (0.0, {})
    _campaigns: dict[int, tuple[float, str]] = field(default_factory=dict)
    _numbers: dict[int, int] = field(default_factory=dict)  # attempt rows per target so far
    _pending_live: dict[str, int] = field(default_factory=dict)  # taken, not yet in live sets

    # -- public ---------------------------------------------------------------------------

    def agent_proxy(self, via: str) -> AgentProxy | None:
        """How the nodes reach the proxy `via` (None: the agent is registered on the node)."""
        proxy = self.proxies.get(via) if via else None
        if proxy is None:
            return None
        return AgentProxy(proxy.host, proxy.sip_port, proxy.transport, self.sip_profile)

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
        """Steps 1-2 for the batch in two statements, 3-4 per call, then 5-6 for the calls ready.

        Each call still gets its own re-check, agent, tokens, attempt row and originate; what is
        shared is the round trips: one commit for the batch's attempts, one Redis pipeline for
        their bookkeeping, and their originates written back to back on each node's connection.
        """
        now = self._now()
        self._campaigns.clear()  # a new batch never trusts an earlier batch's status
        self._pending_live.clear()
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
        # Due callbacks that asked for an agent: that agent first, the group otherwise.
        self._callback_agents = callback_agents(claimed, now) if claimed else {}
        self._numbers.update(
            CallAttempt.objects.filter(target_id__in=claimed).order_by().values("target_id")
            .annotate(n=Count("id")).values_list("target_id", "n")
        )
        ready: list[_Ready] = []
        for target_id in claimed:
            try:
                outcome = self._prepare(targets[target_id], node_hint, set(), ready, results)
            except Exception:  # one bad target must not lose the rest of the batch
                log.exception("dial of target %s failed", target_id)
                outcome = "error"
            if outcome is not None:
                results[target_id] = outcome
        self._flush(ready, node_hint, results)
        self._complete_settled(targets, results, now)
        return results

    @staticmethod
    def _complete_settled(targets: dict[int, Target], results: dict[int, str],
                          now: dt.datetime) -> None:
        """A campaign whose last targets the dialer settled itself (do-not-call, a value the
        grammar refuses, cancelled) has nothing left to dial: complete it now."""
        settled = {targets[t].campaign_id for t, r in results.items()
                   if r in ("do_not_call", "invalid", "cancelled") and t in targets}
        for campaign_id in settled:
            complete_if_exhausted(campaign_id, now)

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
        problem = campaign_configuration_error(campaign)
        if problem is not None:
            # The campaign's own settings fail the grammar (rows written around validation):
            # every call would fail the same way, so the campaign pauses with the reason and
            # the target goes back untouched, instead of failing targets at full dial speed.
            self._pause_misconfigured(campaign, problem)
            self._set_state(target, TargetState.PENDING, now, next_attempt_at=None)
            return "misconfigured"
        if getattr(target, "do_not_call", False):
            self._set_state(target, TargetState.DO_NOT_CALL, now)
            return "do_not_call"
        return None

    def _pause_misconfigured(self, campaign: Campaign, problem: str) -> None:
        from campaigns.errors import IllegalTransition
        from campaigns.services import lifecycle

        self._campaigns[campaign.id] = (self.clock(), CampaignStatus.PAUSED)
        try:
            lifecycle.pause(campaign, reason=f"configuration error: {problem}")
        except IllegalTransition:  # another batch of this campaign paused it first
            return
        log.warning("campaign %s paused: configuration error: %s", campaign.id, problem)

    def _usable_nodes(self, node_hint: str | None, excluded: set[str],
                      ts: float) -> tuple[list[str], list[str]]:
        """Nodes that are up (listener and our own connection agree) and below max sessions,
        and those of them whose CPS bucket has a token now (one Redis round trip for both)."""
        if ts - self._statuses[0] > STATUS_CACHE_SECONDS:
            self._statuses = (ts, self.presence.node_statuses())
        statuses = self._statuses[1]
        names = list(self.nodes)
        live, free = self.pacer.counts_and_available(
            [f"node:{name}" for name in names],
            [node_scope(name, self.nodes[name].max_cps) for name in names],
            ts,
            0.01,
        )
        usable, ready = [], []
        for name, has_token in zip(names, free, strict=True):
            status = statuses.get(name)
            if name in excluded or status is None or not status.up:
                continue
            if not self.commands.is_up(name):
                continue
            # Calls taken but not yet flushed are not in the live sets yet: count them too.
            taken = live[f"node:{name}"] + self._pending_live.get(name, 0)
            if taken >= node_call_capacity(self.nodes[name].max_sessions):
                continue
            usable.append(name)
            if has_token:
                ready.append(name)
        for nodes in (usable, ready):
            if node_hint in nodes:  # the tick's preference first, the rest as fallbacks
                nodes.remove(node_hint)
                nodes.insert(0, node_hint)
        return usable, ready

    def _prepare(self, target: Target, node_hint: str | None, excluded: set[str],
                 ready: list[_Ready], results: dict[int, str], recheck: bool = True) -> str | None:
        """Steps 2-4 for one call: None once it holds its agent and tokens (appended to `ready`),
        else what became of it."""
        campaign = target.campaign
        if recheck:
            campaign.status = self._campaign_status(campaign.id)
            refusal = self._last_moment_refusal(target, campaign, self._now())
            if refusal is not None:
                return refusal
        ts = self.clock()
        now = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
        lease = campaign.originate_timeout + campaign.dtmf_settle_ms / 1000 + LEASE_MARGIN_SECONDS
        if campaign.mode == CampaignMode.TARGET_FIRST:
            lease += campaign.agent_ring_timeout  # the agent's phone rings after the answer
        # Prefer nodes whose CPS bucket has a token now, so one batch spreads over the cluster
        # instead of queueing behind one node's rate; any usable node is the fallback. A node
        # that refused the trunk as misconfigured (INVALID_GATEWAY) is not used for it.
        misconfigured = set(campaign.trunk.misconfigured_on or {})
        usable, ready_nodes = self._usable_nodes(node_hint, excluded | misconfigured, ts)
        reservation = None
        wanted = getattr(self, "_callback_agents", {}).get(target.id)
        if campaign.mode == CampaignMode.AGENT_AT_HELLO:
            # No agent is held before the hello (results: the agent is reserved when a person
            # speaks); the call only needs a node. An empty token is what "no agent" means to
            # the results side and the failover.
            nodes = ready_nodes or usable
            if nodes:
                reservation = Reservation("", nodes[0], "")
        elif wanted and usable:
            reservation = self.presence.reserve(personal_group(wanted), usable, ts, lease)
        if reservation is None and ready_nodes:
            reservation = self.presence.reserve(campaign.agent_group.name, ready_nodes, ts, lease)
        if reservation is None and len(ready_nodes) < len(usable):
            reservation = self.presence.reserve(campaign.agent_group.name, usable, ts, lease)
        if reservation is None:
            self._requeue(target, now, NO_AGENT_RETRY_SECONDS)
            return "no_agent"
        node = reservation.node
        trunk = campaign.trunk
        buckets = [
            trunk_scope(trunk.id, trunk.cps_limit),
            node_scope(node, self.nodes[node].max_cps),  # (sps - 1) / 2: capture 20, two legs
            campaign_scope(campaign.id, campaign.calls_per_second),
        ]
        if not self._take_tokens(buckets, ready, node_hint, results):
            if reservation.token:
                self.presence.release(reservation.token, self.clock(), 0)
            self._requeue(target, now, PACED_RETRY_SECONDS)
            return "paced"
        # Not in the live sets until the batch is flushed: count it against max sessions now.
        self._pending_live[node] = self._pending_live.get(node, 0) + 1
        ready.append(_Ready(target, campaign, node, reservation,
                            tuple(bucket.key for bucket in buckets), lease, excluded, self.clock()))
        if self.clock() - ready[0].taken_at >= self.hold_seconds:
            # A token is for now: the first call must not wait long behind the rest.
            self._flush(ready, node_hint, results)
        return None

    def _take_tokens(self, buckets: list[Scope], ready: list[_Ready], node_hint: str | None,
                     results: dict[int, str]) -> bool:
        """All three buckets at once, waiting briefly for a refill rather than spinning."""
        if self.pacer.take_tokens(buckets, 1, self.clock()):
            return True
        # About to wait for a refill: first send the calls already holding tokens, so none of
        # them goes out later than its token allowed (the node's per-second count is real time).
        self._flush(ready, node_hint, results)
        deadline = self.clock() + self.token_wait_seconds
        while True:
            if self.pacer.take_tokens(buckets, 1, self.clock()):
                return True
            if self.clock() >= deadline:
                return False
            time.sleep(0.02)

    def _flush(self, ready: list[_Ready], node_hint: str | None,
               results: dict[int, str]) -> None:
        """Steps 5-6 for the calls ready: record, book, send; empties `ready`."""
        batch = list(ready)
        ready.clear()
        if not batch:
            return
        try:
            # Step 5: every attempt row committed (one transaction) before any originate.
            self._record_attempts(batch)
        except Exception:
            log.exception("recording %d attempts failed: none of them sent", len(batch))
            self._pending_live.clear()
            for item in batch:
                results[item.target.id] = "error"
                with contextlib.suppress(Exception):
                    if item.reservation.token:
                        self.presence.release(item.reservation.token, self.clock(), 0)
            return
        try:
            to_send = self._book(batch, results)
        except Exception:
            # As when one call's bookkeeping failed: its attempt stays open, nothing was sent,
            # and the reconciler ends it after its originate timeout.
            log.exception("booking %d calls in Redis failed: none of them sent", len(batch))
            self._pending_live.clear()
            for item in batch:
                results.setdefault(item.target.id, "error")
            return
        self._pending_live.clear()  # in the live sets now (or given back)
        by_node: dict[str, list[_Ready]] = {}
        for item in to_send:
            by_node.setdefault(item.node, []).append(item)
        failed: list[tuple[_Ready, ESLError]] = []
        # Step 6: each node's originates written back to back, replies matched in order.
        for node, items in by_node.items():
            try:
                replies = self.commands.bgapi_many(
                    node, [(item.command, str(item.attempt.job_uuid)) for item in items])
            except Exception:
                # Not an ESL answer: whether the node took them is unknown, so the attempts stay
                # open and the reconciler settles them after their originate timeout.
                log.exception("sending %d originates to %s failed", len(items), node)
                for item in items:
                    results[item.target.id] = "error"
                continue
            for item, reply in zip(items, replies, strict=True):
                if isinstance(reply, ESLError):
                    failed.append((item, reply))
                else:
                    self.placed.append(str(item.attempt.uuid))
                    results[item.target.id] = "placed"
        for item, exc in failed:
            try:
                outcome = self._after_send_failure(item, exc)
                if outcome == "node_failed":
                    outcome = self._dial_elsewhere(item, node_hint)
            except Exception:
                log.exception("dial of target %s failed", item.target.id)
                outcome = "error"
            results[item.target.id] = outcome

    def _dial_elsewhere(self, item: _Ready, node_hint: str | None) -> str:
        """After a node failure that surely placed nothing: dial again without that node."""
        ready: list[_Ready] = []
        results: dict[int, str] = {}
        outcome = self._prepare(item.target, node_hint, item.excluded, ready, results,
                                recheck=False)
        if outcome is not None:
            return outcome
        self._flush(ready, node_hint, results)
        return results[item.target.id]

    def _book(self, batch: list[_Ready], results: dict[int, str]) -> list[_Ready]:
        """Render each originate and record the calls in Redis in one round trip; return the
        calls to send (a value the grammar refuses ends its attempt here)."""
        to_send: list[_Ready] = []
        pipe = self.redis.pipeline(transaction=True)
        for item in batch:
            attempt, target, campaign = item.attempt, item.target, item.campaign
            assert attempt is not None
            agent_user, _, agent_domain = item.reservation.agent.partition("@")
            agent = self._agents.get((agent_user, agent_domain))
            trunk = campaign.trunk
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
                comma_ms=campaign.dtmf_comma_pause_ms,
                caller_id_number=campaign.caller_id_number or trunk.caller_id_number,
                caller_id_name=campaign.caller_id_name or trunk.caller_id_name,
                b_leg_uuid=str(uuid.uuid5(attempt.uuid, "target")),
                agent_timeout_s=campaign.agent_ring_timeout,
                hold_ms=campaign.failover_window_seconds * 1000,
                abandon_prompt=campaign.abandon_message,
                agent_proxy=self.agent_proxy(item.reservation.via),
                connect_plan=campaign.connect_plan,
                listening=listening_of(campaign),
                thresholds=thresholds_of(campaign),
            )
            try:
                validate_prompt(campaign.abandon_message)
            except DialstringError as exc:
                # The campaign's setting, not the target: nothing dialled, nothing counted.
                log.warning("campaign %s abandon message refused: %s", campaign.id, exc)
                if item.reservation.token:
                    self.presence.release(item.reservation.token, self.clock(), 0)
                self._end_attempt(attempt, Outcome.CONFIG_ERROR, "INVALID_PROMPT", False)
                self._set_state(target, TargetState.RETRY_WAIT, self._now(),
                                next_attempt_at=self._now() + dt.timedelta(
                                    seconds=campaign.retry_failed_seconds),
                                last_outcome=Outcome.CONFIG_ERROR)
                results[target.id] = "config_error"
                continue
            try:
                item.command = render_originate(request)
            except DialstringError as exc:
                # A value that fails the grammar is the target's fault and never gets better.
                log.warning("target %s refused by the dial-string grammar: %s", target.id, exc)
                if item.reservation.token:
                    self.presence.release(item.reservation.token, self.clock(), 0)
                self._end_attempt(attempt, Outcome.INVALID_NUMBER, "INVALID_NUMBER_FORMAT", True)
                self._set_state(target, TargetState.FAILED, self._now(),
                                last_outcome=Outcome.INVALID_NUMBER)
                results[target.id] = "invalid"
                continue
            item.record = CallRecord(attempt.id, item.node, item.reservation.agent,
                                     item.reservation.token, item.scopes, campaign.mode,
                                     agent.wrapup_seconds if agent else 0,
                                     via=item.reservation.via)
            save_call(pipe, self.prefix, str(attempt.uuid), item.record)
            started = self.clock()
            LiveCalls(self.redis, self.prefix).add(LiveCall(
                uuid=str(attempt.uuid), number=target.number, extension=target.extension,
                campaign_id=campaign.id, campaign=campaign.name, target_id=target.id,
                attempt_id=attempt.id, node=item.node, agent=item.reservation.agent,
                state="ringing", started_at=started, state_at=started), client=pipe)
            self.pacer.add_call(item.scopes, str(attempt.uuid), client=pipe)
            if campaign.mode == CampaignMode.AGENT_FIRST:
                self.presence.mark(item.reservation.token, "ringing", self.clock(), item.lease,
                                   client=pipe)
            to_send.append(item)
        if to_send:
            pipe.execute()
        return to_send

    def _record_attempts(self, batch: list[_Ready]) -> None:
        """Step 5: the attempt rows with their uuids and Job-UUIDs, committed in one transaction
        before anything is sent; agent rows read once (cached for this Dialer: they rarely
        change)."""
        keys = [_agent_key(item.reservation.agent) for item in batch]
        missing = {key for key in keys if key not in self._agents}
        if missing:
            found: dict[tuple[str, str], Agent] = {}
            rows = Agent.objects.filter(sip_user__in={user for user, _ in missing}).order_by("pk")
            for row in rows:
                found.setdefault((row.sip_user, row.sip_domain), row)
            for key in missing:
                self._agents[key] = found.get(key)
        # Stamped as the originates go out (right after this commit); an ESL failure before
        # the node took one ends its attempt as a node failure.
        now = self._now()
        attempts = []
        for item, key in zip(batch, keys, strict=True):
            number = self._numbers.get(item.target.id, 0) + 1
            self._numbers[item.target.id] = number
            item.attempt = CallAttempt(
                target=item.target,
                campaign=item.campaign,
                attempt_number=number,
                uuid=uuid.uuid4(),
                job_uuid=uuid.uuid4(),
                node=item.node,
                agent=self._agents[key],
                queued_at=item.target.updated_at,
                originated_at=now,
            )
            attempts.append(item.attempt)
        with transaction.atomic():  # durable, all of them, before the first originate goes out
            CallAttempt.objects.bulk_create(attempts)

    def _after_send_failure(self, item: _Ready, exc: ESLError) -> str:
        """The node may or may not have taken the originate: ask it before dialling elsewhere."""
        attempt, record, node, excluded = item.attempt, item.record, item.node, item.excluded
        assert attempt is not None and record is not None
        call_uuid = str(attempt.uuid)
        log.warning("originate of attempt %s on %s failed at the ESL level: %s",
                    attempt.id, node, type(exc).__name__)
        try:
            exists = self.commands.api(node, f"uuid_exists {call_uuid}").strip() == "true"
        except ESLError:
            if isinstance(exc, NotSent):  # never written, or refused before it ran
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
        if record.token:
            self.presence.release(record.token, self.clock(), 0)
        self._end_attempt(attempt, Outcome.NODE_FAILURE, "NODE_LOST", False)
        excluded.add(node)
        return "node_failed"

    def _end_attempt(self, attempt: CallAttempt, outcome: str, cause: str, counts: bool) -> None:
        # The dialer gave its Redis side back itself: released, so the results sweep skips it.
        now = self._now()
        CallAttempt.objects.filter(id=attempt.id, ended_at__isnull=True).update(
            outcome=outcome, hangup_cause=cause, ended_at=now, counts_as_attempt=counts,
            settled_by="dialer", released_at=now,
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


def listening_of(campaign: Campaign) -> Listening:
    """The campaign's wait_for_silence numbers (range-checked again when rendered)."""
    return Listening(threshold=campaign.listen_threshold, silence_ms=campaign.listen_silence_ms,
                     listen_hits=campaign.listen_hits, timeout_ms=campaign.listen_timeout_ms)


def thresholds_of(campaign: Campaign) -> Thresholds:
    """The campaign's person/machine heuristic and ring allowance."""
    return Thresholds(person_max_ms=campaign.person_max_ms,
                      ring_timeout_s=campaign.ring_timeout_seconds)


def campaign_configuration_error(campaign: Campaign) -> str | None:
    """Why the campaign's own dial settings (its trunk, caller ID) fail the grammar, or None."""
    trunk = campaign.trunk
    checks = [
        ("trunk gateway", dialstring.validate_gateway, trunk.gateway),
        ("trunk dial prefix", dialstring.validate_caller_id_number, trunk.dial_prefix),
        (
            "caller ID number",
            dialstring.validate_caller_id_number,
            campaign.caller_id_number or trunk.caller_id_number,
        ),
        (
            "caller ID name",
            dialstring.validate_caller_id_name,
            campaign.caller_id_name or trunk.caller_id_name,
        ),
    ]
    for label, validate, value in checks:
        if label != "trunk gateway" and not value:
            continue  # optional settings
        try:
            validate(value)
        except DialstringError as exc:
            return f"{label}: {exc}"
    return None


