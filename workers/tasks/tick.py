"""The beat-driven tasks of the dispatcher: the tick and the queued reaper (thin shells)."""

from __future__ import annotations

from django.utils import timezone

from campaigns.services.call_path import dispatch
from workers.celery import DIAL_BATCH, REAP_QUEUED, TICK, app


def enqueue_dial_batch(target_ids: list[int], node: str | None) -> None:
    """Publish one dial_batch task (by name: the task lives in workers.tasks.dial)."""
    app.signature(DIAL_BATCH, args=(target_ids, node)).apply_async()


@app.task(name=TICK, ignore_result=True)
def tick() -> dict[str, int]:
    """Claim due targets of every running campaign within budget and enqueue their dials."""
    report = dispatch.tick(timezone.now(), enqueue_dial_batch)
    return {"claimed": report.claimed_total, "batches": report.batches,
            "skipped": int(report.skipped)}


@app.task(name=REAP_QUEUED, ignore_result=True)
def reap_queued() -> int:
    """Return targets whose dial task was lost (queued too long) to pending."""
    return dispatch.reap_queued(timezone.now())
