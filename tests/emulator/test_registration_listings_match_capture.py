"""`sofia xmlstatus ... reg` and `sofia status ... reg` bodies, against captures 13 and 12."""

from __future__ import annotations

import json
import re

from tests.emulator.captures import conversation


def _api_body(capture: str, command: str, nth: int = 0) -> str:
    pending: list[str] = []
    seen = 0
    for kind, item in conversation(capture):
        if kind == "C":
            pending.extend(c.strip() for c in item.decode().split("\n\n") if c.strip())
        elif item.content_type in ("api/response", "command/reply") and pending:
            sent = pending.pop(0)
            if sent == command:
                if seen == nth:
                    return item.body.decode()
                seen += 1
    raise AssertionError(f"{command} not in {capture}")


def _normalise(text: str) -> str:
    text = re.sub(r"(?i)exp\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)", "EXP(T)", text)
    text = re.sub(r"(?i)expsecs\(-?\d+\)", "EXPSECS(N)", text)
    return text.replace("<host>vm</host>", "<host>fs1</host>").replace("\tvm\n", "\tfs1\n")


def _register_like_the_capture(cluster, call_id: str, expires: int) -> None:
    cluster.node("fs1").register_agent(
        user="1000", transport="tcp", expires=expires, network_port=5070, contact_port=5070,
        call_id=call_id, user_agent="sipp-fixture",
    )  # fmt: skip


def test_xmlstatus_reg_body_equals_capture_13(cluster, esl):
    _register_like_the_capture(cluster, "1-28767@127.0.0.1", 30)
    ours = esl().api("sofia xmlstatus profile internal reg")
    theirs = _api_body("13-register-expire-tcp.esl.txt", "api sofia xmlstatus profile internal reg")
    assert _normalise(ours) == _normalise(theirs)


def test_status_reg_listing_equals_capture_12(cluster, esl):
    conn = esl()
    empty = _api_body("12-register-unregister-tcp.esl.txt", "api sofia status profile internal reg")
    assert conn.api("sofia status profile internal reg") == empty
    _register_like_the_capture(cluster, "1-28462@127.0.0.1", 60)
    theirs = _api_body(
        "12-register-unregister-tcp.esl.txt", "api sofia status profile internal reg", nth=1
    )
    assert _normalise(conn.api("sofia status profile internal reg")) == _normalise(theirs)


def test_show_registrations_as_json_has_the_captured_columns(cluster, esl):
    _register_like_the_capture(cluster, "1-28462@127.0.0.1", 60)
    ours = esl().api("show registrations as json")
    theirs = _api_body("12-register-unregister-tcp.esl.txt", "api show registrations as json")
    strip = lambda s: re.sub(r'"expires":"\d+"', '"expires":"E"', s).replace('"vm"', '"fs1"')  # noqa: E731
    assert strip(ours) == strip(theirs)


def test_show_channels_and_calls_as_json_have_the_captured_columns(esl):
    conn = esl()
    conn.api("originate {origination_uuid=u-1}sofia/internal/4008001234@127.0.0.1:5090 &park()")
    capture = "17-filter-nixevent-pipelining.esl.txt"
    for what in ("channels", "calls"):
        ours = json.loads(conn.api(f"show {what} as json"))
        theirs = json.loads(_api_body(capture, f"api show {what} as json"))
        assert ours["row_count"] == 1
        assert list(ours["rows"][0]) == list(theirs["rows"][0])
        row = ours["rows"][0]
        assert (row["uuid"], row["state"], row["callstate"]) == ("u-1", "CS_EXECUTE", "ACTIVE")
