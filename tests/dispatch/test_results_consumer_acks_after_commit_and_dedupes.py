"""The results consumer reads the events stream in its group, applies each entry, acknowledges it,
and skips an entry whose (Core-UUID, Event-Sequence) it already applied (a listener failover can
append one event twice). Real Redis stream, real PostgreSQL.
"""

from __future__ import annotations

import json
import uuid

import pytest

from campaigns.models import CallAttempt, Outcome, TargetState
from campaigns.services.call_path.results import Results
from telephony.events import SUBSCRIBED_EVENTS, stream_fields
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from telephony.protocol import EVENT_TYPES, FrameParser, parse_event
from tests.factories import make_campaign, make_target
from tests.telephony.fixtures import capture_path, server_stream
from workers.results import GROUP, Consumer

pytestmark = pytest.mark.integration


def test_consumer_applies_each_event_once_and_acknowledges_everything(
    transactional_db, redis_client, key_prefix
):
    stream = f"{key_prefix}:events"
    fields = []
    for frame in FrameParser().feed(server_stream(capture_path("10"))):
        if frame.content_type in EVENT_TYPES:
            event = parse_event(frame)
            if event.name in SUBSCRIBED_EVENTS:
                fields.append(stream_fields("fs1", event, event.headers, event.body))
    job = next(f for f in fields if f["name"] == "BACKGROUND_JOB")
    campaign = make_campaign(status="running", retry_busy_seconds=60, max_attempts=3)
    target = make_target(campaign, state=TargetState.DIALING)
    attempt = CallAttempt.objects.create(
        target=target, campaign=campaign, attempt_number=1, node="fs1",
        uuid=uuid.UUID("00000000-0000-4000-8000-000000000010"),
        job_uuid=uuid.UUID(json.loads(job["data"])["Job-UUID"]),
    )
    for entry in fields + fields:  # every event twice, as after a listener failover
        redis_client.xadd(stream, entry)
    redis_client.xadd(stream, {"node": "fs1", "core": "c", "seq": "0", "name": "NODE_CONNECTED",
                               "data": "{}"})
    reconciled = []
    results = Results(presence=PresenceStore(redis_client, key_prefix),
                      pacer=Pacer(redis_client, key_prefix), redis=redis_client,
                      prefix=key_prefix)
    consumer = Consumer(redis_client, key_prefix, results, name="t1", block_ms=100,
                        on_node_connected=reconciled.append)
    consumer.run(install_signals=False, idle_exit=lambda: True)

    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, target.attempts, target.state) == (
        Outcome.BUSY, 1, TargetState.RETRY_WAIT)
    assert consumer.applied == len(fields)  # the duplicates were skipped, not applied
    assert reconciled == ["fs1"]
    assert redis_client.xpending(stream, GROUP)["pending"] == 0
