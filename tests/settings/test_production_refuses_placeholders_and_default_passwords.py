"""With DJANGO_DEBUG=false the settings refuse .env.example's placeholders and a silent ClueCon."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from switchboard.env import ImproperlyConfiguredEnv

SETTINGS = Path(__file__).resolve().parents[2] / "switchboard" / "settings.py"
REAL_KEY = "k" * 20 + "-a-real-random-production-key-9f2c1e7b"


def load(monkeypatch, **env: str) -> dict:
    for name in (
        "FREESWITCH_PASSWORD",
        "FREESWITCH_PASSWORD_FILE",
        "FREESWITCH_NODES",
        "FREESWITCH_PASSWORD_FS1",
        "DJANGO_DEBUG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_SECRET_KEY", REAL_KEY)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_SECRET_KEY", "change-me-to-a-long-random-string"),
        ("DJANGO_SECRET_KEY", "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz"),
        ("FREESWITCH_PASSWORD", "change-me-esl-password"),
        ("DATABASE_URL", "postgres://switchboard:change-me@127.0.0.1:5432/switchboard"),
    ],
)
def test_a_placeholder_secret_stops_a_production_process(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfiguredEnv) as caught:
        env = {"FREESWITCH_NODES": "fs1=10.0.0.5:8021", "FREESWITCH_PASSWORD": "a-real-pw"}
        load(monkeypatch, **{**env, name: value})

    assert "placeholder" in str(caught.value)
    assert value not in str(caught.value)  # the message never repeats a secret


def test_placeholders_are_accepted_in_debug(monkeypatch):
    values = load(
        monkeypatch, DJANGO_DEBUG="true", DJANGO_SECRET_KEY="change-me-to-a-long-random-string"
    )

    assert values["SECRET_KEY"] == "change-me-to-a-long-random-string"


def test_a_listed_node_without_a_password_stops_a_production_process(monkeypatch):
    with pytest.raises(ImproperlyConfiguredEnv) as caught:
        load(monkeypatch, FREESWITCH_NODES="fs1=10.0.0.5:8021")

    assert str(caught.value) == (
        "FREESWITCH_PASSWORD (or FREESWITCH_PASSWORD_FS1) is required for node fs1: "
        "FreeSWITCH's default ClueCon is assumed only with DJANGO_DEBUG=true"
    )


def test_cluecon_is_the_default_only_in_debug_and_explicit_passwords_win(monkeypatch):
    debug = load(monkeypatch, DJANGO_DEBUG="true", FREESWITCH_NODES="fs1=10.0.0.5:8021")
    per_node = load(
        monkeypatch,
        FREESWITCH_NODES="fs1=10.0.0.5:8021",
        FREESWITCH_PASSWORD_FS1="node-own-password",
    )
    no_nodes = load(monkeypatch)  # nodes come from the admin: no default password is needed

    assert [n.password for n in debug["FREESWITCH_NODES"]] == ["ClueCon"]
    assert [n.password for n in per_node["FREESWITCH_NODES"]] == ["node-own-password"]
    assert no_nodes["FREESWITCH_NODES"] == ()


def test_persistent_database_connections_are_health_checked(monkeypatch):
    values = load(monkeypatch)

    assert values["DATABASES"]["default"]["CONN_HEALTH_CHECKS"] is True
