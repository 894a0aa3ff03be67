"""With rtpengine configured, the proxy anchors a NATed agent's media: the SDP each side receives
names rtpengine's address and ports, and RTP flows between two SIPp endpoints through it
(rtpengine's userspace forwarding, no kernel module). On loopback every agent is treated as NATed
(EdgeConfig.all_media_nat), since none is really behind NAT here."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from telephony.edge_config import EdgeNode
from tests.edge.rtpengine import RtpEngine
from tests.edge.sip import SIPP, Kamailio, free_port
from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration


def sdp_ports(trace: str, first_line: str) -> list[int]:
    """m=audio ports of the SDP bodies in messages of a SIPp trace starting with first_line."""
    ports, current = [], ""
    for line in trace.splitlines():
        if line.startswith("-----------------"):
            current = ""
        elif not current and (line.startswith(("INVITE ", "SIP/2.0 ", "ACK ", "BYE "))):
            current = line
        elif current.startswith(first_line) and line.startswith("m=audio "):
            ports.append(int(line.split()[1]))
    return ports


def test_sdp_is_rewritten_and_rtp_flows_through_rtpengine(edge_env, started, phones):
    rtp = RtpEngine(edge_env)
    started.append(rtp)
    kam = Kamailio(edge_env, nodes=(EdgeNode("fs1", "127.0.0.1", 5080),),
                   rtpengine=rtp.socket_spec, all_media_nat=True)
    started.append(kam)
    work = Path(tempfile.mkdtemp(prefix="sb-rtp-"))
    agent_trace = work / "agent.msg"
    phones("1000", proxy=kam, extra=("-rtp_echo", "-trace_msg", "-message_file", str(agent_trace)))
    wait_until(lambda: "1000" in kam.contacts(), timeout=15, what="agent registered")

    (work / "stream.ulaw").write_bytes(b"\xff" * 8000 * 5)  # 5 s of PCMU silence
    node_media = free_port()
    node_trace = work / "node.msg"
    call = subprocess.Popen(
        ["sipp", f"127.0.0.1:{kam.config.sip_port}", "-sf", str(SIPP / "node_call.xml"),
         "-t", "u1", "-i", "127.0.0.1", "-p", str(free_port()), "-mi", "127.0.0.1",
         "-mp", str(node_media), "-s", "1000", "-m", "1", "-d", "3000", "-nostdin",
         "-timeout", "30", "-trace_msg", "-message_file", str(node_trace)],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def relayed():
            calls = rtp.command({"command": "list"}).get("calls") or []
            if not calls:
                return None
            stats = rtp.command({"command": "query", "call-id": calls[0]})
            return stats if stats.get("totals", {}).get("RTP", {}).get("packets", 0) > 20 \
                else None
        stats = wait_until(relayed, timeout=15, what="RTP relayed by rtpengine")
        assert call.wait(timeout=30) == 0, call.stderr.read()[-2000:] if call.stderr else ""
    finally:
        if call.poll() is None:
            call.kill()
    anchored = range(rtp.port_min, rtp.port_max + 1)
    offered = sdp_ports(agent_trace.read_text(errors="replace"), "INVITE ")
    answered = sdp_ports(node_trace.read_text(errors="replace"), "SIP/2.0 200")
    assert offered and all(p in anchored for p in offered), offered
    assert answered and all(p in anchored for p in answered), answered
    assert node_media not in offered
    assert stats["totals"]["RTP"]["packets"] > 20, stats["totals"]
    # both directions: the node's stream reached rtpengine, and so did the agent's echo of it
    received = {tag: [st["stats"]["packets"] for media in t["medias"] for st in media["streams"]
                      if b"RTP" in st.get("flags", [])]
                for tag, t in stats["tags"].items()}
    assert len(received) == 2 and all(sum(p) > 0 for p in received.values()), received
