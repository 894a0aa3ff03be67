"""The err-log-dir sweeper on the files FreeSWITCH really wrote (42, 42b, 42d): each applied
once (JSON and XML of one leg are one record), moved to done/, a bad file to rejected/, and a
second sweep finds nothing to do.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid

import pytest
from django.core.management import call_command

from campaigns.models import CallAttempt, CallDetailRecord, Outcome, TargetState
from tests.cdr.posts import CDR_DIR
from tests.factories import make_campaign, make_target

pytestmark = pytest.mark.integration


def _attempt(leg_a: str, attempt_id: int) -> CallAttempt:
    campaign = make_campaign(status="running", mode="target_first")
    target = make_target(campaign, state=TargetState.DIALING)
    return CallAttempt.objects.create(id=attempt_id, target=target, campaign=campaign,
                                      attempt_number=1, node="fs1", uuid=uuid.UUID(leg_a))


def _tree(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_sweep_applies_each_leg_once_and_moves_the_files(cdr_settings, tmp_path, capsys):
    dirs = []
    for name in ("42", "42b", "42d"):
        shutil.copytree(CDR_DIR / f"{name}-err-log-dir", tmp_path / name)
        for path in (tmp_path / name).rglob("*"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        dirs.append(str(tmp_path / name))
    (tmp_path / "42" / "json_cdr" / "junk.cdr.json").write_text("{not json")
    answered = _attempt("00000000-0000-4000-8000-000000000042", 142)
    busy_b = _attempt("00000000-0000-4000-8000-000000000421", 1421)
    busy_d = _attempt("00000000-0000-4000-8000-000000000423", 1423)

    call_command("sweep_cdrs", *dirs)

    assert capsys.readouterr().out == (
        "applied 4, duplicates 3, rejected 1, failed 0\nrejected: junk.cdr.json\n")
    assert CallDetailRecord.objects.count() == 4  # 42: both legs; 42b and 42d: leg A
    for attempt, outcome in ((answered, Outcome.ANSWERED), (busy_b, Outcome.BUSY),
                             (busy_d, Outcome.BUSY)):
        attempt.refresh_from_db()
        assert attempt.outcome == outcome
    answered.target.refresh_from_db()
    assert answered.target.state == TargetState.COMPLETED
    assert _tree(tmp_path / "42") == [
        "done/json_cdr/00000000-0000-4000-8000-000000000042.cdr.json",
        "done/json_cdr/68cb6b8b-465f-440a-8b6e-02507a552110.cdr.json",
        "done/xml_cdr/68cb6b8b-465f-440a-8b6e-02507a552110.cdr.xml",
        "done/xml_cdr/a_00000000-0000-4000-8000-000000000042.cdr.xml",
        "rejected/json_cdr/junk.cdr.json",
    ]

    call_command("sweep_cdrs", *dirs)
    assert capsys.readouterr().out == "applied 0, duplicates 0, rejected 0, failed 0\n"


def test_a_file_that_cannot_be_stored_now_stays_for_the_next_sweep(cdr_settings, tmp_path,
                                                                   monkeypatch):
    from campaigns.services.call_path import cdr_sweep

    shutil.copytree(CDR_DIR / "42b-err-log-dir", tmp_path / "d")
    for path in (tmp_path / "d").rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def down(*_args, **_kwargs):
        raise ConnectionError("database down")

    monkeypatch.setattr(cdr_sweep, "record_leg", down)
    report = cdr_sweep.sweep([str(tmp_path / "d")], None, dt.datetime.now(tz=dt.UTC), min_age=0)
    assert (report.applied, report.failed) == (
        0, ["00000000-0000-4000-8000-000000000421.cdr.json"])
    assert _tree(tmp_path / "d") == ["json_cdr/00000000-0000-4000-8000-000000000421.cdr.json"]
