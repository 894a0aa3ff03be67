"""Render the `originate` command for one call attempt from a typed request (STYLE rules 9, 18).

Every value passes its strict grammar in `telephony.dialstring` before anything is rendered;
nothing is formatted into the command that did not. Two plans, one per campaign mode:

* `target_first`: `{vars}sofia/gateway/<gw>/<prefix><number> 'm:|:set:transfer_ringback=<ring>|
  sleep:<settle>|send_dtmf:<dtmf>|sleep:<dtmf length>|set:switchboard_dtmf=sent|
  bridge:{leg_timeout=<s>}user/<agent>@<domain>|playback:<hold>|playback:<abandon>|hangup' inline`
  (through a SIP proxy the agent's leg is `sofia/<profile>/<agent>@<proxy>:<port>` instead)
  (the `m:|:` prefix picks `|` as the separator because tones hold commas: capture 29b). The
  whole plan runs on the node as an inline dialplan,
  rather than `&park()` followed by `uuid_send_dtmf` and `uuid_transfer` from the results side
  (capture 24). Why: the inline plan needs no round trip through the listener, the Redis stream
  and a consumer between answer and DTMF, so a slow database or a consumer restart can never
  delay the digits or leave an answered callee parked; and `send_dtmf` as an application reports
  CHANNEL_EXECUTE_COMPLETE (capture 05), which is when we record the DTMF as sent. The trade-off:
  the plan is fixed at originate time, so the agent is chosen before dialling, which DESIGN
  requires anyway ("no answered callee waits for an agent who is not there"). With
  `ignore_early_media=true` the inline plan starts only after the 200 OK: never on early media.
  The person who answered comes first, whatever the agent's phone does:
  - the digits leave one every tone length + 280 ms after `send_dtmf` completes (capture 34), so a
    `sleep` of the rendered length keeps the agent out until the extension is out in full; the
    `set:switchboard_dtmf=sent` after it is the proof that it was (a leg that dies mid-extension
    never runs it);
  - `transfer_ringback` gives the callee ringback while the agent's phone rings, `leg_timeout`
    bounds that ring (capture 29), and `continue_on_fail=true` keeps the callee up when the
    agent leg fails (capture 35), hearing the hold tone while the results side fails over to
    another agent (`uuid_transfer`, `render_agent_transfer`);
  - the plan ends itself: after the hold (the campaign's failover window) the callee hears the
    abandon message and is hung up normally, even if nothing on our side answers any more.
    `hangup_after_bridge=true` ends the call when a connected agent hangs up (no hold tone then).
* `agent_first`: `{vars}user/<agent>@<domain> &bridge({B vars,execute_on_answer=send_dtmf:<dtmf>}
  sofia/gateway/<gw>/<prefix><number>)` (capture 18, with the digits sent on the far answer as in
  capture 07). `execute_on_answer` runs on the B leg right after its CHANNEL_ANSWER; the settle
  delay is rendered as leading `W`/`w` pauses (rounded up to 0.5 s) because an application list
  cannot be nested inside the bridge's variable block without a second separator.

`attempt_id` is set on every leg so that each event can be tied to its attempt, and the B leg
carries `attempt_leg=target` so results know which leg a hangup cause belongs to.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from telephony.dialstring import (
    DEFAULT_COMMA_PAUSE_MS,
    DialstringError,
    dtmf_length_ms,
    render_dtmf,
    render_prompt,
    render_proxy_leg,
    validate_caller_id_name,
    validate_caller_id_number,
    validate_dial_prefix,
    validate_dtmf,
    validate_e164,
    validate_gateway,
    validate_sip_domain,
    validate_sip_user,
    validate_uuid,
    validate_var_name,
    validate_var_value,
)
from telephony.listening import (
    LISTEN_VARIABLE,
    ConnectPlan,
    Listening,
    Thresholds,
    attendant_apps,
    listens_for,
    render_wait_for_silence,
    ringback_key,
    validate_connect_plan,
    validate_thresholds,
)

MIN_TIMEOUT_S = 1
MAX_TIMEOUT_S = 600
MAX_SETTLE_MS = 30_000
MAX_HOLD_MS = 300_000
# US ringback (vars.xml `us-ring`): what the callee hears while an agent's phone rings and while
# the call fails over to another agent, one loop every 6 s.
RINGBACK = "%(2000,4000,440,480)"
RINGBACK_LOOP_MS = 6000
RINGBACK_ON_MS = 2000
DEFAULT_ABANDON_PROMPT = "tone:500/500/480+620x4"
DTMF_SENT_MARK = "switchboard_dtmf"
# Set after the abandon message's playback returns: its CHANNEL_EXECUTE_COMPLETE is the proof,
# kept on the attempt, that the message played to its end (a callee who hung up mid-message
# never reaches it).
ABANDON_PLAYED_MARK = "switchboard_abandon"


class Mode(enum.StrEnum):
    TARGET_FIRST = "target_first"
    AGENT_FIRST = "agent_first"
    # No agent is reserved until a person says hello (telephony.listening; DESIGN "Listening
    # to the line"). The name is shared with the pacer: keep it.
    AGENT_AT_HELLO = "agent_at_hello"


@dataclass(frozen=True)
class OriginateRequest:
    """Everything one originate needs, as plain values; validated when rendered."""

    mode: Mode
    attempt_id: int
    call_uuid: str  # origination_uuid of leg A (the attempt's uuid)
    gateway: str
    number: str  # E.164
    agent_user: str
    agent_domain: str
    timeout_s: int
    dial_prefix: str = ""
    extension: str = ""  # digits with `,` (comma_ms) and w/W pauses, "" for none
    settle_ms: int = 0
    tone_ms: int = 200
    pause_ms: int = 0
    comma_ms: int = DEFAULT_COMMA_PAUSE_MS
    caller_id_number: str = ""
    caller_id_name: str = ""
    b_leg_uuid: str = ""  # agent_first: origination_uuid of the target leg
    agent_timeout_s: int = 15  # target_first: how long the agent's phone may ring (leg_timeout)
    hold_ms: int = 20_000  # target_first: how long the callee holds for another agent at most
    abandon_prompt: str = DEFAULT_ABANDON_PROMPT  # target_first: played when no agent takes it
    extra_vars: tuple[tuple[str, str], ...] = field(default=())
    # The agent is registered with a SIP proxy: its leg goes there, from whichever node dials.
    agent_proxy: AgentProxy | None = None
    connect_plan: str = ConnectPlan.BLIND  # blind (settle delay) | attendant (listen first)
    listening: Listening = field(default=Listening())
    thresholds: Thresholds = field(default=Thresholds())  # agent_at_hello: person vs machine


@dataclass(frozen=True)
class AgentProxy:
    """How a node reaches the SIP proxy an agent registered with (telephony.config.ProxyConfig)."""

    host: str
    port: int
    transport: str = "udp"
    profile: str = "internal"  # the node's sofia profile that sends the leg


def agent_leg(user: str, domain: str, proxy: AgentProxy | None) -> str:
    """`user/<user>@<domain>` (registered on the node), or the leg through the proxy."""
    if proxy is None:
        return f"user/{validate_sip_user(user)}@{validate_sip_domain(domain)}"
    validate_sip_domain(domain)
    return render_proxy_leg(proxy.profile, user, proxy.host, proxy.port, proxy.transport)


def leg_timeout_for(seconds: int, proxy: AgentProxy | None) -> int:
    """The `leg_timeout` that makes an agent leg give up within `seconds` of its start.

    A `user/` leg is originated again inside mod_dptools, whose originate counts the timeout
    with `>=` on epoch seconds: N gives up N-1 to N s after the leg starts (captures 29, 29b:
    4.85 and 4.69 s for 5; cause NO_ANSWER). A leg through the proxy is a plain sofia leg, and
    switch_ivr_originate's per-leg check is `elapsed > N`: N gives up N to N+1 s later, cause
    ALLOTTED_TIMEOUT (lab, FreeSWITCH 1.10.12: 2.57 s for 2). So the proxy leg gets one less.
    """
    return seconds if proxy is None else max(1, seconds - 1)


def _check_int(value: int, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DialstringError(f"{what} must be a whole number from {low} to {high}")
    return value


def _vars(pairs: list[tuple[str, str]]) -> str:
    """`{a=b,c=d}` from values that passed a grammar; only a caller name may hold a space."""
    rendered = []
    for name, value in pairs:
        validate_var_name(name)
        rendered.append(f"{name}='{value}'" if " " in value else f"{name}={value}")
    return "{" + ",".join(rendered) + "}"


def _pauses(settle_ms: int) -> str:
    """The settle delay as FreeSWITCH pause characters, rounded up to 0.5 s."""
    halves = -(-settle_ms // 500)
    return "W" * (halves // 2) + "w" * (halves % 2)


def dtmf_string(request: OriginateRequest) -> str:
    """The DTMF data for the extension (`""` when there is none), validated."""
    if not request.extension:
        return ""
    return render_dtmf(
        request.extension,
        duration_ms=request.tone_ms,
        pause_ms=request.pause_ms,
        comma_ms=request.comma_ms,
    )


def render_originate(request: OriginateRequest) -> str:
    """Return `originate <args>` for one attempt or raise DialstringError (never partial)."""
    mode = Mode(request.mode)
    call_uuid = validate_uuid(request.call_uuid)
    attempt_id = validate_var_value(_check_int(request.attempt_id, 1, 2**63 - 1, "attempt id"))
    gateway = validate_gateway(request.gateway)
    number = validate_e164(request.number)
    prefix = validate_dial_prefix(request.dial_prefix) if request.dial_prefix else ""
    agent = ""
    if mode is not Mode.AGENT_AT_HELLO:  # no agent is chosen before the hello
        agent = agent_leg(request.agent_user, request.agent_domain, request.agent_proxy)
    timeout = str(_check_int(request.timeout_s, MIN_TIMEOUT_S, MAX_TIMEOUT_S, "originate timeout"))
    settle = _check_int(request.settle_ms, 0, MAX_SETTLE_MS, "DTMF settle delay")
    plan = validate_connect_plan(request.connect_plan)
    dtmf = dtmf_string(request)

    common: list[tuple[str, str]] = [("attempt_id", attempt_id), ("ignore_early_media", "true")]
    if request.caller_id_number:
        common.append(
            ("origination_caller_id_number", validate_caller_id_number(request.caller_id_number))
        )
    if request.caller_id_name:
        common.append(
            ("origination_caller_id_name", validate_caller_id_name(request.caller_id_name))
        )
    for name, value in request.extra_vars:
        common.append((validate_var_name(name), validate_var_value(value)))
    trunk_leg = f"sofia/gateway/{gateway}/{prefix}{number}"

    if mode in (Mode.TARGET_FIRST, Mode.AGENT_AT_HELLO):
        a_vars = [("origination_uuid", call_uuid), ("originate_timeout", timeout), *common,
                  ("continue_on_fail", "true"), ("hangup_after_bridge", "true")]
        apps = [f"set:transfer_ringback={RINGBACK}"]
        if dtmf:
            if plan is ConnectPlan.ATTENDANT:
                apps += attendant_apps(request.extension, request.listening,
                                       tone_ms=request.tone_ms, pause_ms=request.pause_ms,
                                       comma_ms=request.comma_ms)
            else:
                if settle:
                    apps.append(f"sleep:{settle}")
                apps.append(f"send_dtmf:{dtmf}")
                apps.append(f"sleep:{dtmf_length_ms(dtmf)}")
            apps.append(f"set:{DTMF_SENT_MARK}=sent")
        if mode is Mode.AGENT_AT_HELLO:
            apps += _listen_plan(request.attempt_id, request.listening, request.thresholds)
        else:
            apps += _agent_plan(agent, request.agent_timeout_s, request.hold_ms,
                                request.abandon_prompt, request.agent_proxy)
        return f"originate {_vars(a_vars)}{trunk_leg} 'm:|:{'|'.join(apps)}' inline"

    if plan is not ConnectPlan.BLIND:
        # The agent's leg carries the plan in agent_first: nothing can listen before the bridge.
        raise DialstringError("agent_first campaigns send the digits blind (connect plan blind)")
    b_uuid = validate_uuid(request.b_leg_uuid)
    # Leg A is the agent's phone: it rings for the agent ring timeout, the target's for the
    # campaign's originate timeout.
    agent_timeout = str(_check_int(request.agent_timeout_s, 5, 120, "agent ring timeout"))
    a_vars = [("origination_uuid", call_uuid), ("originate_timeout", agent_timeout), *common]
    b_vars = [
        ("origination_uuid", b_uuid),
        ("originate_timeout", timeout),
        ("attempt_leg", "target"),
        *common,
    ]
    if dtmf:
        b_vars.append(("execute_on_answer", f"send_dtmf:{validate_dtmf(_pauses(settle) + dtmf)}"))
    return f"originate {_vars(a_vars)}{agent} &bridge({_vars(b_vars)}{trunk_leg})"


def _listen_plan(attempt_id: int, listening: Listening, thresholds: Thresholds) -> list[str]:
    """agent_at_hello, after the digits: arm the beep and ringback detectors (a per-attempt key:
    DETECTED_TONE names no call), then listen sound by sound; the results side classifies each
    listen and acts (agent, voicemail, no person) with `uuid_transfer`, which ends the listen
    running then. Parked at the end: the results side ends a call nobody answered."""
    validate_thresholds(thresholds)
    count, per_listen = listens_for(thresholds, listening)
    ring_s = thresholds.ring_timeout_s + count * per_listen // 1000
    apps = ["avmd_start", f"tone_detect:{ringback_key(attempt_id)} 440,480 r +{ring_s}"]
    for number in range(1, count + 1):
        apps.append(f"set:{LISTEN_VARIABLE}={number}")
        apps.append(render_wait_for_silence(listening, per_listen))
    apps.append("park")
    return apps


def render_hello_transfer(call_uuid: str, agent_user: str, agent_domain: str,
                          answer_within_s: int, abandon_prompt: str,
                          agent_proxy: AgentProxy | None = None) -> str:
    """agent_at_hello: `uuid_transfer` of the person to the agent reserved at the hello, with a
    ring allowance in whole seconds (leg_timeout counts epoch seconds: within N), then at once
    the abandon message (no hold: the regulators' 2 s started at the hello) and its played
    mark (the compliance proof)."""
    agent = agent_leg(agent_user, agent_domain, agent_proxy)
    ring = leg_timeout_for(_check_int(answer_within_s, 1, 120, "agent answer allowance"),
                           agent_proxy)
    plan = (f"bridge:{{leg_timeout={ring}}}{agent}|playback:{render_prompt(abandon_prompt)}"
            f"|set:{ABANDON_PLAYED_MARK}=played|hangup:NORMAL_CLEARING")
    return f"uuid_transfer {validate_uuid(call_uuid)} 'm:|:{plan}' inline"


def render_voicemail_transfer(call_uuid: str, message: str) -> str:
    """A machine: leave the campaign's message (after the beep), then hang up."""
    plan = f"playback:{render_prompt(message)}|hangup:NORMAL_CLEARING"
    return f"uuid_transfer {validate_uuid(call_uuid)} 'm:|:{plan}' inline"


def _hold(hold_ms: int) -> list[str]:
    """Ringback for `hold_ms`, never longer (the failover window): whole 6 s cadences, then the
    rest as one cut cadence (its ring, then as much of its pause as is left)."""
    loops, rest = divmod(hold_ms, RINGBACK_LOOP_MS)
    apps = [f"playback:tone_stream://{RINGBACK};loops={loops}"] if loops else []
    if rest:
        ring = min(rest, RINGBACK_ON_MS)
        apps.append(f"playback:tone_stream://%({ring},{rest - ring},440,480)")
    return apps


def _agent_plan(agent: str, agent_timeout_s: int, hold_ms: int, abandon_prompt: str,
                proxy: AgentProxy | None = None) -> list[str]:
    """Bridge the agent with a ring timeout; else hold, then the abandon message, then hang up."""
    leg_timeout = leg_timeout_for(_check_int(agent_timeout_s, 5, 120, "agent ring timeout"),
                                  proxy)
    hold = _check_int(hold_ms, 0, MAX_HOLD_MS, "failover hold")
    apps = [f"bridge:{{leg_timeout={leg_timeout}}}{agent}"]
    apps += _hold(hold)
    apps += [f"playback:{render_prompt(abandon_prompt)}", f"set:{ABANDON_PLAYED_MARK}=played",
             "hangup:NORMAL_CLEARING"]
    return apps


def render_agent_transfer(call_uuid: str, agent_user: str, agent_domain: str,
                          agent_timeout_s: int, hold_ms: int, abandon_prompt: str,
                          agent_proxy: AgentProxy | None = None) -> str:
    """`uuid_transfer` of a held callee to another agent (capture 35), with the same fallback."""
    agent = agent_leg(agent_user, agent_domain, agent_proxy)
    plan = "|".join(_agent_plan(agent, agent_timeout_s, hold_ms, abandon_prompt, agent_proxy))
    return f"uuid_transfer {validate_uuid(call_uuid)} 'm:|:{plan}' inline"


def render_abandon_transfer(call_uuid: str, abandon_prompt: str) -> str:
    """`uuid_transfer` of a held callee to the abandon message, then a normal hangup."""
    plan = (f"playback:{render_prompt(abandon_prompt)}|set:{ABANDON_PLAYED_MARK}=played|"
            "hangup:NORMAL_CLEARING")
    return f"uuid_transfer {validate_uuid(call_uuid)} 'm:|:{plan}' inline"
