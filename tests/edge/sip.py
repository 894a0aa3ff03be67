"""Real Kamailio (the project's config) and SIPp softphones as test processes, on free ports."""

from __future__ import annotations

import contextlib
import itertools
import signal
import socket
import tempfile
import time
from pathlib import Path

from telephony.edge_config import EdgeConfig, EdgeNode, write
from telephony.evapi import JsonRpc
from tests.processes import ROOT, Process

SIPP = ROOT / "deploy" / "sipp"
PASSWORD = "1234"
DOMAIN = "agents.sb.test"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free for both TCP and UDP on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
            try:
                with socket.socket(socket.AF_INET, other) as b:
                    b.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class Kamailio(Process):
    """`kamailio -DD -E` with the project's config rendered for free ports."""

    def __init__(self, env: dict[str, str], name: str = "kam1",
                 nodes: tuple[EdgeNode, ...] = (), rtpengine: str = "",
                 all_media_nat: bool = False, ports: tuple[int, int, int] | None = None,
                 workdir: str | None = None, min_expires: int = 60) -> None:
        self.workdir = workdir or tempfile.mkdtemp(prefix="sb-kamailio-")
        sip, rpc, evapi = ports or (free_port(), free_port(), free_port())
        self.config = EdgeConfig(
            name=name, sip_port=sip, rpc_port=rpc, evapi_port=evapi,
            rundir=f"{self.workdir}/run", cfgdir=f"{self.workdir}/cfg", domain=DOMAIN,
            nodes=nodes, rtpengine=rtpengine, all_media_nat=all_media_nat,
            dev_users=(1000, 1099), dev_password=PASSWORD, min_expires=min_expires)
        path = write(self.config)
        super().__init__(["kamailio", "-f", str(path), "-DD", "-E", "-m", "64", "-M", "8"],
                         env, "kamailio")
        self.rpc = JsonRpc("127.0.0.1", rpc, timeout=5)
        self.wait_ready()

    @property
    def ports(self) -> tuple[int, int, int]:
        return self.config.sip_port, self.config.rpc_port, self.config.evapi_port

    @property
    def proxy_spec(self) -> str:
        """SIP_PROXIES for this instance."""
        sip, rpc, evapi = self.ports
        return f"{self.config.name}=127.0.0.1:{sip}:{evapi}:{rpc}"

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"kamailio exited:\n{self.log()[-3000:]}")
            with contextlib.suppress(OSError, RuntimeError):
                self.rpc.boot()
                return
            time.sleep(0.1)
        raise RuntimeError(f"kamailio not ready:\n{self.log()[-3000:]}")

    def contacts(self) -> dict[str, list[dict]]:
        """ul.dump as {aor: [contact, ...]}."""
        result = self.rpc.call("ul.dump")
        out: dict[str, list[dict]] = {}
        for domain in result["Domains"]:
            for aor in domain["Domain"]["AoRs"] or []:
                info = aor["Info"]
                found = [c["Contact"] for c in info["Contacts"] or []]
                if found:
                    out[info["AoR"]] = found
        return out

    def stop(self, grace: float = 10.0) -> int | None:
        return super().stop(grace)


_media_ports = itertools.count(31000, 4)


class Phone(Process):
    """A SIPp softphone: registers `user` over TCP (or UDP) through the proxy and holds the
    registration (answering INVITEs on its connection) for `hold_ms`; then un-registers when
    `unreg`."""

    def __init__(self, env: dict[str, str], proxy: Kamailio, user: str, port: int | None = None,
                 contact_port: int | None = None, expires: int = 120, hold_ms: int = 600_000,
                 unreg: bool = False, transport: str = "t1", password: str = PASSWORD,
                 extra: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        media = next(_media_ports)
        sip = proxy.config.sip_port
        super().__init__([
            "sipp", f"127.0.0.1:{sip}", "-sf", str(SIPP / "phone.xml"),
            "-oocsf", str(SIPP / "answer.xml"), "-t", transport, "-i", "127.0.0.1",
            "-p", str(self.port), "-mi", "127.0.0.1", "-mp", str(media), "-m", "1",
            "-key", "user", user, "-key", "contact_port", str(contact_port or self.port),
            "-key", "expires", str(expires), "-key", "unreg", "1" if unreg else "0",
            "-au", user, "-ap", password, "-d", str(hold_ms), "-nostdin",
            "-timeout", "3600", *extra], env, f"sipp-{user}")

    def kill9(self) -> None:
        self.signal(signal.SIGKILL)


def trace(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
