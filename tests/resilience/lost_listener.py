"""Shared steps of the end-to-end fault tests: a web process serving the CDR endpoint, the
cluster's nodes posting CDRs to it (or to a dead URL), and the listener killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from campaigns.models import CallAttempt, Campaign, Target
from tests.processes import Process
from tests.redis_server import free_port

CDR_USER, CDR_PASSWORD = "switchboard", "cdr-e2e-s3cret"
DEAD_URL = "http://127.0.0.1:1"


def start_web(world) -> tuple[Process, str]:
    """gunicorn serving the project (the CDR endpoint) on a free port."""
    port = free_port()
    env = {**world.env, "CDR_USERNAME": CDR_USER, "CDR_PASSWORD": CDR_PASSWORD}
    web = Process([sys.executable, "-m", "gunicorn", "switchboard.wsgi", "-b",
                   f"127.0.0.1:{port}", "-w", "2", "--threads", "4"], env, "web",
                  stop_signal=signal.SIGINT)  # gunicorn's quick shutdown, not 30 s graceful
    web.wait_for("Booting worker", timeout=30)
    return web, f"http://127.0.0.1:{port}"


def post_cdrs(world, base_url: str, err_log_dir: str = "") -> None:
    """Every node posts both modules' CDRs, as json_cdr.conf.xml / xml_cdr.conf.xml say."""
    for node in world.nodes:
        modules = []
        for module, encode in (("json", "false"), ("xml", "true")):
            modules.append({
                "module": module, "url": f"{base_url}/cdr/{module}", "encode": encode,
                "cred": f"{CDR_USER}:{CDR_PASSWORD}", "retries": 1, "delay": 0.3,
                "timeout": 3, "prefix_a_leg": module == "xml",
                "err_log_dir": os.path.join(err_log_dir, f"{module}_cdr") if err_log_dir else "",
            })
        world.cluster.node(node).call("configure_cdr", modules=modules)


def every(seconds: int, name: str, task: str) -> None:
    interval, _ = IntervalSchedule.objects.get_or_create(every=seconds,
                                                         period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(name=name, defaults={"task": task,
                                                               "interval": interval})


def kill_listener(world) -> None:
    for proc in world.processes:
        if proc.kind == "listener" and proc.alive:
            os.kill(proc.proc.pid, signal.SIGKILL)
            proc.proc.wait(timeout=10)


def redialled_after_answer(campaign: Campaign) -> list[int]:
    """Targets dialled again after an attempt whose callee answered (must be none)."""
    bad = []
    rows = CallAttempt.objects.filter(campaign=campaign).order_by("target_id", "created_at")
    by_target: dict[int, list[CallAttempt]] = {}
    for attempt in rows:
        by_target.setdefault(attempt.target_id, []).append(attempt)
    for target_id, attempts in by_target.items():
        answered = [a for a in attempts if a.answered_at is not None
                    or a.outcome == "answered"]
        if answered and any(a.created_at > answered[0].created_at for a in attempts):
            bad.append(target_id)
    return bad


def states(campaign: Campaign) -> Counter[str]:
    return Counter(Target.objects.filter(campaign=campaign).values_list("state", flat=True))


def wait_seconds(seconds: float) -> None:
    time.sleep(seconds)
