#!/usr/bin/env python3
"""`make demo`: the whole of Switchboard on one machine, on three emulated FreeSWITCH nodes.

Steps:
1. Make sure Redis is installed (apt-get on a fresh Debian machine) and start a private one.
2. Make sure PostgreSQL runs (scripts/ensure_services.sh installs and starts it, as for the
   tests: the demo runs on the database engine the tests cover), create the demo's own database
   (`switchboard_demo`) when it is missing, and migrate it.
3. Create the admin user and an agent login and print their credentials; seed a trunk, agents,
   a campaign and its dispositions.
4. Start the emulated FreeSWITCH cluster and the agent simulator, then the web server, a Celery
   worker, beat, the event listener, the results consumer and Flower; print the URLs.
5. On Ctrl-C (SIGINT), SIGTERM or after --duration seconds, stop every process group cleanly.

Secrets (Django's key, the admin's, Flower's and the ESL password) are generated once per run
directory and kept there (mode 0600), so a second run prints the same credentials.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_agents import AgentSimulator, script_far_ends  # noqa: E402
from demo_passes import CampaignWatcher, ProgressReporter  # noqa: E402
from demo_phones import PhoneSimulator  # noqa: E402
from demo_procs import Supervisor, port_is_free, wait_for_port  # noqa: E402

from emulator.control import EmulatorControl  # noqa: E402

HOST = "127.0.0.1"
# The tests' PostgreSQL (scripts/ensure_services.sh makes the role), the demo's own database.
DEFAULT_DATABASE_URL = "postgres://switchboard:switchboard@127.0.0.1:5432/switchboard_demo"
NODE_NAMES = ("fs1", "fs2", "fs3")
# demo_seed.SIP_DOMAIN (importing demo_seed needs Django set up; start_proxy checks they agree)
PROXY_DOMAIN = "demo.switchboard.test"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line, each option with an environment default (DEMO_*)."""
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default=env("DEMO_RUN_DIR", str(REPO / "var" / "demo")),
                        help="state, logs and secrets of this demo (default var/demo)")
    parser.add_argument("--duration", type=float, default=float(env("DEMO_DURATION", "0")),
                        help="stop after this many seconds (0: run until Ctrl-C)")
    parser.add_argument("--web-port", type=int, default=int(env("DEMO_WEB_PORT", "8470")))
    parser.add_argument("--flower-port", type=int, default=int(env("DEMO_FLOWER_PORT", "5570")))
    parser.add_argument("--esl-port", type=int, default=int(env("DEMO_ESL_PORT", "18021")),
                        help="first emulated node's ESL port; the others follow it")
    parser.add_argument("--control-port", type=int,
                        default=int(env("DEMO_CONTROL_PORT", "18090")),
                        help="the emulator's control API")
    parser.add_argument("--redis-port", type=int, default=int(env("DEMO_REDIS_PORT", "6479")),
                        help="port of the demo's private Redis (ignored with --redis-url)")
    parser.add_argument("--redis-url", default=env("DEMO_REDIS_URL", ""),
                        help="use this Redis instead of starting a private one")
    parser.add_argument("--database-url", default=env("DATABASE_URL", "") or DEFAULT_DATABASE_URL,
                        help="a PostgreSQL URL; its database is created when missing "
                             f"(default {DEFAULT_DATABASE_URL.replace(':switchboard@', ':***@')})")
    parser.add_argument("--targets", type=int, default=int(env("DEMO_TARGETS", "300")))
    parser.add_argument("--agents", type=int, default=int(env("DEMO_AGENTS", "12")))
    parser.add_argument("--no-flower", action="store_true", help="do not start Flower")
    parser.add_argument("--sip-proxy", action="store_true",
                        default=env("DEMO_SIP_PROXY", "false").lower() in ("1", "true", "yes"),
                        help="put a real Kamailio in front of the nodes: SIPp softphones "
                        "register with it and the nodes call the agents through it "
                        "(docs/sip-edge.md; needs `make services` for Kamailio and SIPp)")
    parser.add_argument("--sip-port", type=int, default=int(env("DEMO_SIP_PORT", "15060")),
                        help="the proxy's SIP port; its JSON-RPC and evapi ports follow it")
    parser.add_argument("--no-recycle", action="store_true",
                        default=env("DEMO_NO_RECYCLE", "false").lower() in ("1", "true", "yes"),
                        help="when the campaign completes, do not start another pass")
    return parser.parse_args(argv)


