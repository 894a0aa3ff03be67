"""The emulator's mod_json_cdr / mod_xml_cdr posts against the real ones (captures 36-42d): the
same request shape, top-level keys and identifying variables; CHANNEL_HANGUP_COMPLETE held back
until the posts (retries included) end unless `queue-capacity` is set; failed posts written to
err-log-dir in the modules' file formats; the 42c encoding trap reproduced.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from telephony.cdr import decode_file, decode_post
from tests.cdr.catcher import Catcher
from tests.cdr.posts import CDR_DIR, posts
from tests.emulator.eslraw import RawEsl

A = "00000000-0000-4000-8000-000000000838"
AF_A = "00000000-0000-4000-8000-000000000837"
AF_B = "00000000-0000-4000-8000-000000008371"
DEAD = "http://127.0.0.1:1"  # nothing listens on port 1 (a freed ephemeral port may be reused)
EVENTS = "event plain CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY BACKGROUND_JOB CHANNEL_BRIDGE"
# The variables of the fixtures README table "Which fields identify our attempt".
IDENTIFYING = {"uuid", "origination_uuid", "attempt_id", "call_uuid", "hangup_cause",
               "hangup_cause_q850", "sip_hangup_disposition", "billsec", "billmsec", "duration",
               "start_uepoch", "answer_uepoch", "bridge_uepoch", "end_uepoch", "start_epoch",
               "answer_epoch", "bridge_epoch", "end_epoch"}


@pytest.fixture
def connect():
    """Authenticated raw connections to a cluster's fs1 (closed afterwards)."""
    conns: list[RawEsl] = []

    def make(cluster) -> RawEsl:
        conn = RawEsl(cluster.ports["fs1"])
        conn.login()
        conns.append(conn)
        return conn

    yield make
    for conn in conns:
        conn.close()


@pytest.fixture
def catcher():
    c = Catcher()
    yield c
    c.close()


def _modules(url: str, **extra) -> list[dict]:
    common = {"cred": "switchboard:cdr-s3cret", "retries": 2, "delay": 0.3, "timeout": 2,
              "log_b_leg": True, **extra}
    return [{"module": "json", "url": f"{url}/cdr/json", "encode": "false", **common},
            {"module": "xml", "url": f"{url}/cdr/xml", "encode": "true", "prefix_a_leg": True,
             **common}]


def _busy_call(cluster, connect, uuid: str = A):
    cluster.node("fs1").set_outcome(pattern="+1415777*", kind="busy", fail_ms=20)
    conn = connect(cluster)
    conn.cmd(EVENTS)
    conn.cmd(f"bgapi originate {{origination_uuid={uuid},attempt_id=838,"
             "ignore_early_media=true}sofia/gateway/carrier1/+14157772001 &park()")
    return conn


def test_a_busy_call_posts_what_freeswitch_posts_before_hangup_complete(make_cluster, connect,
                                                                        catcher):
    cluster = make_cluster(cdr=_modules(catcher.url))
    conn = _busy_call(cluster, connect)
    hangup = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE")
    real_json, real_xml = posts("38")

    assert [c.path for c in catcher.caught] == [f"/cdr/json?uuid={A}", f"/cdr/xml?uuid=a_{A}"]
    ours_json, ours_xml = catcher.caught
    for ours, real in ((ours_json, real_json), (ours_xml, real_xml)):
        assert [k for k, _ in ours.headers] == [k.title() if k != "content-type" else
                                                "Content-Type" for k in real.headers]
        assert ours.header("Authorization") == real.headers["authorization"]
        assert ours.header("User-Agent") == real.headers["user-agent"]
        assert ours.header("Content-Type") == real.headers["content-type"]
    doc, real_doc = json.loads(ours_json.body), json.loads(real_json.body)
    assert list(doc) == list(real_doc)  # core-uuid, switchname, channel_data, callStats, ...
    assert set(doc["variables"]) >= IDENTIFYING and set(real_doc["variables"]) >= IDENTIFYING
    for name in ("hangup_cause", "hangup_cause_q850", "sip_hangup_disposition", "answer_uepoch",
                 "bridge_uepoch", "billsec"):
        assert doc["variables"][name] == real_doc["variables"][name], name
    ours_leg = decode_post(ours_xml.body, ours_xml.header("Content-Type"), "xml")
    real_leg = decode_post(real_xml.body, real_xml.headers["content-type"], "xml")
    assert (ours_leg.uuid, ours_leg.attempt_id) == (A, 838)
    assert (ours_leg.hangup_cause, ours_leg.sip_hangup_disposition, ours_leg.answered_at) == (
        real_leg.hangup_cause, real_leg.sip_hangup_disposition, real_leg.answered_at)
    # Both posts left before the HANGUP_COMPLETE was fired.
    assert max(c.t for c in catcher.caught) * 1e6 <= int(hangup["Event-Date-Timestamp"])


