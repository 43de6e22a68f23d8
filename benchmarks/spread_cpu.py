"""CPU per 1,000 spread Botpress requests, in-process: this checkout beside another, in one run.

Each request asks for a random bot among 1,000 and a random 7-day (or ``--window``-day) range
within a year, as the ``spread`` workload of ``make bench`` does, so nearly every answer is made
afresh. The requests go straight into the ASGI app (no sockets, no load generator), with the
server's defaults except a fixed clock, so the figure is the server's own work per request:
routing, validation, the model, the JSON. Each round runs in a child process per checkout: this
one and, with ``--baseline DIR``, the package of another (a ``git worktree`` of an earlier
commit), taking turns, so both figures come from the same run on the same machine and a busy
spell weighs on both; the ratio is the median of each round's.

    python benchmarks/spread_cpu.py --baseline /tmp/before --requests 4000 --rounds 3

``--server SECONDS`` measures what users run instead: each checkout's ``mockserver serve`` with its
defaults (the real clock, one log line per request to its log file), loaded by wrk with the
``spread`` workload of ``make bench`` (50 connections, after a warm-up on another sequence) for
SECONDS, and the CPU time of the server process over the measured run per 1,000 answered
requests. That adds what the in-process figure leaves out: the HTTP protocol, the event loop and
the log. The checkouts take turns within each round; the ratio is the median of each round's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

FIRST_DAY = date(2024, 5, 1)
BOTS, DAYS = 1000, 365


def paths(count: int, window: int, seed: int) -> list[str]:
    draw = random.Random(seed)
    found = []
    for _ in range(count):
        start = FIRST_DAY + timedelta(days=draw.randrange(DAYS))
        end = start + timedelta(days=window - 1)
        found.append(f"/botpress/v1/admin/bots/bot_{draw.randrange(1, BOTS + 1)}/analytics?startDate={start}&endDate={end}")
    return found


async def _send(app: Any, target: str) -> int:
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"authorization", b"Bearer t"), (b"x-workspace-id", b"wkspace_1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def measure(requests: int, window: int, rounds: int, first: int = 0) -> dict[str, Any]:
    """CPU seconds per 1,000 requests in each round (numbered from ``first``), each round on
    requests not sent before, after a warm-up on other requests."""
    from mockserver.app import create_app
    from mockserver.settings import Settings
    from mockserver.timeutil import clock

    app = create_app(Settings(now=clock("2025-06-01T12:00:00Z", "now")))

    async def run() -> list[float]:
        for target in paths(max(requests // 3, 1), window, 999):  # warm up: imports, caches, the bots' traits
            await _send(app, target)
        per_1k = []
        for index in range(first, first + rounds):
            batch = paths(requests, window, 1000 + index)
            started = time.process_time()
            statuses = [await _send(app, target) for target in batch]
            per_1k.append((time.process_time() - started) * 1000 / requests)
            if set(statuses) != {200}:
                raise SystemExit(f"unexpected statuses: {sorted(set(statuses))}")
        return per_1k

    import mockserver

    per_1k = asyncio.run(run())
    return {"cpu_s_per_1k": statistics.median(per_1k), "rounds": per_1k, "package": str(Path(mockserver.__file__).parent)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--window", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout whose package to measure beside this one")
    parser.add_argument("--json", action="store_true", help="print one JSON object (used for each checkout's child)")
    parser.add_argument("--first", type=int, default=0, help="the first round's number (its requests' seed)")
    parser.add_argument("--out", type=Path, help="append a markdown section with the figures to this file")
    parser.add_argument("--server", type=int, metavar="SECONDS", help="measure served requests under wrk for SECONDS a round")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.requests, args.window, args.rounds, args.first)))
        return
    if args.server:
        _served(args)
        return
    checkouts = {"this checkout": Path(__file__).resolve().parent.parent}
    if args.baseline:
        checkouts = {"baseline": args.baseline.resolve(), **checkouts}
    # The checkouts take turns, a process of each per round, so a busy spell on a shared machine
    # weighs on both; the ratio is the median of each round's.
    per_1k: dict[str, list[float]] = {name: [] for name in checkouts}
    packages = {}
    for index in range(args.rounds):
        order = list(checkouts.items()) if index % 2 == 0 else list(reversed(checkouts.items()))
        for name, root in order:
            env = {**os.environ, "PYTHONPATH": str(root)}
            command = [sys.executable, str(Path(__file__).resolve()), "--json", "--requests", str(args.requests)]
            command += ["--window", str(args.window), "--rounds", "1", "--first", str(index)]
            done = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, check=True)
            found = json.loads(done.stdout)
            per_1k[name].append(found["rounds"][0])
            packages[name] = found["package"]
            print(f"round {index + 1} {name} ({found['package']}): {per_1k[name][-1]:.3f} CPU s per 1,000 requests")
    _conclude(args, per_1k, packages)


def _conclude(args: argparse.Namespace, per_1k: dict[str, list[float]], packages: dict[str, str]) -> None:
    """Each checkout's median, and the median of each round's ratio (written to ``--out``)."""
    figures = {
        name: {"cpu_s_per_1k": statistics.median(values), "rounds": values, "package": packages[name]}
        for name, values in per_1k.items()
    }
    if "baseline" in figures:
        ratios = [new / old for new, old in zip(per_1k["this checkout"], per_1k["baseline"])]
        ratio = statistics.median(ratios)
        print(f"ratio this checkout / baseline: {ratio:.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
        if args.out:
            _report(args, figures, ratio, ratios)


def _report(args: argparse.Namespace, figures: dict[str, Any], ratio: float, ratios: list[float] | None = None) -> None:
    def revision(root: Path) -> str:
        done = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=7"], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() or "?"

    here, before = Path(__file__).resolve().parent.parent, args.baseline.resolve()
    if args.server:
        title = f"## {args.window}-day windows, served (defaults, wrk, 50 connections, {args.server} s a round)"
        flags = f"--server {args.server} --rounds {args.rounds}"
    else:
        title, flags = f"## {args.window}-day windows, in-process", f"--requests {args.requests} --rounds {args.rounds}"
    lines = [
        title,
        "",
        f"- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}",
        f"- `python benchmarks/spread_cpu.py --baseline <worktree of {revision(before)}> --window {args.window} {flags}`",
        "",
        "| checkout | CPU s per 1,000 requests (median) | rounds |",
        "| --- | ---: | --- |",
    ]
    for name, root in (("baseline", before), ("this checkout", here)):
        rounds = ", ".join(f"{r:.3f}" for r in figures[name]["rounds"])
        lines.append(f"| {name} ({revision(root)}) | {figures[name]['cpu_s_per_1k']:.3f} | {rounds} |")
    verdict = "met" if ratio <= 0.5 else "not met"
    each = f"; each round's: {', '.join(f'{r:.2f}' for r in ratios)}" if ratios else ""
    lines += ["", f"Ratio this checkout / baseline: **{ratio:.2f}** (goal: at most 0.5, {verdict}{each}).", "", ""]
    with args.out.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines))


def _served(args: argparse.Namespace) -> None:
    """Server CPU per 1,000 spread requests, each checkout served with its defaults under wrk."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run  # the make bench machinery: servers, wrk, CPU of a process tree  # noqa: PLC0415

    here = Path(__file__).resolve().parent.parent
    checkouts = {"this checkout": here} if not args.baseline else {"baseline": args.baseline.resolve(), "this checkout": here}
    settings = run.Settings(args.rounds, args.server, 2, 1, 50, 0, max(10, args.server), Path(), Path())
    os.environ["BENCH_WINDOW"] = str(args.window)
    sample = run.workload_paths("spread", "/botpress")
    logs = Path(tempfile.mkdtemp(prefix="spread-cpu-"))
    per_1k: dict[str, list[float]] = {name: [] for name in checkouts}
    for index in range(args.rounds):
        order = list(checkouts.items()) if index % 2 == 0 else list(reversed(checkouts.items()))
        for name, root in order:
            port = run.free_port()
            command = [sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", str(port)]
            env = {**os.environ, "PYTHONPATH": str(root)}
            server = run.Server(name, command, port, logs / f"{name.replace(' ', '-')}.log", cwd=root, env=env)
            try:
                server.wait_ready(sample[0])
                run.check(server, sample)
                run.wrk(port, "spread", "/botpress", 1000 + index, settings.warmup, settings, logs / "wrk.log")
                pids = run.process_tree(server.proc.pid)
                before = run.cpu_seconds(pids)
                result = run.wrk(port, "spread", "/botpress", index, settings.duration, settings, logs / "wrk.log")
                after = run.cpu_seconds(run.process_tree(server.proc.pid))
            finally:
                server.stop()
            errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
            if errors or not result["requests"]:
                raise SystemExit(f"{name}: {errors} errors in {result['requests']} requests (logs: {logs})")
            cpu = sum(t - before.get(pid, 0.0) for pid, t in after.items())
            per_1k[name].append(cpu / result["requests"] * 1000)
            print(f"round {index + 1} {name}: {per_1k[name][-1]:.3f} CPU s per 1,000 requests, {result['requests']} requests")
    _conclude(args, per_1k, {name: str(root / "mockserver") for name, root in checkouts.items()})


if __name__ == "__main__":
    main()
