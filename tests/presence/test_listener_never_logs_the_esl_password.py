import pytest

from tests.presence.processes import Emulator, wait_until
from tests.processes import Process

pytestmark = pytest.mark.integration
PASSWORD = "Esl-S3cret-Never-Shown"
WRONG = "Wrong-Pass-Also-Secret"


def test_listener_logs_and_redis_never_hold_the_password_even_when_it_is_refused(
        listener_env, started, store):
    import sys
    emulator = Emulator(listener_env, password=PASSWORD, extra=("--heartbeat", "0.5"))
    started.append(emulator)
    env = {**listener_env, "FREESWITCH_NODES": emulator.node_list,
           "FREESWITCH_PASSWORD": PASSWORD, "FREESWITCH_PASSWORD_FS2": WRONG, "LOG_LEVEL": "DEBUG"}
    listener = Process([sys.executable, "manage.py", "listen", "--agent-sync", "0.5"], env,
                       "listener")
    started.append(listener)

    listener.wait_for(f"node fs1 (127.0.0.1:{emulator.ports['fs1']}) connected")
    wait_until(lambda: "authentication failed: -ERR invalid" in listener.log(),
               what="fs2 refused")
    listener.stop()

    log = listener.log()
    assert PASSWORD not in log and WRONG not in log
    dumped = b"".join(
        repr(store.client.dump(key)).encode() for key in store.client.scan_iter(
            match=f"{store.prefix}:*"))
    assert PASSWORD.encode() not in dumped and WRONG.encode() not in dumped