def test_both_legs_are_posted_and_the_other_leg_named_by_bridge_uuid(make_cluster, connect,
                                                                     catcher):
    cluster = make_cluster(cdr=_modules(catcher.url))
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1000", contact_port=5072, answer_ms=30)
    conn = connect(cluster)
    conn.cmd(EVENTS)
    conn.cmd(f"bgapi originate {{origination_uuid={AF_A},attempt_id=837,ignore_early_media=true}}"
             f"user/1000 &bridge({{origination_uuid={AF_B},ignore_early_media=true}}"
             "sofia/internal/4008001234@127.0.0.1:5090)")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE")
    conn.api(f"uuid_kill {AF_A}")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_DESTROY" and e["Unique-ID"] == AF_A)
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_DESTROY" and e["Unique-ID"] == AF_B)

    legs = {leg.uuid: leg for leg in (decode_post(c.body, c.header("Content-Type"),
                                                  "json" if "/json" in c.path else "xml")
                                      for c in catcher.caught)}
    assert len(catcher.caught) == 4 and set(legs) == {AF_A, AF_B}
    a, b = legs[AF_A], legs[AF_B]
    assert (a.attempt_id, a.bridge_uuid, a.call_uuid) == (837, AF_B, AF_A)
    assert (b.bridge_uuid, b.answered_at is not None, b.bridged_at is not None) == (
        AF_A, True, True)
    real = {leg.uuid: leg for leg in (decode_post(p.body, p.headers["content-type"], p.module)
                                      for p in posts("37"))}
    real_a = real["00000000-0000-4000-8000-000000000037"]
    assert (a.originate_disposition, a.dialstatus) == (real_a.originate_disposition,
                                                       real_a.dialstatus)


def test_a_dead_endpoint_holds_hangup_complete_back_and_leaves_the_cdr_in_err_log_dir(
        make_cluster, connect, tmp_path):
    dead = DEAD  # refused at once, as in capture 42
    err = tmp_path / "cdr-err"
    modules = [{**m, "err_log_dir": str(err / f"{m['module']}_cdr")} for m in _modules(dead)]
    cluster = make_cluster(cdr=modules)
    conn = _busy_call(cluster, connect)
    conn.wait_event(lambda e: e["Event-Name"] == "BACKGROUND_JOB", timeout=10)
    # The -ERR does not wait for the CDR modules; while they retry, the channel is still
    # listed and no HANGUP_COMPLETE has come (capture 42d).
    assert A in conn.api("show channels as json")
    assert "CHANNEL_HANGUP_COMPLETE" not in conn.names()
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE", timeout=15)
    files = sorted(str(p.relative_to(err)) for p in err.rglob("*") if p.is_file())
    assert files == [f"json_cdr/{A}.cdr.json", f"xml_cdr/a_{A}.cdr.xml"]  # before the event
    tries = cluster.node("fs1").cdr_posts()["posts"]
    assert sorted((t["module"], t["try"], t["status"]) for t in tries) == [
        ("json", 1, 0), ("json", 2, 0), ("json", 3, 0), ("xml", 1, 0), ("xml", 2, 0),
        ("xml", 3, 0)]
    json_file = (err / "json_cdr" / f"{A}.cdr.json").read_bytes()
    xml_file = (err / "xml_cdr" / f"a_{A}.cdr.xml").read_bytes()
    assert json_file.endswith(b"}\n") and xml_file.startswith(b"%3C%3Fxml")
    real_json = (CDR_DIR / "42-err-log-dir" / "json_cdr" /
                 "00000000-0000-4000-8000-000000000042.cdr.json").read_bytes()
    real_xml = (CDR_DIR / "42-err-log-dir" / "xml_cdr" /
                "a_00000000-0000-4000-8000-000000000042.cdr.xml").read_bytes()
    # 42's call ran applications (app_log); a failed originate has none (as in 38-40).
    assert list(json.loads(json_file)) == [k for k in json.loads(real_json) if k != "app_log"]
    assert real_json.endswith(b"}\n") and real_xml.startswith(b"%3C%3Fxml")
    assert not real_xml.endswith(b"\n") and not xml_file.endswith(b"\n")
    assert decode_file(json_file, f"{A}.cdr.json").hangup_cause == "USER_BUSY"
    assert decode_file(xml_file, f"a_{A}.cdr.xml").attempt_id == 838