def say(message: str) -> None:
    """Progress lines on stdout, flushed so a pipe sees them at once."""
    print(f"[demo] {message}", flush=True)


def stable_secret(run_dir: Path, name: str, nbytes: int = 18) -> str:
    """A random secret kept in the run directory, so it stays the same from run to run."""
    path = run_dir / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(nbytes)
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    return value


def ensure_redis_installed() -> str:
    """Return the redis-server binary, installing Debian's package when it is missing."""
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("redis-server is missing: run `sudo apt-get install -y redis-server`")
    say("installing redis-server with apt-get")
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt_env)
    # dpkg prints every unpacked file even with -qq; keep it out of the demo's output.
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "redis-server"],
        check=True, env=apt_env, stdout=subprocess.DEVNULL,
    )
    # Debian's package starts a system Redis on 6379; the demo uses its own on another port.
    return shutil.which("redis-server") or "/usr/bin/redis-server"


def ensure_database(url: str) -> None:
    """Make sure the PostgreSQL server in `url` answers and its database exists.

    On this machine (127.0.0.1 / localhost) a server that does not answer is installed and
    started by scripts/ensure_services.sh, as `make test` does. Idempotent.
    """
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"the demo runs on PostgreSQL, as the tests do: not {parsed.scheme!r}")
    name = parsed.path.lstrip("/")
    params = {"host": parsed.hostname or HOST, "port": parsed.port or 5432,
              "user": parsed.username or "", "password": parsed.password or "",
              "dbname": "postgres", "connect_timeout": 5}

    def connect() -> Any:
        return psycopg.connect(**params, autocommit=True)

    try:
        conn = connect()
    except psycopg.OperationalError:
        if params["host"] not in ("127.0.0.1", "localhost", "::1"):
            raise
        say("PostgreSQL does not answer: running scripts/ensure_services.sh")
        subprocess.run(["bash", str(REPO / "scripts" / "ensure_services.sh")], check=True,
                       env={**os.environ, "PGROLE": params["user"] or "switchboard"})
        conn = connect()
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            say(f"creating the database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def check_ports(ports: dict[str, int]) -> None:
    """Refuse to start when a port is taken: a half-started demo helps nobody."""
    taken = [f"{name} {port}" for name, port in ports.items() if not port_is_free(HOST, port)]
    if taken:
        raise SystemExit(
            "ports in use: " + ", ".join(taken)
            + " (is another demo running? choose others with --web-port etc.)"
        )


def build_env(args: argparse.Namespace, run_dir: Path, redis_url: str) -> dict[str, str]:
    """The environment every process of the demo shares (see .env.example)."""
    database_url = args.database_url
    esl_password = stable_secret(run_dir, "esl-password")
    nodes = ",".join(
        f"{name}={HOST}:{args.esl_port + index}" for index, name in enumerate(NODE_NAMES)
    )
    flower_password = stable_secret(run_dir, "flower-password")
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "switchboard.settings",
        "DJANGO_SECRET_KEY": stable_secret(run_dir, "django-secret-key", 40),
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "FREESWITCH_NODES": nodes,
        "FREESWITCH_PASSWORD": esl_password,
        "EMULATOR_ESL_PASSWORD": esl_password,
        "FLOWER_BASIC_AUTH": os.environ.get("FLOWER_BASIC_AUTH", f"admin:{flower_password}"),
        "FLOWER_UNAUTHENTICATED_API": "false",
    }
    if args.sip_proxy:
        sip = args.sip_port
        env["SIP_PROXIES"] = f"kam1={HOST}:{sip}:{sip + 2}:{sip + 1}"
        env["SIP_PROXY_DOMAIN"] = PROXY_DOMAIN
    return env


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while the demo was still starting."""


def prepare_database(env: dict[str, str], admin_password: str, agent_password: str, agents: int,
                     targets: int) -> Any:
    """Migrate, collect static files, create the admin and seed; in this process, then close."""
    # Django reads its settings from the environment at setup: the demo's must be in place.
    os.environ.update(env)
    import django

    django.setup()
    import demo_seed
    from django.core.management import call_command, get_commands
    from django.db import connections

    say("migrating the database")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if "setup_schedules" in get_commands():  # beat's one-second tick and the reapers
        call_command("setup_schedules", verbosity=0, stdout=io.StringIO())
    else:
        say("WARNING: `manage.py setup_schedules` does not exist in this checkout: no tick")
    demo_seed.ensure_admin(admin_password)
    seeded = demo_seed.seed(agent_count=agents, target_count=targets)
    demo_seed.ensure_agent_login(agent_password)
    connections.close_all()  # the children open their own
    return seeded


def main(argv: list[str] | None = None) -> int:
    """Run the demo until Ctrl-C, SIGTERM or --duration; return the exit status."""
    args = parse_args(argv)
    run_dir = Path(args.run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    ports = {"web": args.web_port, "emulator control": args.control_port}
    ports.update({f"ESL {name}": args.esl_port + i for i, name in enumerate(NODE_NAMES)})
    if not args.no_flower:
        ports["flower"] = args.flower_port
    if not args.redis_url:
        ports["redis"] = args.redis_port
    check_ports(ports)

    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        say(f"{signal.Signals(signum).name} received: stopping")
        stopping.set()

    def unless_stopping() -> None:
        """Between start-up steps: give up at once if Ctrl-C came meanwhile."""
        if stopping.is_set():
            raise Interrupted

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    redis_url = args.redis_url or f"redis://{HOST}:{args.redis_port}/0"
    env = build_env(args, run_dir, redis_url)
    supervisor = Supervisor(log_dir=run_dir / "logs", env=env, cwd=REPO)
    status = 0
    try:
        if not args.redis_url:
            redis_server = ensure_redis_installed()
            (run_dir / "redis").mkdir(exist_ok=True)
            child = supervisor.start("redis", tier=0, argv=[
                redis_server, "--bind", HOST, "--port", str(args.redis_port), "--save", "",
                "--appendonly", "no", "--dir", str(run_dir / "redis"), "--protected-mode", "yes",
            ])
            wait_for_port(HOST, args.redis_port, 20, lambda c=child: c.alive)

        admin_password = stable_secret(run_dir, "admin-password", 12)
        agent_password = stable_secret(run_dir, "agent-password", 12)
        unless_stopping()
        ensure_database(env["DATABASE_URL"])
        seeded = prepare_database(env, admin_password, agent_password, args.agents,
                                  args.targets)
        say(f"seeded campaign #{seeded.campaign_id} with {seeded.targets} targets and "
            f"{len(seeded.users)} agents")
        unless_stopping()
        phone_password = start_proxy(supervisor, args, run_dir, seeded.users) \
            if args.sip_proxy else ""
        control = start_cluster(supervisor, args, python)
        agents: Any = (PhoneSimulator(args.sip_port, seeded.users, phone_password)
                       if args.sip_proxy else
                       AgentSimulator(control, NODE_NAMES, seeded.users, domain=seeded.domain))
        agents.log_in_everyone()
        unless_stopping()
        start_services(supervisor, args, python)
        unless_stopping()
        # The simulator is a thread: start it after the last child, since the children are
        # started with a pre-exec hook, which is only safe while this process has one thread.
        agents.start_thread()
        print_banner(args, env, admin_password, seeded.campaign_id, run_dir)

        def reseed() -> int:
            import demo_seed

            return demo_seed.seed(agent_count=args.agents, target_count=args.targets).campaign_id

        watcher = CampaignWatcher(
            seeded.campaign_id,
            say=say,
            banner=lambda campaign_id: print_banner(
                args, env, admin_password, campaign_id, run_dir
            ),
            another_pass=not args.no_recycle,
            reseed=reseed,
        )
        progress = ProgressReporter(say)

        def on_tick() -> None:
            watcher.check()
            progress.check()

        status = supervise(supervisor, args, stopping, on_tick)
        agents.stop()
        say("agent simulator: " + ", ".join(f"{k} {v}" for k, v in agents.counts.items()))
    except Interrupted:
        status = 0
    except Exception as exc:  # report, stop what was started, exit non-zero
        say(f"failed: {exc}")
        status = 1
    finally:
        say("stopping every process")
        supervisor.stop_all()
        say("stopped")
    return status


def start_cluster(supervisor: Supervisor, args: argparse.Namespace, python: str) -> EmulatorControl:
    """Start three emulated FreeSWITCH nodes, script their far ends and log the agents in."""
    import demo_seed

    emulator = supervisor.start("emulator", tier=1, argv=[
        python, "-m", "emulator", "--nodes", str(len(NODE_NAMES)), "--host", HOST,
        "--esl-port", str(args.esl_port), "--control-port", str(args.control_port),
        "--tcp-drop-mode", "stock-unreg", "--heartbeat", "5",
        *(["--sip-proxy", f"{HOST}:{args.sip_port}"] if args.sip_proxy else []),
    ])
    for index in range(len(NODE_NAMES)):
        wait_for_port(HOST, args.esl_port + index, 30, lambda: emulator.alive)
    wait_for_port(HOST, args.control_port, 30, lambda: emulator.alive)
    control = EmulatorControl(f"http://{HOST}:{args.control_port}")
    script_far_ends(control, demo_seed.NUMBER_BASE)
    return control


def start_proxy(supervisor: Supervisor, args: argparse.Namespace, run_dir: Path,
                users: tuple[str, ...]) -> str:
    """Render the project's Kamailio config for the demo and start it; the phones' password."""
    import demo_seed

    from telephony.edge_config import EdgeConfig, EdgeNode, write

    if demo_seed.SIP_DOMAIN != PROXY_DOMAIN:
        raise RuntimeError("demo.PROXY_DOMAIN must be demo_seed.SIP_DOMAIN")

    if shutil.which("kamailio") is None or shutil.which("sipp") is None:
        raise RuntimeError("--sip-proxy needs Kamailio and SIPp: run `make services` (or "
                           "bash scripts/ensure_sip_edge.sh) first")
    password = stable_secret(run_dir, "phone-password", 12)
    numbers = sorted(int(user) for user in users)
    sip = args.sip_port
    config = EdgeConfig(
        sip_port=sip, rpc_port=sip + 1, evapi_port=sip + 2, rundir=str(run_dir / "kamailio"),
        cfgdir=str(run_dir / "kamailio"), domain=demo_seed.SIP_DOMAIN,
        nodes=(EdgeNode("fs1", HOST, 5080),),  # the emulator's INVITEs come from 127.0.0.1
        dev_users=(numbers[0], numbers[-1]), dev_password=password)
    path = write(config)
    proxy = supervisor.start("kamailio", tier=1, argv=[
        "kamailio", "-f", str(path), "-DD", "-E", "-m", "64", "-M", "8"])
    wait_for_port(HOST, sip + 1, 30, lambda: proxy.alive)
    say(f"Kamailio on {HOST}:{sip} (JSON-RPC {sip + 1}, evapi {sip + 2})")
    return password


def start_services(supervisor: Supervisor, args: argparse.Namespace, python: str) -> None:
    """Start the Switchboard processes, each checked as it comes up."""
    from django.core.management import get_commands

    celery = [python, "-m", "celery", "-A", "workers"]
    web = supervisor.start("web", tier=2, argv=[
        python, "-m", "gunicorn", "-c", "python:switchboard.gunicorn_conf", "switchboard.wsgi",
        "--bind", f"{HOST}:{args.web_port}",
        "--workers", "2", "--threads", "4", "--access-logfile", "-", "--graceful-timeout", "5",
        "--no-control-socket",  # its default path in $HOME would clash between two demos
    ])
    supervisor.start("worker", tier=2, argv=[
        *celery, "worker", "--loglevel", "INFO", "--concurrency", "4",
        "-Q", "tick,dial,control,default", "--hostname", "demo-worker@%h",
    ])
    # The schedule lives in the database (django-celery-beat, installed by setup_schedules).
    supervisor.start("beat", tier=2, argv=[*celery, "beat", "--loglevel", "INFO"])
    for name, command in (("listener", "listen"), ("consumer", "consume_events")):
        if command not in get_commands():
            say(f"WARNING: `manage.py {command}` does not exist in this checkout: no {name}")
            continue
        supervisor.start(name, tier=2, argv=[python, "manage.py", command])
    if not args.no_flower:
        # workers.flower: Flower with /metrics behind the same basic auth as its pages.
        # Flower inspects the workers as it starts and logs an error for each worker that has
        # not answered yet: start it once the worker answers a ping, and the log stays clean.
        wait_for_worker(python)
        flower = supervisor.start("flower", tier=2, argv=[
            python, "-m", "workers.flower", f"--address={HOST}", f"--port={args.flower_port}",
        ])
        wait_for_port(HOST, args.flower_port, 60, lambda: flower.alive)
    wait_for_port(HOST, args.web_port, 60, lambda: web.alive)


def wait_for_worker(python: str, timeout: float = 60.0) -> None:
    """Until a Celery worker answers `inspect ping` (or the timeout: Flower starts anyway)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = subprocess.run(
            [python, "-m", "celery", "-A", "workers", "inspect", "ping", "--timeout", "1"],
            cwd=REPO, env=os.environ.copy(), capture_output=True, check=False,
        )
        if done.returncode == 0:
            return
        time.sleep(0.5)
    say("WARNING: the worker did not answer a ping; starting Flower anyway")


