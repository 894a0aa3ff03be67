"""A separate process that reserves and releases agents in a loop, counting double bookings.

Run by test_concurrent_reservations_never_double_book: `python -m tests.presence.reserver
<redis_url> <prefix> <rounds> guarded|unguarded`. Prints `<reservations> <double_bookings>`.
"""

from __future__ import annotations

import sys
import time

import redis

from telephony.presence import PresenceStore


def main() -> None:
    url, prefix, rounds, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    client = redis.Redis.from_url(url)
    store = PresenceStore(client, prefix)
    held_key = f"{prefix}:test:holders"
    reservations = doubles = 0
    # start together so the processes really overlap
    start_at = float(sys.argv[5])
    time.sleep(max(0.0, start_at - time.time()))
    for _ in range(rounds):
        now = time.time()
        if mode == "guarded":
            got = store.reserve("sales", ["fs1", "fs2"], now, 30)
        else:
            got = store.reserve_unguarded("sales", ["fs1", "fs2"], now, 30, race_window=0.002)
        if got is None:
            continue
        reservations += 1
        # the invariant: nobody else holds this agent while we do
        if client.hincrby(held_key, got.agent, 1) > 1:
            doubles += 1
        time.sleep(0.001)
        client.hincrby(held_key, got.agent, -1)
        store.release(got.token, time.time(), 0)
    print(reservations, doubles)


if __name__ == "__main__":
    main()
