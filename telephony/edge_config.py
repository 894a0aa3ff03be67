"""Render the project's Kamailio configuration (`deploy/kamailio/kamailio.cfg`) for one instance.

The template's `#!substdef` and `#!define` lines hold placeholder values; `render` replaces them
with checked values (addresses, ports, directories, the node list), so tests, the benchmark, the
demo and a deployment run the same routing logic on their own ports. Every value passes a strict
grammar first: nothing reaches the configuration that could end a directive or a string.

    python -m telephony.edge_config --out /etc/kamailio --sip-port 5060 --node fs1=10.0.0.5:5080
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from telephony.config import validate_node_name
from telephony.dialstring import DialstringError, validate_sip_domain

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "kamailio" / "kamailio.cfg"
_PATH = re.compile(r"/[A-Za-z0-9._/-]{0,200}")
_PASSWORD = re.compile(r"[A-Za-z0-9._~-]{1,64}")
_USER = re.compile(r"[0-9]{1,12}")
_RTPENGINE = re.compile(r"udp:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?:[0-9]{1,5}")


def _ip(value: str, what: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError(f"{what} must be an IPv4 address") from None


def _port(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ValueError(f"{what} must be a port number from 1 to 65535")
    return value


@dataclass(frozen=True)
class EdgeNode:
    """One FreeSWITCH node as the proxy sees it: its SIP address (dispatcher set 1)."""

    name: str
    ip: str
    port: int

    def __post_init__(self) -> None:
        validate_node_name(self.name)
        try:
            validate_sip_domain(self.ip)  # an IPv4 address, or a host name dispatcher resolves
        except DialstringError:
            raise ValueError("node SIP address must be an IPv4 address or a host name") from None
        _port(self.port, "node SIP port")


@dataclass(frozen=True)
class EdgeConfig:
    """One Kamailio instance: where it listens, who may read its feed, which nodes it trusts."""

    name: str = "kam1"  # the `node` field of every evapi message
    ip: str = "127.0.0.1"
    sip_port: int = 5060
    rpc_port: int = 8449
    evapi_port: int = 8448
    # The only address allowed on evapi and JSON-RPC; 0.0.0.0 = any (only on a private network
    # whose ports are not published, e.g. docker-compose)
    evapi_client: str = "127.0.0.1"
    rundir: str = "/run/kamailio-sb"
    cfgdir: str = "/etc/kamailio"
    domain: str = "agents.sb.test"
    nodes: tuple[EdgeNode, ...] = ()
    rtpengine: str = ""  # e.g. udp:127.0.0.1:2223 (the ng control socket); "" = no media anchor
    all_media_nat: bool = False  # anchor every agent's media (for tests on loopback)
    probe_nodes: bool = False  # OPTIONS-ping the nodes (production)
    dev_users: tuple[int, int] = (1, 0)  # first, last: a range of numeric agents for development
    dev_password: str = field(default="", repr=False)
    min_expires: int = 60  # a lower Expires is raised to this (tests use a few seconds)

    def __post_init__(self) -> None:
        validate_node_name(self.name)
        _ip(self.ip, "proxy address")
        _ip(self.evapi_client, "evapi client address")
        for port, what in ((self.sip_port, "SIP port"), (self.rpc_port, "RPC port"),
                           (self.evapi_port, "evapi port")):
            _port(port, what)
        if len({self.sip_port, self.rpc_port, self.evapi_port}) != 3:
            raise ValueError("the SIP, RPC and evapi ports must differ")
        for path, what in ((self.rundir, "rundir"), (self.cfgdir, "cfgdir")):
            if not _PATH.fullmatch(path) or ".." in path:
                raise ValueError(f"{what} must be an absolute path of letters, digits, . _ - /")
        try:
            validate_sip_domain(self.domain)
        except DialstringError as exc:
            raise ValueError(str(exc)) from None
        if self.rtpengine and not _RTPENGINE.fullmatch(self.rtpengine):
            raise ValueError("rtpengine must be udp:<ipv4>:<port>")
        if isinstance(self.min_expires, bool) or not isinstance(self.min_expires, int) \
                or not 1 <= self.min_expires <= 3600:
            raise ValueError("min_expires must be a whole number of seconds from 1 to 3600")
        first, last = self.dev_users
        if last >= first and (not _USER.fullmatch(str(first)) or not _USER.fullmatch(str(last))
                              or not _PASSWORD.fullmatch(self.dev_password)):
            raise ValueError("development users need numeric bounds and a password of "
                             "letters, digits, . _ ~ -")


def render(config: EdgeConfig, template: str | None = None) -> str:
    """The kamailio.cfg text for `config`."""
    text = TEMPLATE.read_text() if template is None else template
    subst = {
        "SB_IP": config.ip,
        "SB_SIP_PORT": str(config.sip_port),
        "SB_RPC_PORT": str(config.rpc_port),
        "SB_EVAPI": f"{config.ip}:{config.evapi_port}",
        "SB_RUNDIR": config.rundir,
        "SB_CFGDIR": config.cfgdir,
        "SB_DOMAIN": config.domain,
        "SB_RTPENGINE": config.rtpengine or "udp:127.0.0.1:2223",
    }
    for name, value in subst.items():
        text, count = re.subn(rf'^#!substdef "!{name}![^!]*!g"$',
                              f'#!substdef "!{name}!{value}!g"', text, flags=re.MULTILINE)
        if count != 1:
            raise ValueError(f"template has no single substdef for {name}")
    first, last = config.dev_users
    defines = {
        "SB_NODE": f'"{config.name}"',
        "SB_EVAPI_CLIENT": f'"{config.evapi_client}"',
        "SB_DEV_USERS_FIRST": str(first),
        "SB_DEV_USERS_LAST": str(last),
        "SB_DEV_PASSWORD": f'"{config.dev_password}"',
        "SB_MIN_EXPIRES": str(config.min_expires),
    }
    for name, value in defines.items():
        text, count = re.subn(rf"^#!define {name} .*$", f"#!define {name} {value}", text,
                              flags=re.MULTILINE)
        if count != 1:
            raise ValueError(f"template has no single define for {name}")
    switches = [name for name, on in (("WITH_RTPENGINE", bool(config.rtpengine)),
                                      ("SB_EVAPI_ANY", config.evapi_client == "0.0.0.0"),
                                      ("SB_ALL_MEDIA_NAT", config.all_media_nat),
                                      ("SB_PROBE_NODES", config.probe_nodes)) if on]
    if switches:
        head, sep, rest = text.partition("\n")
        text = head + sep + "".join(f"#!define {name}\n" for name in switches) + rest
    return text


def dispatcher_list(nodes: Sequence[EdgeNode]) -> str:
    """dispatcher.list: set 1 holds the FreeSWITCH nodes."""
    lines = ["# setid destination flags priority attributes"]
    lines += [f"1 sip:{n.ip}:{n.port} 0 0 duid={n.name}" for n in nodes]
    return "\n".join(lines) + "\n"


def write(config: EdgeConfig) -> Path:
    """Write kamailio.cfg and dispatcher.list into `config.cfgdir`; return the cfg's path."""
    out = Path(config.cfgdir)
    out.mkdir(parents=True, exist_ok=True)
    Path(config.rundir).mkdir(parents=True, exist_ok=True)
    (out / "dispatcher.list").write_text(dispatcher_list(config.nodes))
    path = out / "kamailio.cfg"
    path.write_text(render(config))
    return path


