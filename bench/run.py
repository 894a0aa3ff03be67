"""`make bench`: run every benchmark, print one table of every figure with its goal beside it,
and write it as JSON (var/bench/latest.json, the previous run kept as previous.json).

    .venv/bin/python bench/run.py [--quick] [--only floor,dashboard] [--out var/bench/latest.json]

Each bench runs as its own process (its progress goes to var/bench/<bench>[.quick].log); a
bench that fails or leaves a documented figure unprinted is shown as such and makes the exit
status 1.
Goals (bench/figures.toml) are for the full sizes and are never pass/fail: a loaded machine
misses them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.figures import match, parse, registry  # noqa: E402
from switchboard.children import exit_on_signals, popen  # noqa: E402


def run_bench(script: str, quick: bool, log: Path, timeout: float) -> tuple[int, str, float]:
    """Run one bench; (exit status, its stdout, seconds)."""
    argv = [sys.executable, str(ROOT / script), *(["--quick"] if quick else [])]
    started = time.monotonic()
    with log.open("w") as err:
        proc = popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            out, _ = proc.communicate(timeout=60)
            return 124, out, time.monotonic() - started
        except BaseException:
            proc.terminate()
            proc.wait(60)
            raise
    return proc.returncode, out, time.monotonic() - started


def main() -> int:
    exit_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every bench with --quick")
    parser.add_argument("--only", default="", help="comma-separated bench names")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "latest.json"))
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per bench")
    args = parser.parse_args()
    specs = registry()
    chosen = [b for b in args.only.split(",") if b] or list(specs)
    unknown = set(chosen) - set(specs)
    if unknown:
        parser.error(f"unknown benches {sorted(unknown)}; known: {', '.join(specs)}")
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    rows, failed = [], False
    for bench in chosen:
        script = f"bench/{bench}.py"
        print(f"== {script}{' --quick' if args.quick else ''}", file=sys.stderr, flush=True)
        log = out_path.parent / f"{bench}{'.quick' if args.quick else ''}.log"
        status, stdout, seconds = run_bench(script, args.quick, log, args.timeout)
        pairs, missing, extra = match(specs[bench], parse(stdout))
        failed |= status != 0 or bool(missing)
        for spec, figure in pairs:
            rows.append({"bench": bench, "name": figure.name, "value": figure.value,
                         "unit": figure.unit, "goal": spec.goal, "source": spec.source,
                         "meets_goal": spec.meets(figure.value)})
        for spec in missing:
            rows.append({"bench": bench, "name": spec.name, "value": None, "unit": spec.unit,
                         "goal": spec.goal, "source": spec.source, "meets_goal": None,
                         "error": f"not printed (exit {status})"})
        for figure in extra:
            rows.append({"bench": bench, "name": figure.name, "value": figure.value,
                         "unit": figure.unit, "goal": None, "source": None,
                         "meets_goal": None, "error": "not in bench/figures.toml"})
        print(f"   exit {status} in {seconds:.0f} s", file=sys.stderr, flush=True)
    print_table(rows, args.quick)
    if out_path.exists():
        shutil.copyfile(out_path, out_path.with_name("previous.json"))
    out_path.write_text(json.dumps({
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick, "host": platform.node(), "cpus": os.cpu_count(),
        "figures": rows}, indent=1) + "\n")
    print(f"\nwritten to {out_path}", file=sys.stderr)
    return 1 if failed else 0


def print_table(rows: list[dict], quick: bool) -> None:
    """One line per figure: bench, name, value and unit, goal, and whether it is met."""
    if quick:
        print("(quick sizes: the goals are for the full sizes)")
    header = ("bench", "figure", "value", "goal", "")
    lines = [header]
    for row in rows:
        value = "-" if row["value"] is None else f"{row['value']:g} {row['unit']}"
        verdict = {True: "ok", False: "MISSED", None: ""}[row["meets_goal"]]
        if row.get("error"):
            verdict = row["error"]
        goal = f"{row['goal']} {row['unit']}" if row["goal"] else ""
        lines.append((row["bench"], row["name"], value, goal, verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False))
              + "  " + line[4])


if __name__ == "__main__":
    raise SystemExit(main())
