"""docker-compose.yml parses and every service runs a command this code base really has.

Docker is not available where the tests run, so this checks what can go stale: management
commands, Celery queues, importable modules and the variables the file interpolates.
"""

import importlib.util
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = sorted(name for name, spec in SERVICES.items() if spec.get("build"))


def test_the_stack_has_every_part():
    assert set(SERVICES) >= {
        "postgres", "redis", "web", "worker", "beat", "listener", "consumer", "flower", "emulator",
    }


@pytest.mark.parametrize("service", APP_SERVICES)
def test_each_app_service_command_exists(service):
    command = SERVICES[service]["command"]
    text = " ".join(command)
    for name in re.findall(r"manage\.py (\w+)", text):
        assert name in get_commands(), f"{service}: no management command {name!r}"
    if command[0] == "gunicorn":
        # The shared config keeps credentials out of the access log (switchboard/gunicorn_conf.py).
        assert command[1:3] == ["-c", "python:switchboard.gunicorn_conf"]
        assert importlib.util.find_spec("switchboard.gunicorn_conf") is not None
        assert importlib.util.find_spec(command[3]) is not None
    if command[:3] == ["celery", "-A", "workers"]:
        from workers.celery import app

        assert command[3] in {"worker", "beat", "flower"}
        if "-Q" in command:
            queues = set(command[command.index("-Q") + 1].split(","))
            assert queues == {queue.name for queue in app.conf.task_queues}
    if command[:3] == ["python", "-m", "workers.flower"]:
        assert importlib.util.find_spec("workers.flower") is not None
    if command[:3] == ["python", "-m", "emulator"]:
        assert importlib.util.find_spec("emulator.__main__") is not None


def test_emulator_command_line_is_accepted_by_the_emulator():
    from emulator.__main__ import parse_args

    args = parse_args(SERVICES["emulator"]["command"][3:])
    assert (args.nodes, args.host, args.esl_port) == (3, "0.0.0.0", 8021)
    assert "--password" not in SERVICES["emulator"]["command"]  # not in `ps` output
    assert SERVICES["emulator"]["environment"]["EMULATOR_ESL_PASSWORD"].startswith(
        "${FREESWITCH_PASSWORD"
    )


def test_flower_requires_basic_auth():
    env = SERVICES["flower"]["environment"]
    assert env["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    # The launcher that also puts /metrics behind the basic auth.
    assert SERVICES["flower"]["command"][:3] == ["python", "-m", "workers.flower"]


def test_the_esl_password_has_no_cluecon_default():
    assert SERVICES["web"]["environment"]["FREESWITCH_PASSWORD"].startswith(
        "${FREESWITCH_PASSWORD:?"
    )


def test_every_interpolated_variable_is_documented_in_env_example():
    text = (REPO / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(),
                                re.MULTILINE))
    assert sorted(used - documented) == []
