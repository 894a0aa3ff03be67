"""docker-compose's edge profile: the kamailio service's command line renders a configuration
Kamailio accepts (open evapi on the private network, nodes and rtpengine by host name), and the
app services get the proxy settings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from telephony.edge_config import config_from_args, render

REPO = Path(__file__).resolve().parents[2]
SERVICES = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


def test_kamailio_and_rtpengine_are_in_the_edge_profile():
    for name in ("kamailio", "rtpengine"):
        assert SERVICES[name]["profiles"] == ["edge"]
    assert "8448" not in str(SERVICES["kamailio"].get("ports"))  # evapi is never published
    assert "8449" not in str(SERVICES["kamailio"].get("ports"))


def test_the_kamailio_command_renders_a_config_kamailio_accepts(tmp_path, monkeypatch):
    monkeypatch.setenv("SB_EDGE_DEV_PASSWORD", "dev-only")
    command = [part.replace("${SIP_PROXY_DOMAIN:-agents.sb.test}", "agents.sb.test")
               for part in SERVICES["kamailio"]["command"]]
    config = config_from_args(["--out", str(tmp_path / "cfg"), "--rundir",
                               str(tmp_path / "run"), *command])
    assert config.evapi_client == "0.0.0.0" and config.rtpengine == "udp:rtpengine:2223"
    text = render(config)
    assert "#!define SB_EVAPI_ANY" in text and "#!define WITH_RTPENGINE" in text
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "kamailio.cfg").write_text(text)
    (tmp_path / "cfg" / "dispatcher.list").write_text("")
    checked = subprocess.run(["kamailio", "-c", "-f", str(tmp_path / "cfg" / "kamailio.cfg")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr[-2000:]


def test_app_services_and_the_emulator_get_the_proxy_settings():
    listener_env = SERVICES["listener"]["environment"]
    assert "SIP_PROXIES" in listener_env and "SIP_PROXY_DOMAIN" in listener_env
    assert "EMULATOR_SIP_PROXY" in SERVICES["emulator"]["environment"]
