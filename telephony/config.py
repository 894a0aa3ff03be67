"""Plain, frozen configuration values handed to telephony code (never django.conf)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_NODE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")
_HOST = re.compile(r"[A-Za-z0-9.:_-]{1,253}")


def validate_node_name(value: str) -> str:
    """A node name as FREESWITCH_NODES and the Node table accept it."""
    if not _NODE_NAME.fullmatch(value):
        raise ValueError(
            "node name must start with a letter and contain only letters, digits, _ and - "
            "(at most 63)"
        )
    return value


def validate_esl_host(value: str) -> str:
    """An Event Socket host: a host name or an IP address."""
    if not _HOST.fullmatch(value):
        raise ValueError("ESL host must be a host name or an IP address")
    return value


def validate_esl_password(value: str) -> str:
    """An ESL password; the message never repeats the value."""
    # It is written into "auth <password>" on the socket: no whitespace, no control characters.
    if not all("!" <= char <= "~" for char in value):
        raise ValueError("ESL password may contain only printable ASCII characters without spaces")
    return value


@dataclass(frozen=True)
class NodeConfig:
    """One FreeSWITCH node's Event Socket address; the password never appears in repr."""

    name: str
    host: str
    port: int
    password: str = field(repr=False)
    sip_profile: str = "internal"
    max_sessions: int = 1000
    max_cps: int = 30

    def __post_init__(self) -> None:
        if not _NODE_NAME.fullmatch(self.name):
            raise ValueError(f"invalid node name {self.name!r}")
        if not _HOST.fullmatch(self.host):
            raise ValueError(f"invalid host for node {self.name}")
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid port for node {self.name}")


def parse_node_list(
    spec: str,
    default_password: str,
    password_for: Callable[[str], str | None] = lambda _name: None,
) -> tuple[NodeConfig, ...]:
    """Parse "fs1=10.0.0.5:8021,fs2=10.0.0.6:8021" into node configs."""
    nodes: list[NodeConfig] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        name, sep, address = item.partition("=")
        host, colon, port = address.rpartition(":")
        if not sep or not colon or not port.isdigit():
            raise ValueError(f"FREESWITCH_NODES entry {item!r} is not name=host:port")
        nodes.append(
            NodeConfig(
                name=name.strip(),
                host=host.strip("[]"),
                port=int(port),
                password=password_for(name.strip()) or default_password,
            )
        )
    names = [node.name for node in nodes]
    if len(names) != len(set(names)):
        raise ValueError("FREESWITCH_NODES names must be unique")
    return tuple(nodes)


@dataclass(frozen=True)
class ProxyConfig:
    """One SIP proxy (Kamailio) in front of the nodes: where agents register, where the nodes
    send agent legs (`sip_host:sip_port`), and where its presence feed (evapi) and JSON-RPC
    (`/RPC` over HTTP) listen. `domain` is the agents' SIP domain through this proxy: an agent
    registered there is `<user>@<domain>`. The optional RPC password never appears in repr."""

    name: str
    host: str
    sip_port: int = 5060
    evapi_port: int = 8448
    rpc_port: int = 8449
    domain: str = "agents.sb.test"
    transport: str = "udp"  # how the nodes reach the proxy (the agent leg's ;transport=)
    rpc_password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not _NODE_NAME.fullmatch(self.name):
            raise ValueError(f"invalid proxy name {self.name!r}")
        if not _HOST.fullmatch(self.host) or ":" in self.host:
            raise ValueError(f"invalid host for proxy {self.name}")
        for port in (self.sip_port, self.evapi_port, self.rpc_port):
            if isinstance(port, bool) or not 0 < port < 65536:
                raise ValueError(f"invalid port for proxy {self.name}")
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", self.domain):
            raise ValueError(f"invalid agent domain for proxy {self.name}")
        if self.transport not in ("udp", "tcp"):
            raise ValueError(f"transport of proxy {self.name} must be udp or tcp")

    @property
    def port(self) -> int:
        """The feed's port (the listener restarts a feed whose (host, port) changed)."""
        return self.evapi_port


def parse_proxy_list(
    spec: str,
    domain: str = "agents.sb.test",
    transport: str = "udp",
    password_for: Callable[[str], str | None] = lambda _name: None,
) -> tuple[ProxyConfig, ...]:
    """Parse "kam1=10.0.0.2:5060:8448:8449,kam2=..." (name=host:sip:evapi:rpc) into configs."""
    proxies: list[ProxyConfig] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        name, sep, address = item.partition("=")
        parts = address.split(":")
        if not sep or len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
            raise ValueError(f"SIP_PROXIES entry {item!r} is not name=host:sip_port:evapi_port:"
                             "rpc_port")
        proxies.append(ProxyConfig(
            name=name.strip(), host=parts[0], sip_port=int(parts[1]), evapi_port=int(parts[2]),
            rpc_port=int(parts[3]), domain=domain, transport=transport,
            rpc_password=password_for(name.strip()) or ""))
    names = [p.name for p in proxies]
    if len(names) != len(set(names)):
        raise ValueError("SIP_PROXIES names must be unique")
    return tuple(proxies)
