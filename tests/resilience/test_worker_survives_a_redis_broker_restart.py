"""A Celery worker survives its Redis broker restarting (down, data gone) while a late-acked dial
batch is in flight: it reconnects and runs the next task, round after round.

The crash the fault audit saw (`'NoneType' object has no attribute 'hostname'` after `Restoring
1 unacknowledged message(s)`) is still reachable in kombu 5.7.0, the newest release: a
restore or ack on a channel whose connection was torn down. `workers/kombu_guard.py` turns it
into a recoverable connection error; the first test shows the crash on that exact path with the
guard off and its absence with it on, the second restarts a real Redis under a real worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest
from django.db import connection

from campaigns.models import Target, TargetState
from tests.factories import make_campaign
from tests.processes import ROOT, database_url

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]

PROBE = textwrap.dedent("""
    import sys
    from kombu import Connection
    from kombu.common import ignore_errors
    import workers.celery  # installs the guard unless switched off
    conn = Connection(sys.argv[1])
    channel = conn.default_channel
    channel._pool = None  # as after a reconnect: the next client needs a new pool
    conn._transport.client = None  # what Connection.collect() leaves behind
    channel.connection.client = None
    try:
        ignore_errors(conn, channel.qos.restore_unacked)
        print("survived")
    except AttributeError as exc:
        print("crashed:", exc)
""")


@pytest.mark.parametrize(("guard", "expected"), [
    ("1", "survived"),
    ("0", "crashed: 'NoneType' object has no attribute 'hostname'"),  # the control
])
def test_a_restore_on_a_torn_down_channel_is_a_recoverable_error(own_redis, guard, expected):
    env = {**os.environ, "SWITCHBOARD_KOMBU_RESTORE_GUARD": guard,
           "DJANGO_SETTINGS_MODULE": "switchboard.settings"}
    out = subprocess.run([sys.executable, "-c", PROBE, own_redis.url], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == expected, out.stderr[-2000:]


def _publish(broker_url: str, name: str, *args) -> None:
    from celery import Celery

    from workers.celery import app

    # Not the current app: later tests publish through workers.celery, never to this broker.
    sender = Celery("sender", broker=broker_url, set_as_current=False)
    sender.conf.update(task_routes=app.conf.task_routes, task_queues=app.conf.task_queues,
                       task_default_queue="default", task_default_exchange="switchboard",
                       task_default_routing_key="default",
                       broker_transport_options=app.conf.broker_transport_options)
    sender.send_task(name, args=list(args))
    sender.close()


ROUNDS = 2


def test_the_worker_reconnects_after_each_restart_and_runs_the_next_task(
        own_redis, process_env, celery_worker_factory):
    campaign = make_campaign(status="running")
    env = {**process_env, "CELERY_BROKER_URL": own_redis.url}
    worker = celery_worker_factory(queues=("dial", "control", "default"), concurrency=1,
                                   env=env)
    dsn = database_url(connection.settings_dict).replace("postgres://", "postgresql://")
    for n in range(ROUNDS):
        target = Target.objects.create(campaign=campaign, number=f"+1415555{n:04d}",
                                       state=TargetState.QUEUED)
        # Hold the target's row: the dial batch blocks on its claim, in flight, late-acked.
        with psycopg.connect(dsn) as lock:
            lock.execute("SELECT id FROM campaigns_target WHERE id = %s FOR UPDATE",
                         [target.id])
            _publish(own_redis.url, "switchboard.dial_batch", [target.id])
            _wait_blocked(dsn, worker)  # the batch is running, inside its claim
            own_redis.restart(down_for=2.0)  # its data, the unacked hash too, is gone
            time.sleep(1.0)
            lock.rollback()  # the batch finishes and acks after the broker came back
        _wait(worker, "dial_batch", n + 1, "succeeded")
        _publish(own_redis.url, "switchboard.reconcile_sweep_cdrs")
        _wait(worker, "reconcile_sweep_cdrs", n + 1, "succeeded")
    log = worker.log()
    assert worker.alive, log[-3000:]
    assert "Unrecoverable error" not in log
    assert log.count("Connection to broker lost") >= ROUNDS  # the restarts really happened


def _wait_blocked(dsn: str, worker, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'UPDATE \"campaigns_target\"%%'").fetchone()[0]
            if waiting:
                return
            assert worker.alive, worker.log()[-3000:]
            time.sleep(0.05)
    raise AssertionError(f"the dial batch never blocked on its claim:\n{worker.log()[-3000:]}")


def _wait(worker, task: str, count: int, word: str, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [ln for ln in worker.log().splitlines()
                 if f"Task switchboard.{task}[" in ln and word in ln]
        if len(lines) >= count:
            return
        assert worker.alive, worker.log()[-3000:]
        time.sleep(0.1)
    raise AssertionError(f"no {count} x {task} {word}:\n{worker.log()[-9000:]}")
