"""The admin import page previews rejected lines (number, reason, text) and what the good rows
parsed to (number, extension, DTMF and how it plays), then imports the good rows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Target
from tests.factories import make_do_not_call

CSV = (
    b"number,extension\n(212) 555-0100,1\nbogus,2\n(212) 555-0101,5}6\n(212) 555-0199,\n"
    b"212.555.0102;204,\n"
)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_upload_previews_bad_lines_then_imports_the_good_rows(admin_client, campaign):
    make_do_not_call("+12125550199")
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])
    assert admin_client.get(url).status_code == 200

    preview = admin_client.post(url, {"file": SimpleUploadedFile("targets.csv", CSV)})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert (
        "<tr><td>3</td><td>number</td><td>not a phone number</td><td><code>bogus,2</code></td>"
        "</tr>"
    ) in body
    assert (
        "<tr><td>4</td><td>extension</td><td>extension may contain only 0-9 * # A-D, commas "
        "and w/W pauses</td><td><code>(212) 555-0101,5}6</code></td></tr>"
    ) in body
    assert (
        "<tr><td>6</td><td>+12125550102</td><td>204</td><td><code>204@200</code></td>"
        "<td>press 204 (200 ms tones)</td></tr>"
    ) in body
    assert "Each comma (or p, or w in a number) pauses 2 s" in body
    assert '<strong id="would-create">2</strong>' in body
    assert not Target.objects.exists()  # the preview stores nothing

    token = preview.context["token"]
    done = admin_client.post(url, {"token": token, "suffix": "csv"}, follow=True)
    assert done.status_code == 200
    assert (
        "Imported 2 targets; 2 lines rejected, 0 duplicates, 1 on the do-not-call list."
        in done.content.decode()
    )
    assert sorted(Target.objects.values_list("number", "state")) == [
        ("+12125550100", "pending"),
        ("+12125550102", "pending"),
        ("+12125550199", "do_not_call"),
    ]
    # The upload is gone: confirming twice cannot import twice.
    again = admin_client.post(url, {"token": token, "suffix": "csv"})
    assert again.status_code == 404


def test_an_unreadable_file_is_reported_on_the_form(admin_client, campaign):
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])
    response = admin_client.post(url, {"file": SimpleUploadedFile("t.csv", b"phone\n1\n")})
    assert response.status_code == 200
    assert "The header has no &quot;number&quot; column." in response.content.decode()


@pytest.mark.parametrize("token", ["../../etc/passwd", "0" * 31, "g" * 32])
def test_a_forged_upload_token_is_refused(admin_client, campaign, token):
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])
    assert admin_client.post(url, {"token": token, "suffix": "csv"}).status_code == 404


def test_abandoned_uploads_are_swept_after_a_day(admin_client, campaign):
    import os
    import time

    from campaigns.admin.campaigns import UPLOAD_DIR

    UPLOAD_DIR.mkdir(mode=0o700, exist_ok=True)
    stale = UPLOAD_DIR / ("a" * 32 + ".csv")
    stale.write_bytes(b"number\n")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))

    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])
    preview = admin_client.post(url, {"file": SimpleUploadedFile("t.csv", CSV)})

    assert not stale.exists()
    assert (UPLOAD_DIR / f"{preview.context['token']}.csv").exists()
    (UPLOAD_DIR / f"{preview.context['token']}.csv").unlink()


def test_staff_without_campaign_permissions_may_not_import(client, viewer, campaign):
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"file": SimpleUploadedFile("t.csv", CSV)}).status_code == 403
    assert not Target.objects.exists()
