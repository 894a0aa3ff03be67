"""Sweep FreeSWITCH's err-log-dir: the CDRs no post delivered (fixtures README, files 42, 42d).

After its last failed try, mod_json_cdr writes `json_cdr/<uuid>.cdr.json` (the JSON, plus a
newline) and mod_xml_cdr `xml_cdr/[a_]<uuid>.cdr.xml` (the URL-encoded XML, no `cdr=`), and
nothing in FreeSWITCH ever re-posts them. For each file, oldest first:

1. Decode it (telephony.cdr.decode_file) and apply it as a post would (`record_leg`: stored
   once per leg, so a file whose post also got through changes nothing).
2. Move it to `<dir>/done/<module>/` once applied, or `<dir>/rejected/<module>/` when it is not
   a CDR; a file that failed for another reason (database down) stays for the next sweep.

The directory must be readable and writable by this process: on a FreeSWITCH host, run the
sweeper there (beat task or `manage.py sweep_cdrs`) or share the directory (README).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from campaigns.services.call_path.cdr import record_leg
from campaigns.services.call_path.results import Results
from telephony.cdr import MAX_BODY_BYTES, CdrError, decode_file

log = logging.getLogger(__name__)

MODULES = {"json_cdr": ".cdr.json", "xml_cdr": ".cdr.xml"}
MIN_AGE_SECONDS = 1.0  # a file FreeSWITCH is still writing is left for the next sweep


@dataclass
class SweepReport:
    applied: int = 0
    duplicates: int = 0
    rejected: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def sweep(dirs: list[str], results: Results, now: dt.datetime, *,
          min_age: float = MIN_AGE_SECONDS) -> SweepReport:
    """Apply and move every CDR file under each err-log-dir; return what happened."""
    report = SweepReport()
    for base in dirs:
        root = Path(base)
        for module, suffix in MODULES.items():
            folder = root / module
            if not folder.is_dir():
                continue
            files = sorted((p for p in folder.iterdir()
                            if p.is_file() and p.name.endswith(suffix)),
                           key=lambda p: p.stat().st_mtime)
            for path in files:
                if now.timestamp() - path.stat().st_mtime < min_age:
                    continue
                _sweep_file(path, root, module, results, now, report)
    return report


def _sweep_file(path: Path, root: Path, module: str, results: Results, now: dt.datetime,
                report: SweepReport) -> None:
    try:
        if path.stat().st_size > MAX_BODY_BYTES:
            raise CdrError("file too large")
        leg = decode_file(path.read_bytes(), path.name)
    except CdrError as exc:
        log.warning("CDR file %s rejected: %s", path.name, exc)
        report.rejected.append(path.name)
        _move(path, root / "rejected" / module)
        return
    except OSError as exc:
        log.warning("CDR file %s unreadable: %s", path.name, exc.strerror)
        report.failed.append(path.name)
        return
    try:
        result = record_leg(leg, f"sweep_{module.removesuffix('_cdr')}", results, now)
    except Exception as exc:  # the database is down: keep the file for the next sweep
        log.error("CDR file %s not applied: %s", path.name, type(exc).__name__)
        report.failed.append(path.name)
        return
    if result == "duplicate":
        report.duplicates += 1
    else:
        report.applied += 1
    _move(path, root / "done" / module)


def _move(path: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(path, folder / path.name)  # atomic on one file system
