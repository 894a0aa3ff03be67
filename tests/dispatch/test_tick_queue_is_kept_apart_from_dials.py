"""Celery wiring: ticks and dials travel on separate queues, and a lost dial is redelivered."""

from __future__ import annotations

import pytest

from workers.celery import (
    BEAT_SCHEDULE,
    DIAL_BATCH,
    DIAL_HARD_LIMIT,
    REAP_QUEUED,
    RECONCILE_CALLS,
    TICK,
    VISIBILITY_TIMEOUT,
    app,
)


@pytest.mark.parametrize(("task", "queue"), [
    (TICK, "tick"),
    (REAP_QUEUED, "tick"),
    (DIAL_BATCH, "dial"),
    (RECONCILE_CALLS, "control"),
    ("switchboard.something_else", "default"),
])
def test_each_task_is_routed_to_its_queue(task, queue):
    route = app.amqp.router.route({}, task)
    assert route["queue"].name == queue


def test_a_dial_batch_is_acknowledged_late_and_requeued_when_its_worker_dies():
    options = app.conf.task_annotations[DIAL_BATCH]
    assert options["acks_late"] is True
    assert options["reject_on_worker_lost"] is True
    assert app.conf.worker_prefetch_multiplier == 1
    # Redelivery by the Redis broker must not start while the task may still be running.
    assert VISIBILITY_TIMEOUT > DIAL_HARD_LIMIT
    assert app.conf.broker_transport_options["visibility_timeout"] == VISIBILITY_TIMEOUT


def test_a_lost_tick_is_not_redelivered_and_a_stale_one_expires():
    assert app.conf.task_annotations[TICK]["acks_late"] is False
    task, every, expires = BEAT_SCHEDULE["dispatch tick"]
    assert (task, every) == (TICK, 1)
    assert 1 < expires <= 10


def test_flower_sees_every_task_and_beat_reads_the_database():
    assert app.conf.worker_send_task_events is True
    assert app.conf.task_send_sent_event is True
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
