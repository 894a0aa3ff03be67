"""The `api`/`bgapi` commands the emulator answers, with FreeSWITCH's reply texts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Protocol

from emulator import registrations as regs
from emulator.calls import CallEngine
from emulator.channel import Channel
from emulator.dialplan import split_args
from emulator.registrar import Registrar


class ApiHost(Protocol):
    """What the api commands need of their node (the node composes them, never the reverse)."""

    name: str
    domain: str
    ipv4: str
    core_uuid: str
    profiles: tuple[str, ...]
    loop: asyncio.AbstractEventLoop
    max_sessions: int
    sps: int
    started_at: float
    sessions_since_startup: int
    peak_sessions: int
    _sps_second: int
    _sps_count: int
    _sps_left: int
    _sps_peak: int

    @property
    def calls(self) -> CallEngine: ...

    @property
    def registrar(self) -> Registrar: ...

    def uptime_text(self, now: float) -> str: ...

    def shutdown(self) -> None: ...


Done = Callable[[str], None]
Handler = Callable[[ApiHost, str, Done, str], "str | None"]

NO_CHANNEL = "-ERR No such channel!\n"


def run(node: ApiHost, name: str, args: str, done: Done, job_uuid: str = "") -> str | None:
    """Dispatch one api command; unknown ones get FreeSWITCH's `Command not found!`."""
    handler = _API.get(name)
    if handler is None:
        return f"-ERR {name} Command not found!\n"
    return handler(node, args, done, job_uuid)


def _version(node: ApiHost, args: str, done: Done, job: str) -> str:
    return "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n"


def status_text(node: ApiHost) -> str:
    """`api status` (captures 02, 17, 20, 25c)."""
    now = time.time()
    live = len(node.calls.channels)
    return (
        f"UP {node.uptime_text(now)}\n"
        "FreeSWITCH (Version 1.10.12-release  64bit) is ready\n"
        f"{node.sessions_since_startup} session(s) since startup\n"
        f"{live} session(s) - peak {node.peak_sessions}, last 5min {node.peak_sessions} \n"
        f"{node._sps_count if int(time.time()) == node._sps_second else 0} "
        f"session(s) per Sec out of max {node.sps}, peak {node._sps_peak}, "
        f"last 5min {node._sps_peak} \n"
        f"{node.max_sessions} session(s) max\n"
        "min idle cpu 0.00/98.00\n"
        "Current Stack Size/Max 240K/8192K\n"
    )


def _status(node: ApiHost, args: str, done: Done, job: str) -> str:
    return status_text(node)


def _channel_row(node: ApiHost, ch: Channel) -> dict[str, str]:
    app = ch.current_app
    return {
        "uuid": ch.uuid,
        "direction": "outbound",
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ch.created)),
        "created_epoch": str(int(ch.created)),
        "name": ch.name,
        "state": ch.state,
        "cid_name": ch.cid_name,
        "cid_num": ch.number,
        "ip_addr": "",
        "dest": ch.number,
        "application": app.name if app else "",
        "application_data": app.arg if app else "",
        "dialplan": ch.dialplan,
        "context": ch.context,
        "read_codec": "PCMU" if ch.media else "",
        "read_rate": "8000" if ch.media else "",
        "read_bit_rate": "64000" if ch.media else "",
        "write_codec": "PCMU" if ch.media else "",
        "write_rate": "8000" if ch.media else "",
        "write_bit_rate": "64000" if ch.media else "",
        "secure": "",
        "hostname": node.name,
        "presence_id": ch.presence_id,
        "presence_data": "",
        "accountcode": ch.agent_user,
        "callstate": ch.callstate,
        "callee_name": "",
        "callee_num": "0000000000",
        "callee_direction": "RECV",
        "call_uuid": ch.call_uuid or ch.uuid,
        "sent_callee_name": "",
        "sent_callee_num": "",
        "initial_cid_name": "",
        "initial_cid_num": "0000000000",
        "initial_ip_addr": "",
        "initial_dest": ch.number,
        "initial_dialplan": "",
        "initial_context": ch.context,
    }


_CALL_KEYS = [
    "uuid",
    "direction",
    "created",
    "created_epoch",
    "name",
    "state",
    "cid_name",
    "cid_num",
    "ip_addr",
    "dest",
    "presence_id",
    "presence_data",
    "accountcode",
    "callstate",
    "callee_name",
    "callee_num",
    "callee_direction",
    "call_uuid",
    "hostname",
    "sent_callee_name",
    "sent_callee_num",
]
# The B leg's half of a `show calls` row (b_*) has the same columns without these two.
_B_KEYS = [k for k in _CALL_KEYS if k not in ("call_uuid", "hostname")]


