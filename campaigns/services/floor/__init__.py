"""The floor: agents' presence and state, the supervisor's live snapshot, the agent's
dispositions and call backs."""