def test_queue_capacity_fires_hangup_complete_at_once_and_posts_from_its_thread(
        make_cluster, connect, tmp_path):
    dead = DEAD
    err = tmp_path / "cdr-err"
    json_only = [{**_modules(dead)[0], "queue_capacity": 100,
                  "err_log_dir": str(err / "json_cdr")}]
    cluster = make_cluster(cdr=json_only)
    conn = _busy_call(cluster, connect)
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE", timeout=5)
    assert not (err / "json_cdr" / f"{A}.cdr.json").exists()  # still being tried (42b)
    conn.drain(2.0)
    assert (err / "json_cdr" / f"{A}.cdr.json").exists()


def test_the_sample_defaults_encode_values_and_reproduce_the_42c_trap(make_cluster, connect,
                                                                      catcher):
    cluster = make_cluster(cdr=[{**_modules(catcher.url)[0], "encode": "true",
                                 "encode_values": True}])
    fs1 = cluster.node("fs1")
    fs1.set_outcome(pattern="+1415777*", kind="answer", answer_ms=20, hangup_ms=100)
    conn = connect(cluster)
    conn.cmd(EVENTS)
    conn.cmd(f"bgapi originate {{origination_uuid={A},attempt_id=838,ignore_early_media=true}}"
             "sofia/gateway/carrier1/+14157772001 &park()")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE", timeout=5)
    (ours,) = catcher.caught
    assert ours.header("Content-Type") == "application/x-www-form-urlencoded"
    assert ours.body.startswith(b"cdr=%7B%22core-uuid%22%3A%22")
    once = unquote(ours.body.decode()[4:])
    with pytest.raises(json.JSONDecodeError, match="Invalid control character"):
        json.loads(once)
    leg = decode_post(ours.body, "application/x-www-form-urlencoded", "json")
    assert (leg.uuid, leg.hangup_cause, leg.answered_at is not None) == (
        A, "NORMAL_CLEARING", True)
    # Named as FreeSWITCH names a gateway call (42c's real post): sofia/<the gateway's profile>/
    # <number>, the gateway in its own variables; the dialstring's sofia/gateway/... is nowhere.
    (real,) = [p for p in posts("42c") if p.module == "json"]
    real_once = unquote(real.body.decode()[4:])
    for doc, number in ((real_once, "+14157772043"), (once, "+14157772001")):
        for pair in (f'"channel_name":"sofia/external/{number}"', f'"chan_name":"sofia/external/'
                     f'{number}"', '"sip_gateway_name":"carrier1"', '"sip_profile_name":"gateway"',
                     f'"destination_number":"{number}"'):
            assert pair in doc, (pair, number)
        assert "sofia/gateway/" not in doc
