"""The project's Kamailio configuration renders per instance, Kamailio accepts it, and no value
that could break out of a directive reaches it."""

from __future__ import annotations

import subprocess

import pytest

from telephony.edge_config import EdgeConfig, EdgeNode, dispatcher_list, parse_node, render, write


@pytest.mark.parametrize("rtpengine", ["", "udp:127.0.0.1:2223"])
def test_kamailio_accepts_the_rendered_config(tmp_path, rtpengine):
    config = EdgeConfig(sip_port=25066, rpc_port=25067, evapi_port=25068,
                        rundir=str(tmp_path / "run"), cfgdir=str(tmp_path / "cfg"),
                        nodes=(EdgeNode("fs1", "127.0.0.1", 5250),), rtpengine=rtpengine,
                        dev_users=(1000, 1019), dev_password="1234")
    path = write(config)
    text = path.read_text()
    assert '#!substdef "!SB_SIP_PORT!25066!g"' in text
    assert ("#!define WITH_RTPENGINE" in text) == bool(rtpengine)
    checked = subprocess.run(["kamailio", "-c", "-f", str(path)], capture_output=True, text=True,
                             timeout=30)
    assert checked.returncode == 0, checked.stderr[-2000:]


def test_dispatcher_list_holds_every_node_in_set_one():
    text = dispatcher_list([EdgeNode("fs1", "10.0.0.5", 5080), EdgeNode("fs2", "10.0.0.6", 5080)])
    assert "1 sip:10.0.0.5:5080 0 0 duid=fs1" in text
    assert "1 sip:10.0.0.6:5080 0 0 duid=fs2" in text


@pytest.mark.parametrize("field,value", [
    ("name", "kam1\n#!define X"), ("name", 'kam"1'), ("ip", "127.0.0.1!g"),
    ("evapi_client", "127.0.0.1 || 1"), ("rundir", "/run/x y"), ("rundir", "/run/../etc"),
    ("cfgdir", "relative/dir"), ("domain", "agents.sb.test,evil"), ("domain", "a}b"),
    ("rtpengine", "udp:127.0.0.1:2223\n"), ("rtpengine", "tcp:127.0.0.1:1"),
    ("dev_password", "12'34"), ("dev_password", "a&b|c"),
])
def test_hostile_values_are_refused(field, value):
    kwargs = {field: value}
    if field == "dev_password":
        kwargs["dev_users"] = (1000, 1001)
    with pytest.raises(ValueError):
        EdgeConfig(**kwargs)


@pytest.mark.parametrize("spec", ["fs1", "fs1=10.0.0.5", "fs 1=10.0.0.5:5080",
                                  "fs1=10.0.0.5:99999", "fs1=host,x:5080"])
def test_bad_node_specs_are_refused(spec):
    with pytest.raises(ValueError):
        parse_node(spec)


def test_ports_must_differ():
    with pytest.raises(ValueError):
        EdgeConfig(sip_port=5060, rpc_port=5060)


def test_a_template_without_the_placeholders_is_refused():
    with pytest.raises(ValueError):
        render(EdgeConfig(), template="#!KAMAILIO\n")
