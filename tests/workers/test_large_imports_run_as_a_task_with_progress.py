"""A file above IMPORT_ASYNC_BYTES is imported by a real Celery worker; the API shows its job."""

from __future__ import annotations

import csv
import io
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from campaigns.models import ImportJob, Target
from tests.dispatch.conftest import (  # noqa: F401 - fixtures: a real worker process
    celery_processes,
    celery_worker_factory,
    process_env,
)
from tests.factories import make_campaign, make_superuser

ROWS = 12_000  # more than one chunk of 5,000, so progress is written along the way


def large_csv() -> bytes:
    lines = [f"+1415555{i % 10_000:04d},{i // 10_000}" for i in range(ROWS)]
    lines[10] = "bogus,"
    return ("number,extension\n" + "\n".join(lines) + "\n").encode()


def wait_for_job(client: APIClient, job_id: int, timeout: float = 90) -> tuple[dict, list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/imports/{job_id}/").json()
        if not seen or seen[-1] != body["state"]:
            seen.append(body["state"])
        if body["state"] in ("done", "failed"):
            return body, seen
        time.sleep(0.2)
    raise AssertionError(f"import job {job_id} still {seen[-1]} after {timeout}s")


def test_a_large_upload_is_queued_then_imported_by_a_worker(
    celery_worker_factory,  # noqa: F811 - the imported fixture
    settings,
):
    settings.IMPORT_ASYNC_BYTES = 10_000
    campaign = make_campaign(default_region="US")
    client = APIClient()
    client.force_authenticate(make_superuser())
    celery_worker_factory(queues=("default",), concurrency=1)

    response = client.post(
        "/api/targets/import/",
        {"campaign": campaign.pk, "file": SimpleUploadedFile("big.csv", large_csv())},
    )

    assert response.status_code == 202
    queued = response.json()
    assert (queued["state"], queued["report"], queued["report_url"]) == ("queued", None, None)
    job, states = wait_for_job(client, queued["id"])
    assert states[-1] == "done"
    assert (job["rows_read"], job["created"], job["rejected"], job["duplicates"]) == (
        ROWS,
        ROWS - 1,
        1,
        0,
    )
    assert job["percent"] == 100
    assert job["report"]["errors"] == [
        {"line": 12, "field": "number", "reason": "not a phone number"}
    ]
    assert Target.objects.filter(campaign=campaign).count() == ROWS - 1
    report = list(csv.reader(io.StringIO(client.get(job["report_url"]).content.decode())))
    assert report[1:] == [["12", "error", "number", "", "", "not a phone number"]]
    assert ImportJob.objects.get(pk=queued["id"]).data is None  # the upload is not kept


def test_a_queued_file_that_cannot_be_read_fails_its_job_with_the_reason(
    celery_worker_factory,  # noqa: F811 - the imported fixture
    settings,
):
    settings.IMPORT_ASYNC_BYTES = 10
    campaign = make_campaign()
    client = APIClient()
    client.force_authenticate(make_superuser())
    celery_worker_factory(queues=("default",), concurrency=1)
    # A header the whole-file checks accept but the importer refuses: no number column
    # is only found while reading records, in the worker.
    response = client.post(
        "/api/targets/import/",
        {"campaign": campaign.pk, "file": SimpleUploadedFile("t.csv", b"phone\n1\n2\n3\n")},
    )

    job, _states = wait_for_job(client, response.json()["id"])
    assert (job["state"], job["error"]) == ("failed", 'The header has no "number" column.')
