"""The admin's import: preview and result agree on duplicates, the import history records the
file's real figures, previews (dry runs) are not listed as imports, and the preview shows each
row's external_ref and custom columns."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import ImportJob
from tests.factories import make_superuser, make_target

CSV = (
    b"number,extension,external_ref,plan\n"
    b"(212) 555-0100,1,crm-1,gold\n"     # 2: good
    b"(212) 555-0100,1,crm-2,gold\n"     # 3: duplicate of line 2 (in the file)
    b"(212) 555-0177,,crm-3,\n"          # 4: duplicate of a target already there
    b"bogus,,crm-4,\n"                   # 5: rejected
    b"(212) 555-0101,,crm-5,silver\n"    # 6: good
)


def test_preview_and_result_agree_and_the_history_is_real(client, campaign):
    make_target(campaign, number="+12125550177")
    client.force_login(make_superuser())
    url = reverse("admin:campaigns_campaign_import", args=[campaign.pk])

    preview = client.post(url, {"file": SimpleUploadedFile("t.csv", CSV)})
    body = preview.content.decode()
    assert '<strong id="would-create">2</strong>' in body
    assert "1 lines rejected,\n        2 duplicates" in body
    assert "<td>crm-1</td><td>plan: gold</td>" in body  # external_ref and custom columns
    assert "<td>crm-5</td><td>plan: silver</td>" in body

    done = client.post(url, {"job": preview.context["job"].pk}, follow=True)
    assert "Imported 2 targets; 1 lines rejected, 2 duplicates, 0 on the do-not-call list." in (
        done.content.decode())
    imported = ImportJob.objects.get(dry_run=False)
    assert (imported.rows_read, imported.created, imported.rejected, imported.duplicates) == (
        5, 2, 1, 2)

    listing = client.get("/admin/campaigns/importjob/").content.decode()
    preview_id = preview.context["job"].pk
    assert f"/import/{imported.pk}/" in listing
    assert f"/import/{preview_id}/" not in listing  # a preview is no import
    previews = client.get("/admin/campaigns/importjob/?dry_run__exact=1").content.decode()
    assert f"/import/{preview_id}/" in previews
