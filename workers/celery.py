"""The Celery app (`celery -A workers worker`). All Celery wiring lives here (STYLE rule 7).

Queues, and why they are separate:

- `tick`: beat's once-a-second tick and the reapers. Short tasks that must never wait behind a
  backlog of dials, so a worker (or a dedicated one: `-Q tick`) always has a slot for them.
- `dial`: `switchboard.dial_batch`, a bounded group of claimed targets per task. Losing one would
  lose calls, so it is acknowledged late and re-queued when its worker dies.
- `control`: campaign controls and reconciles (short, must not wait behind dials either).
- `default`: everything else.

Broker: Redis by default (`CELERY_BROKER_URL`), RabbitMQ when the URL says `amqp://`. Retry
delays live in the database (`Target.next_attempt_at`), never in Celery countdowns or ETAs: a
Redis broker redelivers an unacknowledged message after its visibility timeout, so a long ETA
would be delivered twice. That is also why the visibility timeout is only a little longer than
the hard time limit of the longest task: a dial batch whose worker vanished is redelivered
within minutes, and its targets are guarded by a compare-and-set (queued -> dialing).
"""

from __future__ import annotations

import os
import pkgutil
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from kombu import Exchange, Queue

from workers import kombu_guard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "switchboard.settings")

kombu_guard.install()  # a broker restart must not kill a worker (workers/kombu_guard.py)

app = Celery("switchboard")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Task names are what a person reads in Flower: say what the task does.
TICK = "switchboard.tick"
REAP_QUEUED = "switchboard.reap_queued"
DIAL_BATCH = "switchboard.dial_batch"
# Another agent for a callee who holds after an agent's phone failed (on the dial queue: it needs
# the process's ESL pool; it is one reservation and one uuid_transfer, never long).
DIAL_FAILOVER = "switchboard.dial_failover"
RECONCILE_CALLS = "switchboard.reconcile_calls"
HANGUP_CALL = "switchboard.control_hangup_call"
IMPORT_TARGETS = "switchboard.import_targets"
CONSUME_AGENT_LOG = "switchboard.control_consume_agent_log"
SWEEP_CDRS = "switchboard.reconcile_sweep_cdrs"

# Hard time limit of a dial batch; the broker visibility timeout must exceed it.
DIAL_SOFT_LIMIT = 90
DIAL_HARD_LIMIT = 120
VISIBILITY_TIMEOUT = 300

def _transport_options() -> dict[str, object]:
    """The Redis broker's options: the visibility timeout, and a key prefix when one is set."""
    from django.conf import settings

    options: dict[str, object] = {"visibility_timeout": VISIBILITY_TIMEOUT}
    if settings.BROKER_KEY_PREFIX:
        options["global_keyprefix"] = settings.BROKER_KEY_PREFIX
    return options


# The beat schedule, installed into django-celery-beat's tables by `manage.py setup_schedules`
# (the DatabaseScheduler reads them, so operators can pause or retune an entry in the admin).
# name -> (task, every N seconds, expire after N seconds: a stale tick is dropped, not run late).
BEAT_SCHEDULE: dict[str, tuple[str, int, int]] = {
    "dispatch tick": (TICK, 1, 5),
    "reap queued targets": (REAP_QUEUED, 30, 60),
    # Ends attempts dialing past their originate timeout with no live channel (DESIGN step 6).
    "reconcile calls": (RECONCILE_CALLS, 15, 30),
    # The agents' presence changes into the database (per-agent statistics, pause audit).
    "agent state log": (CONSUME_AGENT_LOG, 2, 10),
    # Applies the CDRs FreeSWITCH left in its err-log-dir (CDR_ERR_LOG_DIRS; none: a no-op).
    "sweep cdrs": (SWEEP_CDRS, 30, 60),
}

_direct = Exchange("switchboard", type="direct")

app.conf.update(
    task_queues=(
        Queue("tick", _direct, routing_key="tick"),
        Queue("dial", _direct, routing_key="dial"),
        Queue("control", _direct, routing_key="control"),
        Queue("default", _direct, routing_key="default"),
    ),
    task_default_queue="default",
    task_default_exchange="switchboard",
    task_default_routing_key="default",
    task_routes={
        TICK: {"queue": "tick", "routing_key": "tick"},
        REAP_QUEUED: {"queue": "tick", "routing_key": "tick"},
        DIAL_BATCH: {"queue": "dial", "routing_key": "dial"},
        "switchboard.reap_*": {"queue": "tick", "routing_key": "tick"},
        "switchboard.dial_*": {"queue": "dial", "routing_key": "dial"},
        "switchboard.control_*": {"queue": "control", "routing_key": "control"},
        "switchboard.reconcile*": {"queue": "control", "routing_key": "control"},
    },
    # A message is acknowledged after its task ran, and a worker takes one at a time, so a
    # worker that dies holds at most one unacknowledged message, which the broker redelivers.
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=60,
    task_time_limit=90,
    task_annotations={
        # A tick lost with its worker is replaced by the next one a second later: no late ack,
        # and a tick that waited longer than a few seconds is stale and dropped (expires).
        TICK: {"acks_late": False, "soft_time_limit": 10, "time_limit": 20},
        REAP_QUEUED: {"acks_late": False, "soft_time_limit": 20, "time_limit": 30},
        # A dial batch lost with its worker would lose calls: put it back on the queue.
        # A failover lost with its worker is not worth redelivering late: the inline plan's own
        # hold ends in the abandon message anyway.
        DIAL_FAILOVER: {"acks_late": False, "soft_time_limit": 10, "time_limit": 20},
        DIAL_BATCH: {
            "acks_late": True,
            "reject_on_worker_lost": True,
            "soft_time_limit": DIAL_SOFT_LIMIT,
            "time_limit": DIAL_HARD_LIMIT,
        },
    },
    broker_transport_options=_transport_options(),
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    # Flower shows every task from the moment it is sent.
    worker_send_task_events=True,
    task_send_sent_event=True,
    task_track_started=True,
    beat_scheduler="django_celery_beat.schedulers:DatabaseScheduler",
    # django-celery-beat re-reads PeriodicTask rows this often; a 1 s tick needs a short loop.
    beat_max_loop_interval=1,
    timezone="UTC",
    enable_utc=True,
)
# Every module in workers/tasks/ is imported when a worker starts, so a new task module needs
# no registration here; producers publish by task name (app.signature(DIAL_BATCH, ...)).
app.conf.imports = tuple(
    f"workers.tasks.{module.name}"
    for module in pkgutil.iter_modules([str(Path(__file__).parent / "tasks")])
)


@worker_process_init.connect
def _fresh_connections_after_fork(**_kwargs: Any) -> None:
    """Drop ESL sockets inherited from the parent: each worker process opens its own."""
    from workers.pool import reset_pool

    reset_pool()