def _call_rows(node: ApiHost) -> list[dict[str, str]]:
    rows = []
    for ch in list(node.calls.channels.values()):
        if ch.is_b_leg and ch.partner is not None and ch.partner.uuid in node.calls.channels:
            continue  # listed as the b_* half of its A leg
        row = _channel_row(node, ch)
        out = {k: row[k] for k in _CALL_KEYS}
        b = ch.partner if (ch.partner is not None and ch.bridged_at and not ch.is_b_leg) else None
        brow = _channel_row(node, b) if b is not None else None
        for k in _B_KEYS:
            out["b_" + k] = brow[k] if brow else ""
        out["call_created_epoch"] = str(int(ch.bridged_at)) if b is not None else ""
        rows.append(out)
    return rows


def _rows_json(rows: list[dict[str, str]]) -> str:
    if not rows:
        return '{"row_count": 0}\n'
    # Captures 12 and 17: with rows there is no trailing newline; empty has one.
    return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))


def _rows_text(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "\n0 total.\n"
    keys = list(rows[0])
    lines = [",".join(keys)]
    lines += [",".join(r[k] for k in keys) for r in rows]
    return "\n".join(lines) + f"\n\n{len(rows)} total.\n"


def _show(node: ApiHost, args: str, done: Done, job: str) -> str:
    words = args.split()
    if not words:
        return "-USAGE: <what> [as xml|json|delim <c>]\n"
    what, rest = words[0], words[1:]
    as_json = rest[-2:] == ["as", "json"]
    count = rest[:1] == ["count"]
    if what == "channels":
        rows = [_channel_row(node, ch) for ch in list(node.calls.channels.values())]
    elif what == "calls":
        rows = _call_rows(node)
    elif what == "registrations":
        rows = [
            {
                "reg_user": r.user,
                "realm": r.domain,
                "token": r.call_id,
                "url": f"sofia/internal/sip:{r.user}@{r.contact_ip}:{r.contact_port};"
                f"transport={r.transport.upper()}",
                "expires": str(int(r.expiry)),
                "network_ip": r.network_ip,
                "network_port": str(r.network_port),
                "network_proto": r.transport,
                "hostname": node.name,
                "metadata": "",
            }
            for r in node.registrar.live_registrations()
        ]
    else:
        return f"-ERR Cannot find {what}!\n" if what else "-USAGE\n"
    if count:
        return f"\n{len(rows)} total.\n"
    if as_json:
        return _rows_json(rows)
    return _rows_text(rows)


def _sofia(node: ApiHost, args: str, done: Done, job: str) -> str:
    words = args.split()
    now = time.time()
    rows = node.registrar.live_registrations()
    if words[:1] == ["status"] and len(words) == 1:
        bar = "=" * 97
        return (
            f"{'Name':>25}\t   Type\t{'Data':>42}\tState\n"
            f"{bar}\n"
            f"{node.domain:>25}\t  alias\t                                  internal\tALIASED\n"
            f"                 external\tprofile\t{'sip:mod_sofia@' + node.ipv4 + ':5080':>42}"
            "\tRUNNING (0)\n"
            f"{'external::example.com':>25}\tgateway\t{'sip:joeuser@example.com':>42}\tNOREG\n"
            f"                 internal\tprofile\t{'sip:mod_sofia@' + node.ipv4 + ':5060':>42}"
            "\tRUNNING (0)\n"
            f"{bar}\n2 profiles 1 alias\n"
        )
    if words[:1] == ["profile"] and len(words) >= 3 and words[2] == "flush_inbound_reg":
        return _flush_inbound_reg(node, words[1], words[3:])
    if words[:2] == ["status", "profile"] and len(words) >= 3:
        if words[2] not in node.profiles:
            return "Invalid Profile!\n"
        if words[3:4] == ["reg"]:
            if len(words) > 4:  # `reg <filter>`: rows whose user or contact contains it (31)
                rows = [r for r in rows if words[4] in r.user or words[4] in r.contact]
            return regs.status_listing(rows, node.name, now)
        return _profile_text(node, words[2], len(rows))
    if words[:2] == ["xmlstatus", "profile"] and len(words) >= 4 and words[3] == "reg":
        return regs.xml_listing(rows, node.name, now)
    return "-ERR Usage: sofia status|xmlstatus profile <name> [reg]\n"


def _flush_inbound_reg(node: ApiHost, profile: str, rest: list[str]) -> str:
    """`sofia profile <p> flush_inbound_reg [<call_id>|<user>@<domain>] [reboot]` (32c)."""
    if profile not in node.profiles:
        return f"Invalid Profile [{profile}]"
    match = [w for w in rest if w != "reboot"][:1]  # reboot: a NOTIFY to the phone, no event
    if profile == "internal":
        node.registrar.flush(match[0] if match else "")
    if match:
        return "+OK flushing all registrations matching specified call_id\n"
    return "+OK flushing all registrations\n"


def _profile_text(node: ApiHost, profile: str, registrations: int) -> str:
    """`sofia status profile <p>` (capture 02), with this node's addresses."""
    ip = node.ipv4
    port = 5060 if profile == "internal" else 5080
    rows = [
        ("Name", profile), ("Domain Name", "N/A"), ("Auto-NAT", "false"),
        ("DBName", f"sofia_reg_{profile}"), ("Pres Hosts", f"{node.domain},{node.domain}"),
        ("Dialplan", "XML"), ("Context", "public"), ("Challenge Realm", "auto_from"),
        ("RTP-IP", ip), ("Ext-RTP-IP", ip), ("SIP-IP", ip), ("Ext-SIP-IP", ip),
        ("URL", f"sip:mod_sofia@{ip}:{port}"),
        ("BIND-URL", f"sip:mod_sofia@{ip}:{port};maddr={ip};transport=udp,tcp"),
        ("HOLD-MUSIC", "local_stream://moh"), ("OUTBOUND-PROXY", "N/A"),
        ("CODECS IN", "OPUS,G722,PCMU,PCMA,H264,VP8"),
        ("CODECS OUT", "OPUS,G722,PCMU,PCMA,H264,VP8"), ("TEL-EVENT", "101"),
        ("DTMF-MODE", "rfc2833"), ("CNG", "13"), ("SESSION-TO", "0"), ("MAX-DIALOG", "0"),
        ("MAX-RECV-RPS", "1000"), ("NOMEDIA", "false"), ("LATE-NEG", "true"),
        ("PROXY-MEDIA", "false"), ("AGGRESSIVENAT", "false"), ("CALLS-IN", "0"),
        ("FAILED-CALLS-IN", "0"), ("CALLS-OUT", str(node.sessions_since_startup)),
        ("FAILED-CALLS-OUT", "0"), ("REGISTRATIONS", str(registrations)),
    ]  # fmt: skip
    return "=" * 97 + "\n" + "".join(f"{name:<17}\t{value}\n" for name, value in rows)


def _sofia_contact(node: ApiHost, args: str, done: Done, job: str) -> str:
    target = args.strip().split("/")[-1]
    user, _, domain = target.partition("@")
    reg = node.registrar.find_registration(user, domain)
    if reg is None:
        return "error/user_not_registered"
    return (
        f"sofia/internal/sip:{reg.user}@{reg.contact_ip}:{reg.contact_port};"
        f"transport={reg.transport.upper()}"
    )


def _originate(node: ApiHost, args: str, done: Done, job: str) -> str | None:
    return node.calls.originate(args, done, job)


def _uuid_send_dtmf(node: ApiHost, args: str, done: Done, job: str) -> str:
    target, _, data = args.partition(" ")
    data = data.strip()
    if not target or not data:
        return "-USAGE: <uuid> <dtmf_data>\n"
    ch = node.calls.channels.get(target)
    if ch is None or ch.hangup_cause:
        return "-ERR Cannot locate session!\n"
    # The digits are queued, not sent: +OK comes back at once (reference section 3).
    node.calls.apps.queue_dtmf(ch, data, "uuid_send_dtmf")
    return f"+OK {target} sent DTMF {data}.\n"


def _uuid_kill(node: ApiHost, args: str, done: Done, job: str) -> str:
    words = args.split()
    if not words:
        return "-USAGE: <uuid> [cause]\n"
    cause = words[1].upper() if len(words) > 1 else "NORMAL_CLEARING"
    if not node.calls.kill(words[0], cause):
        return NO_CHANNEL
    return "+OK\n"


def _uuid_exists(node: ApiHost, args: str, done: Done, job: str) -> str:
    return "true" if args.strip() in node.calls.channels else "false"


def _uuid_getvar(node: ApiHost, args: str, done: Done, job: str) -> str:
    words = args.split()
    if len(words) < 2:
        return "-USAGE: <uuid> <var>\n"
    ch = node.calls.channels.get(words[0])
    if ch is None:
        return NO_CHANNEL
    return ch.all_variables().get(words[1], "_undef_")


def _uuid_setvar(node: ApiHost, args: str, done: Done, job: str) -> str:
    words = args.split(" ", 2)
    if len(words) < 2:
        return "-USAGE: <uuid> <var> [value]\n"
    ch = node.calls.channels.get(words[0])
    if ch is None:
        return NO_CHANNEL
    if len(words) > 2:
        ch.variables[words[1]] = words[2]
    else:
        ch.variables.pop(words[1], None)
    return "+OK\n"


def _uuid_transfer(node: ApiHost, args: str, done: Done, job: str) -> str:
    words = split_args(args)
    if len(words) < 2:
        return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
    target, rest = words[0], words[1:]
    if rest and rest[0] in ("-bleg", "-both"):
        rest = rest[1:]
    if not rest:
        return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
    dest = rest[0]
    dialplan = rest[1] if len(rest) > 1 else "XML"
    quoted = f"'{dest}' {dialplan}"
    if not node.calls.apps.transfer(target, quoted):
        return NO_CHANNEL
    return "+OK\n"


def _uuid_bridge(node: ApiHost, args: str, done: Done, job: str) -> str:
    words = args.split()
    if len(words) != 2:
        return "-USAGE: <uuid> <other_uuid>\n"
    return node.calls.apps.uuid_bridge(words[0], words[1])


def _avmd(node: ApiHost, args: str, done: Done, job: str) -> str:
    words = args.split()
    if len(words) != 2:
        return "-ERR, unknown command\n"
    ch = node.calls.channels.get(words[0])
    if ch is None:
        return NO_CHANNEL
    return node.calls.apps.media.avmd_api(ch, words[1])


def _global_getvar(node: ApiHost, args: str, done: Done, job: str) -> str:
    values = {
        "core_uuid": node.core_uuid,
        "local_ip_v4": node.ipv4,
        "hostname": node.name,
        "domain": node.domain,
        "switchname": node.name,
    }
    return values.get(args.strip(), "")


def _hostname(node: ApiHost, args: str, done: Done, job: str) -> str:
    return node.name


def _uptime(node: ApiHost, args: str, done: Done, job: str) -> str:
    return f"{int(time.time() - node.started_at)}\n"


def _hupall(node: ApiHost, args: str, done: Done, job: str) -> str:
    cause = (args.split() or ["NORMAL_CLEARING"])[0].upper()
    node.calls.hupall(cause)
    return f"+OK hangup all channels with cause {cause}\n"


def _fsctl(node: ApiHost, args: str, done: Done, job: str) -> str:
    words = args.split()
    if not words:
        return "-ERR Invalid command\n"
    cmd = words[0]
    if cmd == "max_sessions":
        if len(words) > 1 and words[1].isdigit():
            node.max_sessions = int(words[1])
        return f"+OK max sessions: {node.max_sessions}\n"
    if cmd == "sps":
        if len(words) > 1 and words[1].isdigit():
            node.sps = int(words[1])
            node._sps_left = min(node._sps_left, node.sps)
        return f"+OK sessions per second: {node.sps}\n"
    if cmd == "shutdown":
        node.loop.call_soon(node.shutdown)
        return "+OK\n"
    if cmd == "hupall":
        node.calls.hupall((words[1:] or ["NORMAL_CLEARING"])[0].upper())
        return "+OK\n"
    return "-ERR Invalid command\n"


_API: dict[str, Handler] = {
    "version": _version,
    "status": _status,
    "show": _show,
    "sofia": _sofia,
    "sofia_contact": _sofia_contact,
    "originate": _originate,
    "uuid_send_dtmf": _uuid_send_dtmf,
    "uuid_kill": _uuid_kill,
    "uuid_exists": _uuid_exists,
    "uuid_getvar": _uuid_getvar,
    "uuid_setvar": _uuid_setvar,
    "uuid_transfer": _uuid_transfer,
    "uuid_bridge": _uuid_bridge,
    "avmd": _avmd,
    "global_getvar": _global_getvar,
    "hostname": _hostname,
    "uptime": _uptime,
    "hupall": _hupall,
    "fsctl": _fsctl,
}
