"""One bad byte is reported by line; a file is never re-decoded as cp1252 behind anyone's back."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import Target

pytestmark = pytest.mark.django_db

UTF8_WITH_ONE_BAD_BYTE = (
    "number,name\n+14155550100,José\n+14155550101,Zoë\n".encode() + b"+14155550102,Ren\xe9e\n"
)


def upload(client, campaign, content, **extra):
    return client.post(
        "/api/targets/import/",
        {"campaign": campaign.pk, "file": SimpleUploadedFile("t.csv", content), **extra},
    )


def test_an_undecodable_line_is_named_and_nothing_is_stored(as_supervisor, campaign):
    response = upload(as_supervisor, campaign, UTF8_WITH_ONE_BAD_BYTE)

    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "The file is not valid utf-8 text: line 4 holds bytes that are not utf-8. Save it as "
            "UTF-8, or name its encoding (encoding=cp1252 for Windows-1252)."
        ]
    }
    assert not Target.objects.exists()


def test_an_explicit_encoding_reads_a_windows_file(as_supervisor, campaign):
    response = upload(
        as_supervisor,
        campaign,
        "number,name\n+14155550100,Renée\n".encode("cp1252"),
        encoding="cp1252",
    )

    assert response.status_code == 201
    assert Target.objects.get().custom_data == {"name": "Renée"}


def test_utf8_accents_survive_intact(as_supervisor, campaign):
    response = upload(as_supervisor, campaign, UTF8_WITH_ONE_BAD_BYTE.rsplit(b"\n", 2)[0] + b"\n")

    assert response.status_code == 201
    assert sorted(t.custom_data["name"] for t in Target.objects.all()) == ["José", "Zoë"]


def test_an_unknown_encoding_is_a_field_error(as_supervisor, campaign):
    response = upload(as_supervisor, campaign, b"number\n+14155550100\n", encoding="bz2_codec")

    assert response.status_code == 400
    assert list(response.json()) == ["encoding"]
