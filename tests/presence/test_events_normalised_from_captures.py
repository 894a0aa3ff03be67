from telephony.events import (
    Heartbeat,
    ReachabilityChanged,
    Registered,
    TcpDropFormat,
    TransportDropped,
    Unregistered,
    normalise,
)
from telephony.protocol import parse_plain_event
from tests.presence.captures import events

NOW = 1_795_746_580.0
DROP = TcpDropFormat()


def presence_inputs(name):
    return [p for e in events(name) if (p := normalise(e, DROP, NOW)) is not None]


def test_capture_22_register_then_socket_disconnection_unregister():
    register, unregister = [p for p in presence_inputs(
        "22-register-tcp-kill9-tcp-unreg-on-socket-close.esl.txt") if not isinstance(p, Heartbeat)]

    assert isinstance(register, Registered)
    reg = register.registration
    assert (register.core, register.seq, reg.agent, reg.call_id, reg.network_ip, reg.network_port,
            reg.transport, reg.expires_at) == (
        "7e7311ca-ac7b-41e8-85c6-cb159a57b4df", 450, "1000@127.0.0.1", "1-32631@127.0.0.1",
        "127.0.0.1", "5070", "tcp", NOW + 60 + 60)
    assert unregister == Unregistered("7e7311ca-ac7b-41e8-85c6-cb159a57b4df", 454,
                                      "1000@127.0.0.1", "1-32631@127.0.0.1", "socket_disconnect")


def test_capture_23_reachability_changes_and_the_expire_that_follows():
    found = [p for p in presence_inputs("23-options-ping-unreachable.esl.txt")
             if not isinstance(p, (Heartbeat, Registered))]
    core = "7e7311ca-ac7b-41e8-85c6-cb159a57b4df"

    assert found == [
        ReachabilityChanged(core, 76821, "1001@127.0.0.1", "1-19251@127.0.0.1", False),
        Unregistered(core, 76825, "1001@127.0.0.1", "1-19251@127.0.0.1", "expire"),
        ReachabilityChanged(core, 76837, "1001@127.0.0.1", "1-19253@127.0.0.1", False),
        ReachabilityChanged(core, 76838, "1001@127.0.0.1", "1-19253@127.0.0.1", True),
        Unregistered(core, 76842, "1001@127.0.0.1", "1-19253@127.0.0.1", "expire"),
    ]


def test_capture_21_json_events_normalise_like_plain_ones():
    kinds = [type(p).__name__ for p in presence_inputs("21-register-unregister-json.esl.txt")]
    assert kinds == ["Registered", "Heartbeat", "Unregistered"]


def test_capture_23_heartbeat_figures():
    beat = next(p for p in presence_inputs("23-options-ping-unreachable.esl.txt")
                if isinstance(p, Heartbeat))
    assert set(beat.figures) >= {"session_count", "max_sessions", "session_per_sec",
                                 "idle_cpu", "uptime_msec"}
    assert beat.figures["max_sessions"] == "1000"


def test_patched_transport_error_event_uses_the_configured_names():
    raw = parse_plain_event(
        b"Event-Name: CUSTOM\nEvent-Subclass: acme%3A%3Atcp_gone\nCore-UUID: c\n"
        b"Event-Sequence: 9\nx-ip: 10.0.0.7\nx-port: 40001\n")
    fmt = TcpDropFormat(subclass="acme::tcp_gone", ip_header="x-ip", port_header="x-port")

    assert normalise(raw, fmt, NOW) == TransportDropped("c", 9, "10.0.0.7", "40001")
    assert normalise(raw, DROP, NOW) is None


def test_non_ascii_digits_in_expires_or_sequence_are_refused_not_raised():
    raw = parse_plain_event(
        b"Event-Name: CUSTOM\nEvent-Subclass: sofia%3A%3Aregister\nCore-UUID: c\n"
        b"Event-Sequence: %C2%B2\nfrom-user: 1000\nfrom-host: 127.0.0.1\ncall-id: k1\n"
        b"expires: %C2%B2\n")
    assert normalise(raw, DROP, NOW) is None

    unreg = parse_plain_event(
        b"Event-Name: CUSTOM\nEvent-Subclass: sofia%3A%3Aunregister\nCore-UUID: c\n"
        b"Event-Sequence: %C2%B2\nfrom-user: 1000\nfrom-host: 127.0.0.1\ncall-id: k1\n")
    assert normalise(unreg, DROP, NOW) == Unregistered("c", 0, "1000@127.0.0.1", "k1", "unregister")