def print_banner(args, env: dict[str, str], admin_password: str, campaign_id: int,
                 run_dir: Path) -> None:
    """Tell the person at the terminal where everything is and how to log in."""
    web = f"http://{HOST}:{args.web_port}"
    flower_user = env["FLOWER_BASIC_AUTH"].split(":", 1)[0]
    lines = [
        "",
        "Switchboard demo is running",
        f"  Admin           {web}/admin/   user: admin   password: {admin_password}",
        f"  Agent page      {web}/agent/login/   user: agent1001   password: "
        f"{stable_secret(run_dir, 'agent-password', 12)}",
        f"  Dashboard       {web}/dashboard/",
        f"  Demo campaign   {web}/dashboard/campaigns/{campaign_id}/",
        f"  API docs        {web}/api/docs/",
        f"  Health          {web}/healthz",
    ]
    if not args.no_flower:
        flower_secret = env["FLOWER_BASIC_AUTH"].split(":", 1)[1]
        lines.append(f"  Flower          http://{HOST}:{args.flower_port}/   user: {flower_user}"
                     f"   password: {flower_secret}")
    lines += [
        f"  Logs            {run_dir / 'logs'}",
        f"  Database        {_redact(env['DATABASE_URL'])}",
        "  Stop with Ctrl-C" + (f" (or wait {args.duration:.0f} s)" if args.duration else ""),
        "",
    ]
    print("\n".join(lines), flush=True)


def _redact(url: str) -> str:
    """A database URL without its password, for the banner."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def supervise(supervisor: Supervisor, args: argparse.Namespace, stopping: threading.Event,
              on_tick: Any = None) -> int:
    """Wait for a signal or the end of --duration; a child that dies stops the demo."""
    deadline = time.monotonic() + args.duration if args.duration else None
    while not stopping.wait(0.5):
        if on_tick is not None:
            try:
                on_tick()
            except Exception as exc:  # the demo keeps running: the watcher is a nicety
                say(f"campaign watcher: {type(exc).__name__}: {exc}")
        dead = supervisor.dead()
        if dead:
            for child in dead:
                say(f"{child.name} exited with status {child.process.returncode}; "
                    f"see {child.log_path}")
            return 1
        if deadline is not None and time.monotonic() >= deadline:
            say(f"{args.duration:.0f} s elapsed")
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