def parse_node(spec: str) -> EdgeNode:
    """`fs1=10.0.0.5:5080` -> EdgeNode."""
    name, sep, address = spec.partition("=")
    ip, colon, port = address.rpartition(":")
    if not sep or not colon or not port.isdigit():
        raise ValueError(f"node {spec!r} is not name=ip:port")
    return EdgeNode(name, ip, int(port))


def config_from_args(argv: Sequence[str] | None = None) -> EdgeConfig:
    """The EdgeConfig a command line describes (see main)."""
    parser = argparse.ArgumentParser(description="Render Switchboard's Kamailio configuration.")
    parser.add_argument("--out", required=True, help="directory for kamailio.cfg and "
                        "dispatcher.list")
    parser.add_argument("--name", default="kam1")
    parser.add_argument("--ip", default="127.0.0.1")
    parser.add_argument("--sip-port", type=int, default=5060)
    parser.add_argument("--rpc-port", type=int, default=8449)
    parser.add_argument("--evapi-port", type=int, default=8448)
    parser.add_argument("--evapi-client", default="127.0.0.1")
    parser.add_argument("--rundir", default="/run/kamailio-sb")
    parser.add_argument("--domain", default="agents.sb.test")
    parser.add_argument("--node", action="append", default=[], help="name=ip:port, repeatable")
    parser.add_argument("--rtpengine", default="")
    parser.add_argument("--probe-nodes", action="store_true")
    parser.add_argument("--dev-users", default="", help="FIRST-LAST: numeric agents for "
                        "development, all with the password in $SB_EDGE_DEV_PASSWORD")
    args = parser.parse_args(argv)
    first, _, last = args.dev_users.partition("-")
    dev_users = (int(first), int(last)) if first.isdigit() and last.isdigit() else (1, 0)
    return EdgeConfig(
        name=args.name, ip=args.ip, sip_port=args.sip_port, rpc_port=args.rpc_port,
        evapi_port=args.evapi_port, evapi_client=args.evapi_client, rundir=args.rundir,
        cfgdir=str(Path(args.out).resolve()), domain=args.domain,
        nodes=tuple(parse_node(n) for n in args.node), rtpengine=args.rtpengine,
        probe_nodes=args.probe_nodes, dev_users=dev_users,
        dev_password=os.environ.get("SB_EDGE_DEV_PASSWORD", ""))


def main(argv: Sequence[str] | None = None) -> int:
    """Render a configuration from the command line (deployment images call this)."""
    print(write(config_from_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
