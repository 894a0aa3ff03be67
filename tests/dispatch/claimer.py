"""A claiming process for the claim concurrency tests (run with `python -m`).

Usage: python -m tests.dispatch.claimer CAMPAIGN_ID LIMIT HOLD_SECONDS GUARD(1|0)
Prints "ready" once set up and waits for a line on stdin, so all claimers begin together; then
claims until no due target is left, holding each claim's transaction open HOLD_SECONDS (as a
slow tick would), and prints the claimed ids as a JSON list on stdout.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from campaigns.models import Target, TargetState
    from campaigns.services.call_path import dispatch, dispatch_claim

    campaign_id, limit, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    dispatch_claim.CLAIM_GUARD = sys.argv[4] == "1"
    Target.objects.exists()  # connect before the start line
    print("ready", flush=True)
    sys.stdin.readline()
    claimed: list[int] = []
    due = Target.objects.filter(campaign_id=campaign_id, state=TargetState.PENDING)
    while True:
        with transaction.atomic():
            ids = dispatch.claim_due_targets(campaign_id, limit, timezone.now())
            time.sleep(hold)  # the claim's row locks are held until this commits
        claimed += ids
        if not ids and not due.exists():
            break
    print(json.dumps(claimed))


if __name__ == "__main__":
    main()
