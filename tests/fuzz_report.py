"""Write docs/fuzz-long.md from the summaries ``make fuzz-long`` recorded (one JSON line per run).

python -m tests.fuzz_report RECORD.jsonl --out docs/fuzz-long.md --command "make fuzz-long"
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path


def cases(summary: str) -> str:
    """The "N generated, N passed, ..." line of a summary."""
    found = re.search(r"Test cases:\s*\n\s*(.+)", summary)
    return found.group(1).strip() if found else "n/a"


def verdict(summary: str) -> str:
    last = summary.strip().splitlines()[-1] if summary.strip() else ""
    return last.strip("= ").strip() or "n/a"


def revision() -> str:
    """The checkout's commit (``-dirty`` with uncommitted changes), or "unknown" outside git."""
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10)
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def render(runs: list[dict], command: str) -> str:
    passed = all(run["exit"] == 0 for run in runs)
    total = sum(int(m.group(1)) for run in runs if (m := re.match(r"(\d+) generated", cases(run["summary"]))))
    out = [
        "# Long schemathesis run",
        "",
        f"Last run, finished {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: `{command}` on Python {platform.python_version()},"
        f" commit {revision()}.",
        f"Result: **{'passed' if passed else 'failed'}**: {len(runs)} runs, {total:,} test cases generated.",
        "",
        "Each run is `st run {base}/openapi.json --checks all` against a real server (`mockserver serve",
        "--token ...`, all vendors), with the repository's `schemathesis.toml`, every phase (examples,",
        "coverage, fuzzing, stateful), the given number of cases per operation and seed.",
        "",
        "| vendor | seed | cases per operation | exit | seconds | test cases | verdict |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for run in runs:
        out.append(
            f"| {run['vendor']} | {run['seed']} | {run['examples']:,} | {run['exit']} | {run['seconds']:,.0f}"
            f" | {cases(run['summary'])} | {verdict(run['summary'])} |"
        )
    out += ["", "## Summaries as schemathesis printed them", ""]
    for run in runs:
        out += [f"### {run['vendor']}, seed {run['seed']}", "", "```", run["summary"], "```", ""]
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("record", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--command", default="make fuzz-long")
    args = parser.parse_args()
    if not args.record.exists():
        parser.error(f"{args.record} does not exist: no run recorded a summary")
    runs = [json.loads(line) for line in args.record.read_text(encoding="utf-8").splitlines() if line.strip()]
    args.out.write_text(render(runs, args.command), encoding="utf-8")
    print(f"wrote {args.out} ({len(runs)} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
