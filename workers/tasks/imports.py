"""The import task: a thin shell over `campaigns.imports.run_queued_job`."""

from __future__ import annotations

from campaigns.imports import run_queued_job
from workers.celery import IMPORT_TARGETS, app


# Not acknowledged late: an import may run longer than the broker's visibility timeout, and a
# redelivery would only find the job taken. A job whose worker died stays `running`; importing
# the file again is safe (its rows come back as duplicates).
@app.task(name=IMPORT_TARGETS, acks_late=False, soft_time_limit=1800, time_limit=1900)
def import_targets_job(job_id: int) -> None:
    """Run one queued import job."""
    run_queued_job(job_id)
