"""FreeSWITCH side of Switchboard: ESL, dial strings, events, presence, the emulator.

Nothing here imports Django: it takes plain values and a Redis client.
"""
