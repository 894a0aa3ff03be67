"""Flower with /metrics behind its authentication: `python -m workers.flower [flower options]`.

Flower 2.2 authenticates every page and API but serves `/metrics` (worker host names, task names
and counts) to anyone (mher/flower#1342). This launcher puts that handler behind the same check
as the rest, refuses to start without `FLOWER_BASIC_AUTH` (or `--basic-auth`), and refuses a
placeholder of .env.example unless DJANGO_DEBUG is true. Then it runs `celery -A workers flower`
with the given options.
"""

from __future__ import annotations

import os
import sys

import tornado.web

from switchboard.env import env_bool, env_str, is_placeholder


def _credentials(argv: list[str]) -> str:
    """The basic-auth credentials Flower will use: a --basic-auth option, else the variable."""
    for index, arg in enumerate(argv):
        for spelling in ("--basic-auth", "--basic_auth"):
            if arg == spelling and index + 1 < len(argv):
                return argv[index + 1]
            if arg.startswith(spelling + "="):
                return arg.split("=", 1)[1]
    return env_str("FLOWER_BASIC_AUTH", "")


def protect_metrics() -> None:
    """Make Flower's /metrics handler require the authenticated user like every other page."""
    from flower.views import monitor

    get = monitor.Metrics.get
    if not getattr(get, "_switchboard_protected", False):
        protected = tornado.web.authenticated(get)
        protected._switchboard_protected = True  # type: ignore[attr-defined]
        monitor.Metrics.get = protected  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    """Check the credentials, protect /metrics, run Flower."""
    credentials = _credentials(argv)
    if not credentials.strip():
        sys.exit("FLOWER_BASIC_AUTH is required (user:password): Flower can revoke tasks.")
    if is_placeholder(credentials) and not env_bool("DJANGO_DEBUG", False):
        sys.exit(
            "FLOWER_BASIC_AUTH still holds a placeholder (as in .env.example): set a real one."
        )
    if env_bool("FLOWER_UNAUTHENTICATED_API", False):
        sys.exit("FLOWER_UNAUTHENTICATED_API must stay false: the API can revoke tasks.")
    protect_metrics()
    from celery.bin.celery import main as celery_main

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "switchboard.settings")
    sys.argv = ["celery", "-A", "workers", "flower", *argv]
    celery_main()


if __name__ == "__main__":
    main(sys.argv[1:])
