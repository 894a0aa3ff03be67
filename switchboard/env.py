"""Strict helpers that read settings from the environment (12-factor).

Every helper fails loudly on a malformed value instead of guessing: a typo in a
production setting must stop the process at start-up, not change behaviour.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class ImproperlyConfiguredEnv(ValueError):
    """An environment variable holds a value its helper does not accept."""


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable as text; raise if it is unset and has no default."""
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfiguredEnv(f"{name} is required")
        return default
    return value


def env_secret(name: str, default: str | None = None) -> str:
    """Return a secret from NAME, or from the file named by NAME_FILE (Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfiguredEnv(f"{name}_FILE cannot be read: {exc.strerror}") from None
    return env_str(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean; only true/false/1/0/yes/no/on/off are accepted."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    """Return an integer, optionally bounded below."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} must be an integer, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfiguredEnv(f"{name} must be at least {minimum}, not {number}")
    return number


def env_float(name: str, default: float) -> float:
    """Return a float."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ImproperlyConfiguredEnv(f"{name} must be a finite number, not {value!r}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    """Return a comma-separated list with blanks dropped."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Values that mean "nobody set this yet": the placeholders of .env.example and Django's own
# insecure prefix. A process with DJANGO_DEBUG=false refuses them (see refuse_placeholder).
PLACEHOLDER_MARKERS = ("change-me", "django-insecure-")


def is_placeholder(value: str) -> bool:
    """True for a secret still holding a documented placeholder (e.g. .env.example's)."""
    lowered = value.lower()
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def refuse_placeholder(name: str, value: str) -> str:
    """Return the secret, or raise when it is still a placeholder (the message never shows it)."""
    if is_placeholder(value):
        raise ImproperlyConfiguredEnv(
            f"{name} still holds a placeholder value (as in .env.example): set a real secret; "
            "placeholders are accepted only with DJANGO_DEBUG=true"
        )
    return value


def env_proxy_header(name: str) -> tuple[str, str] | None:
    """A "Header-Name: value" pair as Django's SECURE_PROXY_SSL_HEADER wants it, or None if unset.

    "X-Forwarded-Proto: https" becomes ("HTTP_X_FORWARDED_PROTO", "https").
    """
    raw = env_str(name, "").strip()
    if not raw:
        return None
    header, sep, value = raw.partition(":")
    header, value = header.strip(), value.strip()
    if not sep or not value or not header or not all(c.isalnum() or c == "-" for c in header):
        raise ImproperlyConfiguredEnv(
            f'{name} must look like "X-Forwarded-Proto: https", not {raw!r}'
        )
    return "HTTP_" + header.upper().replace("-", "_"), value
