"""The tail at 200 connections on two workers (``make bench-tail``; ``make bench`` runs it too).

What a CI service sees under a test suite's burst: ``mockserver serve --workers 2`` with its
defaults (real clock, default logging to a file), wrk -t2 -c200 for 20 s on the spread workload
(a random bot among 1,000, a random 30-day window in a year). Targets: zero errors, max under
500 ms, p99 under twice the median. Rounds alternate nothing else, so each is a fresh server; the
table lists every round and the report says which met the targets. Writes docs/tail-latency.md.

Environment: BENCH_TAIL_ROUNDS (3), BENCH_TAIL_SECONDS (20), BENCH_TAIL_CONNECTIONS (200).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/__mock/ready", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the mock did not become ready")


def latency_ms(text: str, label: str) -> float:
    """wrk --latency's percentile line, in ms."""
    found = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not found:
        return float("nan")
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def one_round(seconds: int, connections: int, log: Path) -> dict[str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    mock = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--workers", "2", "--port", str(port)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        ready(url)
        env = {**os.environ, "BENCH_WORKLOAD": "spread", "BENCH_WINDOW": "30", "BENCH_PREFIX": "/botpress"}
        script = str(HERE / "workloads.lua")
        subprocess.run(["wrk", "-t2", f"-c{connections}", "-d3s", "-s", script, url], env=env, capture_output=True, check=True)
        run = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.killpg(mock.pid, signal.SIGTERM)
        mock.wait(30)
    summary = json.loads(run.stdout.split("BENCH ", 1)[1].splitlines()[0])
    errors = sum(summary[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return {
        "rps": summary["requests"] / (summary["duration_us"] / 1e6),
        "p50": latency_ms(run.stdout, "50"),
        "p90": latency_ms(run.stdout, "90"),
        "p99": latency_ms(run.stdout, "99"),
        "max": summary["max_us"] / 1000,
        "errors": errors,
    }


def main() -> int:
    rounds = int(os.environ.get("BENCH_TAIL_ROUNDS", "3"))
    seconds = int(os.environ.get("BENCH_TAIL_SECONDS", "20"))
    connections = int(os.environ.get("BENCH_TAIL_CONNECTIONS", "200"))
    out = Path(os.environ.get("BENCH_TAIL_OUT", ROOT / "docs" / "tail-latency.md"))
    log = Path(tempfile.mkstemp(prefix="mockserver-tail-", suffix=".log")[1])
    results = [one_round(seconds, connections, log) for _ in range(rounds)]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    lines = [
        "# Tail latency: two workers, 200 connections",
        "",
        f"`make bench-tail` at {commit or 'a checkout'} on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.2f}. `mockserver serve --workers 2` with "
        f"its defaults; `wrk -t2 -c{connections} -d{seconds}s --latency`, the spread workload with 30-day windows "
        "(benchmarks/workloads.lua, BENCH_WINDOW=30), after a 3 s warm-up. Targets: zero errors, max under 500 ms, "
        "p99 under twice the median.",
        "",
        "| round | req/s | p50 ms | p90 ms | p99 ms | max ms | p99 / p50 | errors | targets |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, r in enumerate(results, 1):
        met = r["errors"] == 0 and r["max"] < 500 and r["p99"] < 2 * r["p50"]
        lines.append(
            f"| {n} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p90']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | "
            f"{r['p99'] / r['p50']:.2f} | {r['errors']:.0f} | {'met' if met else 'missed'} |"
        )
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    log.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
