"""The admin's target list shows what the dialer will do with an extension, not just `w187`."""

from __future__ import annotations

from tests.factories import make_superuser, make_target


def test_the_target_list_reads_the_extension(client, campaign):
    make_target(campaign, extension="w187")
    client.force_login(make_superuser())
    body = client.get("/admin/campaigns/target/").content.decode()
    assert "wait 0.5 s, press 187 (w187)" in body
