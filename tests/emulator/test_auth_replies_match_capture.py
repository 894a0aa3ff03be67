"""Greeting, auth and pre-auth behaviour, byte for byte against captures 01 and 01b."""

from __future__ import annotations

from tests.emulator.eslraw import RawEsl
from tests.telephony.fixtures import CAPTURE_DIR, server_reads


def _server_writes(name: str) -> list[bytes]:
    return server_reads(CAPTURE_DIR / name)


def test_wrong_password_gets_err_invalid_and_goodbye_in_one_write_then_close(cluster):
    expected = _server_writes("01-auth-rejected.esl.txt")
    conn = RawEsl(cluster.ports["fs1"])
    try:
        assert conn.reply().raw == expected[0]
        conn.send("auth bad\n\n")
        assert conn.wait_eof()
        assert conn.raw == expected[0] + expected[1]
    finally:
        conn.close()


def test_commands_before_auth_are_refused_and_the_socket_stays_open(cluster):
    expected = _server_writes("01b-command-before-auth.esl.txt")
    conn = RawEsl(cluster.ports["fs1"])
    try:
        conn.reply()
        assert conn.cmd("api status").raw == expected[1]
        assert conn.cmd("event plain ALL").raw == expected[2]
        assert conn.cmd("auth ClueCon").raw == expected[3]
        conn.send("exit\n\n")
        assert conn.wait_eof()
        assert conn.raw == b"".join(expected)
    finally:
        conn.close()


def test_the_password_is_never_recorded(cluster, esl):
    esl()
    logged = [c["command"] for c in cluster.node("fs1").commands()]
    assert logged[0] == "auth ********"
    assert not any("ClueCon" in line for line in logged)
