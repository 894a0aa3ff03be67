"""Every notation phones, CRMs and spreadsheets use for an extension is imported into it.

The same rows through a CSV file and through bulk JSON give the same targets; only what is
truly ambiguous is refused, by line and with the reason, and nothing is stored shortened.
"""

from __future__ import annotations

import csv
import io

import pytest

from campaigns.imports import RowError, import_rows, import_targets
from campaigns.models import Target

NOTATIONS = [
    # (number cell, extension cell) -> (E.164, stored extension)
    (("415.555.0103;204", ""), ("+14155550103", "204")),
    (("415 555 0111 #22", ""), ("+14155550111", "22")),
    (("+1 415 555 0112;ext=301", ""), ("+14155550112", "301")),
    (("415-555-0113 x 12", ""), ("+14155550113", "12")),
    (("415-555-0114x12#", ""), ("+14155550114", "12#")),
    (("(415) 555-0115 ext 7", ""), ("+14155550115", "7")),
    (("(415) 555-0116 ext. 7", ""), ("+14155550116", "7")),
    (("415 555 0117 Ext: 301", ""), ("+14155550117", "301")),
    (("415 555 0118 extn 44", ""), ("+14155550118", "44")),
    (("415 555 0119 extension 45", ""), ("+14155550119", "45")),
    (("4155550120p204", ""), ("+14155550120", ",204")),
    (("4155550121w204", ""), ("+14155550121", ",204")),
    (("4155550122,,204", ""), ("+14155550122", ",,204")),
    (("4155550123,204,9", ""), ("+14155550123", ",204,9")),
    (("4155550124", "ext. 88"), ("+14155550124", "88")),
    (("4155550125", "x89"), ("+14155550125", "89")),
    (("4155550126", "p9"), ("+14155550126", ",9")),
    (("4155550127", "ww9"), ("+14155550127", "ww9")),
    (("4155550128;204", "204"), ("+14155550128", "204")),  # both, and they agree
]
NOT_AN_EXTENSION = (
    "the text after the number is not an extension (0-9 * # A-D, with commas or p/w pauses)"
)
NO_DIGITS = "an extension marker ends the number but no digits follow"
REFUSED = [
    # (number cell, extension cell) -> (field, reason)
    (("4155550130 ext", ""), ("extension", NO_DIGITS)),
    (("4155550131;", ""), ("extension", NO_DIGITS)),
    (("4155550132 x204 x305", ""), ("extension", NOT_AN_EXTENSION)),
    (("4155550133 ext 20 4", ""), ("extension", NOT_AN_EXTENSION)),
    (("4155550134;204", "205"), ("extension", "extension given both in the number and on its own")),
    (("415 555 0135 1234", ""), ("number", "not a valid phone number")),
    (("4155550136 ext 2" + "," * 32, ""), ("extension", "extension is longer than 32 characters")),
    (("4155550137 ext 1" + "," * 20, ""),  # 20 pauses of 5 s
     ("extension", "DTMF is longer than 99 characters once its pauses are rendered")),
]


def _csv(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["number", "extension"])
    writer.writerows(rows)
    return out.getvalue().encode()


def test_a_file_of_every_notation_stores_each_extension(campaign):
    report = import_targets(campaign, _csv([cells for cells, _ in NOTATIONS]), fmt="csv")

    assert (report.created, report.errors) == (len(NOTATIONS), [])
    stored = list(Target.objects.filter(campaign=campaign).order_by("id").values_list(
        "number", "extension"
    ))
    assert stored == [expected for _, expected in NOTATIONS]


def test_bulk_json_reads_the_same_notations_the_same_way(campaign):
    rows = [{"number": number, "extension": ext} for (number, ext), _ in NOTATIONS]
    report = import_rows(campaign, rows)

    assert (report.created, report.errors) == (len(NOTATIONS), [])
    stored = list(Target.objects.filter(campaign=campaign).order_by("id").values_list(
        "number", "extension"
    ))
    assert stored == [expected for _, expected in NOTATIONS]


def test_ambiguous_notations_are_refused_by_line_with_the_reason(campaign):
    campaign.dtmf_comma_pause_ms = 5000
    campaign.save()
    report = import_targets(campaign, _csv([cells for cells, _ in REFUSED]), fmt="csv")

    assert report.created == 0
    assert report.errors == [
        RowError(line, field, reason)
        for line, (_, (field, reason)) in enumerate(REFUSED, start=2)
    ]
    assert not Target.objects.exists()  # nothing stored with a lost suffix


@pytest.mark.parametrize("comma_ms", [500, 2000, 3500])
def test_the_preview_shows_each_comma_as_the_campaigns_pause(campaign, comma_ms):
    campaign.dtmf_comma_pause_ms = comma_ms
    campaign.save()

    report = import_rows(campaign, [{"number": "4155550140,,204"}], dry_run=True)

    pause = {500: "w", 2000: "WW", 3500: "WWWw"}[comma_ms]
    assert [(row.extension, row.dtmf, row.played) for row in report.parsed] == [
        (",,204", f"{pause}{pause}204@200",
         f"wait {2 * comma_ms / 1000:g} s, then press 204 (200 ms tones)"),
    ]
