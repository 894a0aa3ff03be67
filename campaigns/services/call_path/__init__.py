"""The call path: the tick claims due targets, the dialer places calls, results and
reconcile settle them (outcomes, penalties, CDRs)."""
