"""The admin's import page applies the API's upload checks and shows a large import's progress."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import ImportJob, ImportState, Target


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"number\n" + b"+14155550100\n" * 200,
            "The file is larger than 0 MB (IMPORT_MAX_UPLOAD_BYTES); split it, or use the "
            "import_targets command.",
        ),
        (
            b"number\n+1415\x005550100\n",
            "The file contains NUL bytes; save it as a UTF-8 CSV or an .xlsx workbook.",
        ),
        (
            b"number\n+14155550100\nRen\xe9e\n",
            "The file is not valid utf-8 text: line 3 holds bytes that are not utf-8. Save it as "
            "UTF-8, or name its encoding (encoding=cp1252 for Windows-1252).",
        ),
    ],
)
def test_the_admin_refuses_what_the_api_refuses(admin_client, campaign, settings, content, message):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])

    response = admin_client.post(url, {"file": SimpleUploadedFile("t.csv", content)})

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": [message]}
    assert not Target.objects.exists()
    assert not ImportJob.objects.exists()


def test_a_running_import_shows_a_progress_bar_that_refreshes(admin_client, campaign):
    job = ImportJob.objects.create(
        campaign=campaign,
        source_name="big.csv",
        state=ImportState.RUNNING,
        rows_total=200,
        rows_read=80,
        created=70,
        rejected=10,
    )
    url = reverse("admin:campaigns_campaign_import_job", args=[campaign.pk, job.pk])

    body = admin_client.get(url).content.decode()

    assert '<progress id="import-progress" value="40" max="100">40%</progress>' in body
    assert '<meta http-equiv="refresh" content="2">' in body
    assert "80 of about 200 rows read:" in body


def test_a_large_preview_is_queued_not_parsed_in_the_request(
    admin_client, campaign, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.IMPORT_ASYNC_BYTES = 5
    sent = []
    monkeypatch.setattr("campaigns.services.controls._import", sent.append)
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"file": SimpleUploadedFile("t.csv", b"number\n1\n")})

    job = response.context["job"]
    assert (job.state, job.dry_run, sent) == (ImportState.QUEUED, True, [job.pk])
    assert 'id="import-progress"' in response.content.decode()


def test_the_imports_list_shows_each_job_with_its_progress(admin_client, campaign):
    ImportJob.objects.create(campaign=campaign, source_name="big.csv", state=ImportState.RUNNING,
                             rows_total=200, rows_read=50)

    body = admin_client.get(reverse("admin:campaigns_importjob_changelist")).content.decode()

    assert '<progress value="25" max="100">25%</progress> 50 rows' in body
