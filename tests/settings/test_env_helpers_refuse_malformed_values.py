"""Settings helpers accept only well-formed values and say which variable is wrong."""

import pytest

from switchboard.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_secret,
    env_str,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("False", False), ("1", True), ("0", False), ("yes", True), ("off", False)],
)
def test_bool_accepts_only_true_and_false_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SB_FLAG", raw)
    assert env_bool("SB_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["ture", "2", "enabled", "y e s"])
def test_bool_refuses_anything_else(monkeypatch, raw):
    monkeypatch.setenv("SB_FLAG", raw)
    with pytest.raises(ImproperlyConfiguredEnv, match="SB_FLAG must be true or false"):
        env_bool("SB_FLAG", False)


@pytest.mark.parametrize(
    ("raw", "message"),
    [("ten", "SB_N must be an integer"), ("-1", "SB_N must be at least 0")],
)
def test_int_refuses_malformed_and_out_of_range(monkeypatch, raw, message):
    monkeypatch.setenv("SB_N", raw)
    with pytest.raises(ImproperlyConfiguredEnv, match=message):
        env_int("SB_N", 5, minimum=0)


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf"])
def test_float_refuses_non_finite_values(monkeypatch, raw):
    monkeypatch.setenv("SB_SECONDS", raw)
    with pytest.raises(ImproperlyConfiguredEnv, match="SB_SECONDS must be a finite number"):
        env_float("SB_SECONDS", 1.0)


def test_float_reads_a_number(monkeypatch):
    monkeypatch.setenv("SB_SECONDS", "2.5")
    assert env_float("SB_SECONDS", 1.0) == 2.5


def test_required_string_without_default_is_an_error(monkeypatch):
    monkeypatch.delenv("SB_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfiguredEnv, match="SB_REQUIRED is required"):
        env_str("SB_REQUIRED")


def test_list_drops_blanks(monkeypatch):
    monkeypatch.setenv("SB_HOSTS", " a, ,b ,")
    assert env_list("SB_HOSTS") == ["a", "b"]


def test_secret_comes_from_its_file_and_never_appears_in_errors(monkeypatch, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("hunter2-long-secret\n")
    monkeypatch.setenv("SB_PW_FILE", str(secret))
    assert env_secret("SB_PW") == "hunter2-long-secret"
    monkeypatch.setenv("SB_PW_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfiguredEnv) as error:
        env_secret("SB_PW")
    assert "SB_PW_FILE cannot be read" in str(error.value)
    assert "hunter2" not in str(error.value)
