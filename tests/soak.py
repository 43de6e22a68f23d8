"""The soak: a real server under mixed traffic for ten minutes, its memory sampled as it goes.

    python -m tests.soak --minutes 10 --out docs/soak.md        (make soak)

The traffic is the load test's (every operation, its refusals) plus what fills every bounded
store: tens of thousands of distinct Botpress and ChatBot.com answers under many seeds (the
answer and day caches), export jobs (the job store), sessions, and the journal. The server's RSS
is read every ten seconds. It passes when nothing failed and the RSS of the last five minutes
stays within 10% of the RSS at the five-minute mark: the limits hold and memory stops growing.
The figures go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.cases import AUTH
from tests.conftest import NOW, LiveServer
from tests.test_load import traffic

ROOT = Path(__file__).parent.parent


def fresh_requests(count: int, seed: int = 1) -> list[list[Any]]:
    """Requests whose answers are nearly all different: many bots, days and seeds."""
    rng = random.Random(seed)
    first = date(2023, 6, 1)
    found: list[list[Any]] = []
    for i in range(count):
        day = first + timedelta(days=rng.randrange(700))
        prefer = {"Prefer": f"seed={rng.randrange(50)}"}
        if i % 3:
            target = (
                f"/botpress/v1/admin/bots/bot_{rng.randrange(5000)}/analytics?startDate={day}&endDate={day + timedelta(days=6)}"
            )
            found.append(["GET", target, {**AUTH["botpress"], **prefer}, 200])
        else:
            target = f"/chatbotcom/reports/conversations?from={day}&to={day + timedelta(days=30)}&dimension=day"
            found.append(["GET", target, {**AUTH["chatbotcom"], **prefer}, 200])
        if i % 50 == 0:
            found.append(
                [
                    "POST",
                    f"/chatcaptain/v1/chatbots/soak_{i % 97}/statistics/export?from={day}T00:00:00Z&to={day}T23:59:59Z",
                    {**AUTH["chatcaptain"], "Prefer": "job-duration=0"},
                    202,
                ]
            )
        if i % 200 == 0:
            found.append(["PUT", f"/__mock/sessions/soak-{i}", {}, 200, {"seed": i}])
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--out", default=str(ROOT / "docs" / "soak.md"))
    args = parser.parse_args(argv)
    seconds = args.minutes * 60
    server = LiveServer("--now", NOW.isoformat().replace("+00:00", "Z"))
    try:
        requests = fresh_requests(60_000) + traffic(server) * 20
        random.Random(2).shuffle(requests)
        file = Path(server.log).with_suffix(".requests.json")
        file.write_text(json.dumps(requests))
        samples: list[tuple[float, float]] = []
        started = time.monotonic()
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append((time.monotonic() - started, rss_mb(server.process.pid)))
                stop.wait(10)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.loadgen",
                "--port",
                str(server.port),
                "--connections",
                str(args.connections),
                "--seconds",
                str(seconds),
                str(file),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=seconds + 300,
        )
        stop.set()
        sampler.join()
        samples.append((time.monotonic() - started, rss_mb(server.process.pid)))
        file.unlink()
    finally:
        server.stop()
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return 1
    summary = json.loads(result.stdout)
    halfway = min(samples, key=lambda s: abs(s[0] - seconds / 2))[1]
    late_peak = max(rss for at, rss in samples if at >= seconds / 2)
    held = late_peak <= halfway * 1.10
    clean = not summary["errors"] and not summary["server_errors"] and not summary["unexpected"]
    Path(args.out).write_text(_report(args, summary, samples, halfway, late_peak, held and clean))
    print(
        f"soak: {summary['requests']} requests, RSS {samples[0][1]:.0f} -> {halfway:.0f} (halfway) -> "
        f"{samples[-1][1]:.0f} MB (peak after halfway {late_peak:.0f}); {'passed' if held and clean else 'FAILED'}"
    )
    return 0 if held and clean else 1


def _report(
    args: argparse.Namespace,
    summary: dict[str, Any],
    samples: list[tuple[float, float]],
    halfway: float,
    late_peak: float,
    passed: bool,
) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = "\n".join(f"| {at / 60:5.1f} | {rss:6.1f} |" for at, rss in samples[:: max(len(samples) // 20, 1)])
    return f"""# Soak test

Last run: {when}, `make soak` ({args.minutes:g} minutes, {args.connections} keep-alive connections, one worker).
Result: **{"passed" if passed else "failed"}**.

Traffic: every vendor operation with its refusals (the load test's mix), tens of thousands of
distinct Botpress and ChatBot.com answers under 50 seeds (filling the answer and day caches),
ChatCaptain exports (the job store), new sessions and the journal. Passing means no error, no
5xx, every status as expected, and an RSS after the halfway mark within 10% of the RSS at it.

| figure | value |
| --- | ---: |
| requests | {summary["requests"]:,} |
| requests per second | {summary["per_second"]:,} |
| statuses | {", ".join(f"{k}: {v:,}" for k, v in summary["statuses"].items())} |
| errors, 5xx, unexpected statuses | {len(summary["errors"])}, {summary["server_errors"]}, {len(summary["unexpected"])} |
| latency p50 / p99 | {summary["p50_ms"]} ms / {summary["p99_ms"]} ms |
| RSS at start, halfway, end | {samples[0][1]:.1f} MB, {halfway:.1f} MB, {samples[-1][1]:.1f} MB |
| highest RSS after halfway | {late_peak:.1f} MB ({(late_peak / halfway - 1) * 100:+.1f}% of halfway) |

RSS over time (minutes, MB):

| minute | RSS |
| ---: | ---: |
{rows}
"""


if __name__ == "__main__":
    sys.exit(main())
