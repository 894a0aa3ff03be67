"""The admin import page previews rejected lines (number, reason, text) and what the good rows
parsed to (number, extension, DTMF and how it plays), then imports the good rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ImportJob, Target
from tests.factories import make_campaign, make_do_not_call

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
        "<td>press 204 (200 ms tones)</td><td>–</td><td>–</td></tr>"
    ) in body
    assert "Each comma (or p, or w in a number) pauses 2 s" in body
    assert '<strong id="would-create">2</strong>' in body
    assert not Target.objects.exists()  # the preview stores nothing

    job = preview.context["job"].pk
    done = admin_client.post(url, {"job": job}, follow=True)
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
    # The staged rows are gone: confirming twice cannot import twice.
    again = admin_client.post(url, {"job": job})
    assert again.status_code == 404


def test_an_unreadable_file_is_reported_on_the_form(admin_client, campaign):
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])
    response = admin_client.post(url, {"file": SimpleUploadedFile("t.csv", b"phone\n1\n")})
    assert response.status_code == 200
    assert "The header has no &quot;number&quot; column." in response.content.decode()


@pytest.mark.parametrize("job", ["../../etc/passwd", "999999", "-1"])
def test_a_forged_preview_id_is_refused(admin_client, campaign, job):
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])
    assert admin_client.post(url, {"job": job}).status_code == 404


def test_a_preview_of_another_campaign_cannot_be_confirmed_here(admin_client, campaign):
    other = make_campaign()
    other_url = reverse("admin:campaigns_campaign_import", args=[other.pk])
    preview = admin_client.post(other_url, {"file": SimpleUploadedFile("t.csv", CSV)})
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])

    assert admin_client.post(url, {"job": preview.context["job"].pk}).status_code == 404
    assert not Target.objects.exists()


def test_abandoned_previews_drop_their_rows_after_a_day(admin_client, campaign):
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])
    old = admin_client.post(url, {"file": SimpleUploadedFile("t.csv", CSV)}).context["job"]
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))

    fresh = admin_client.post(url, {"file": SimpleUploadedFile("t.csv", CSV)}).context["job"]

    assert ImportJob.objects.get(pk=old.pk).staged is None
    assert ImportJob.objects.get(pk=fresh.pk).staged is not None


def test_staff_without_campaign_permissions_may_not_import(client, viewer, campaign):
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"file": SimpleUploadedFile("t.csv", CSV)}).status_code == 403
    assert not Target.objects.exists()
