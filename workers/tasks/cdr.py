"""The CDR sweep task (beat, every 30 s): a thin shell over
`campaigns.services.call_path.cdr_sweep`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from campaigns.services.call_path.cdr_sweep import sweep
from workers.celery import SWEEP_CDRS, app
from workers.wiring import results


@app.task(name=SWEEP_CDRS, acks_late=False, soft_time_limit=60, time_limit=90)
def sweep_cdrs() -> dict[str, int]:
    """Apply the CDR files in CDR_ERR_LOG_DIRS and move them to done/."""
    if not settings.CDR_ERR_LOG_DIRS:
        return {"applied": 0}
    report = sweep(settings.CDR_ERR_LOG_DIRS, results(), dt.datetime.now(tz=dt.UTC))
    return {"applied": report.applied, "duplicates": report.duplicates,
            "rejected": len(report.rejected), "failed": len(report.failed)}
