"""Helpers for results tests that replay real FreeSWITCH captures (files 26-35b) into the
results applier, with the attempt, its reserved agent and its Redis call record set up the way
the dialer leaves them before the originate goes out."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from campaigns.models import Agent, CallAttempt, Campaign, Target, TargetState
from campaigns.services.call_path.results import Results, StreamEvent, decode
from telephony.call_records import CallRecord, save_call
from telephony.events import SUBSCRIBED_EVENTS, stream_fields
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from telephony.protocol import EVENT_TYPES, FrameParser, parse_event
from tests.dispatch.world import bring_up
from tests.factories import make_agent, make_campaign, make_group, make_target
from tests.telephony.fixtures import capture_path, server_stream


def capture_events(prefix: str) -> list[StreamEvent]:
    """The channel events and BACKGROUND_JOBs of a capture, as the listener streams them."""
    events = []
    for frame in FrameParser().feed(server_stream(capture_path(prefix))):
        if frame.content_type not in EVENT_TYPES:
            continue
        event = parse_event(frame)
        if event.name in SUBSCRIBED_EVENTS:
            events.append(decode(stream_fields("fs1", event, event.headers, event.body)))
    return events


def job_for(events: list[StreamEvent], body_prefix: str) -> str:
    return next(e.get("Job-UUID") for e in events
                if e.name == "BACKGROUND_JOB" and e.body.startswith(body_prefix))


@dataclass
class CallWorld:
    """Presence, pacer and results over real Redis; agents 1000 and 1001 @127.0.0.1 (as in
    the captures) registered on node fs1."""

    store: PresenceStore
    pacer: Pacer
    results: Results
    redis: Any
    prefix: str
    failed_over: list[int] = field(default_factory=list)
    agents: dict[str, Agent] = field(default_factory=dict)
    campaign: Campaign | None = None

    def setup(self, **campaign_fields: Any) -> Campaign:
        group = make_group()
        for user in ("1000", "1001"):
            self.agents[user] = make_agent(group, sip_user=user, sip_domain="127.0.0.1",
                                           wrapup_seconds=0)
        self.campaign = make_campaign(agent_group=group, status="running", **campaign_fields)
        now = time.time()
        self.store.sync_agents({group.name: [(a.presence_key, 0, True)
                                             for a in self.agents.values()]}, now)
        bring_up(self.store, "fs1", [a.presence_key for a in self.agents.values()], now)
        return self.campaign

    def call(self, user: str, call_uuid: str, attempt_id: int | None = None,
             job_uuid: str | None = None) -> tuple[Target, CallAttempt]:
        """A dialing target whose attempt holds agent `user` (reserved in presence)."""
        assert self.campaign is not None
        target = make_target(self.campaign, state=TargetState.DIALING)
        agent = self.agents[user]
        extra = {"id": attempt_id} if attempt_id else {}
        attempt = CallAttempt.objects.create(
            target=target, campaign=self.campaign, attempt_number=1, agent=agent, node="fs1",
            uuid=uuid.UUID(call_uuid), job_uuid=uuid.UUID(job_uuid) if job_uuid else None,
            **extra)
        now = time.time()
        taken = []  # reserve until the reservation is this agent's, then give the rest back
        while True:
            reservation = self.store.reserve(self.campaign.agent_group.name, ["fs1"], now, 60)
            assert reservation is not None
            if reservation.agent == agent.presence_key:
                break
            taken.append(reservation)
        for other in taken:
            self.store.release(other.token, now, 0)
        scopes = ("trunk:1", "node:fs1", f"campaign:{self.campaign.id}")
        save_call(self.redis, self.prefix, call_uuid,
                  CallRecord(attempt.id, "fs1", agent.presence_key, reservation.token, scopes,
                             self.campaign.mode, 0))
        self.pacer.add_call(scopes, call_uuid)
        return target, attempt

    def routable(self, user: str) -> bool:
        key = self.agents[user].presence_key
        return self.store.snapshot([key], time.time())[key].routable


def call_world(redis_client: Any, key_prefix: str) -> CallWorld:
    store = PresenceStore(redis_client, key_prefix)
    pacer = Pacer(redis_client, key_prefix)
    failed: list[int] = []
    results = Results(presence=store, pacer=pacer, redis=redis_client, prefix=key_prefix,
                      on_agent_failed=failed.append)
    return CallWorld(store, pacer, results, redis_client, key_prefix, failed)
