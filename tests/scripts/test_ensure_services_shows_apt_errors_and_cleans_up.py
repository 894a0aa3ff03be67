"""`scripts/ensure_services.sh` shows apt-get's own error when an install fails, and a run that
fails after starting Redis stops that Redis again. Run with stub commands on PATH (no apt, no
service is touched)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure_services.sh"
TOOLS = ("bash", "touch", "mktemp", "cat", "rm", "seq", "sleep", "mkdir", "sort", "tail", "ls",
         "echo")


def stub_path(tmp_path: Path, stubs: dict[str, str]) -> str:
    """A PATH holding only the shell tools the script needs and the given stub commands."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        for folder in ("/usr/bin", "/bin"):
            if os.path.exists(f"{folder}/{tool}"):
                (bin_dir / tool).symlink_to(f"{folder}/{tool}")
                break
    for name, body in stubs.items():
        path = bin_dir / name
        path.write_text("#!/bin/bash\n" + body + "\n")
        path.chmod(0o755)
    return str(bin_dir)


def run(path: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/bash", str(SCRIPT)], env={"PATH": path, "HOME": "/tmp"},
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_failing_apt_get_shows_its_error_and_fails(tmp_path):
    path = stub_path(tmp_path, {
        # dpkg writes its errors to stdout, which a quiet install must not swallow.
        "apt-get": ('[ "$1" = update ] && exit 0; '
                    'echo "dpkg: error processing package redis-server (stub)"; exit 100'),
    })

    done = run(path)

    assert done.returncode != 0
    assert "dpkg: error processing package redis-server (stub)" in done.stdout + done.stderr


def test_a_failure_after_starting_redis_stops_that_redis(tmp_path):
    calls = tmp_path / "calls"
    path = stub_path(tmp_path, {
        # Redis and PostgreSQL are installed; Redis is not running until started.
        "redis-server": f'echo "redis-server $*" >> {calls}; touch {tmp_path}/up',
        "redis-cli": (f'echo "redis-cli $*" >> {calls}; '
                      f'if [[ "$*" == *shutdown* ]]; then rm -f {tmp_path}/up; exit 0; fi; '
                      f'[ -e {tmp_path}/up ]'),
        "pg_ctlcluster": "exit 1",
        "pg_isready": "exit 2",  # PostgreSQL never answers: the run fails after Redis started
        "pg_conftool": "echo 5432",
    })

    done = run(path)

    assert done.returncode != 0
    assert "PostgreSQL did not start" in done.stderr, done.stderr
    log = calls.read_text()
    assert "redis-server --daemonize yes" in log
    assert "shutdown" in log.splitlines()[-1], log
    assert not (tmp_path / "up").exists()
