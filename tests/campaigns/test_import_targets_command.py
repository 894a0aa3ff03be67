"""manage.py import_targets imports a file by campaign id or name and prints a summary."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Target

CSV = "number,extension\n(212) 555-0100,1\nbogus,2\n(212) 555-0100,1\n(212) 555-0101,\n"


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text(CSV)
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_targets", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_by_id_and_prints_a_summary_with_bad_lines(campaign, csv_file):
    out, err = run(campaign.pk, csv_file)
    assert out.splitlines() == [
        "Spring outreach: 4 rows read, 2 targets created, 1 lines rejected, 1 duplicates, "
        "0 on the do-not-call list",
        "  line 3: number: not a phone number",
        "  line 4: duplicate +12125550100,1",
    ]
    assert "targets.csv" in err  # the progress bar goes to stderr
    assert Target.objects.filter(campaign=campaign).count() == 2


def test_the_command_finds_a_campaign_by_name_and_can_dry_run_as_json(campaign, csv_file):
    out, _ = run("Spring outreach", csv_file, "--dry-run", "--json", "--no-progress")
    report = json.loads(out)
    assert (report["created"], report["dry_run"]) == (2, True)
    assert report["errors"] == [{"line": 3, "field": "number", "reason": "not a phone number"}]
    assert not Target.objects.exists()


@pytest.mark.parametrize(
    ("campaign_key", "file_name", "message"),
    [
        ("Nope", "targets.csv", 'No campaign with id or name "Nope".'),
        ("Spring outreach", "missing.csv", "No such file: {tmp}/missing.csv"),
    ],
)
def test_the_command_fails_clearly_on_a_bad_campaign_or_file(
    campaign, csv_file, tmp_path, campaign_key, file_name, message
):
    with pytest.raises(CommandError) as caught:
        run(campaign_key, tmp_path / file_name)
    assert str(caught.value) == message.format(tmp=tmp_path)


def test_the_command_reports_an_unreadable_file(campaign, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("phone\n123\n")
    with pytest.raises(CommandError) as caught:
        run(campaign.pk, path)
    assert str(caught.value) == 'The header has no "number" column.'
