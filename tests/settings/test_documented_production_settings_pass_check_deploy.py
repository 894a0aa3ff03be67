"""docs/operations.md's production-behind-TLS settings make `manage.py check --deploy` clean."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from switchboard.env import ImproperlyConfiguredEnv, env_proxy_header

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- production-env -->\s*```sh\n(.*?)```", re.DOTALL)


def documented_production_env() -> dict[str, str]:
    block = BLOCK.search((REPO / "docs" / "operations.md").read_text()).group(1)
    pairs = (line.split("=", 1) for line in block.splitlines() if re.match(r"^[A-Z_]+=", line))
    return {name: value.strip().strip('"') for name, value in pairs}


def test_check_deploy_is_clean_for_the_documented_production_configuration():
    documented = documented_production_env()
    assert {"DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_HSTS_SECONDS"} <= set(documented)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FREESWITCH_"))},
        **documented,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    }

    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_without_them_check_deploy_names_the_tls_warnings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SECURE")}
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)

    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode != 0
    found = set(re.findall(r"security\.(W\d+)", done.stderr + done.stdout))
    assert {"W004", "W008", "W012", "W016"} <= found


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("X-Forwarded-Proto: https", ("HTTP_X_FORWARDED_PROTO", "https")), ("", None)],
)
def test_the_proxy_header_helper_reads_header_and_value(monkeypatch, raw, expected):
    monkeypatch.setenv("SB_PROXY", raw)
    assert env_proxy_header("SB_PROXY") == expected


@pytest.mark.parametrize(
    "raw", ["X-Forwarded-Proto", "X-Forwarded-Proto:", "X Fwd: https", ": https"]
)
def test_the_proxy_header_helper_refuses_anything_else(monkeypatch, raw):
    monkeypatch.setenv("SB_PROXY", raw)
    with pytest.raises(ImproperlyConfiguredEnv, match='SB_PROXY must look like "X-Forwarded-Proto'):
        env_proxy_header("SB_PROXY")
