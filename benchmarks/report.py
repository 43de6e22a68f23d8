"""Turn one benchmark run (the dict ``run.py`` saves as results/latest.json) into docs/benchmarks.md.

Pure formatting: the same run always gives the same text, and every ratio comes from that run.
Re-render a saved run with ``python benchmarks/report.py benchmarks/results/latest.json``.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

LABELS = {
    "prism-static": "Prism static (`-v error`)",
    "prism-dynamic": "Prism dynamic (`-d -v error`)",
    "mock": "mockserver, 1 worker, defaults (real clock, request log)",
    "mock-tuned": "mockserver, 1 worker, `--now` fixed, `--log-level warning`",
    "mock-w2": "mockserver, 2 workers, defaults",
    "bare": "bare Starlette on uvicorn (ceiling)",
}
METRICS = ("rps", "p50_ms", "p99_ms", "cpu_s_per_1k", "wrk_cpu_s_per_1k", "startup_s", "rss_mb", "bytes_per_response")
Row = dict[str, Any]


def medians(samples: list[Row]) -> dict[tuple[str, str], Row]:
    """Median of each metric over the rounds, per (workload, server), in the order first measured."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for s in samples:
        groups.setdefault((s["workload"], s["server"]), []).append(s)
    out = {}
    for key, rows in groups.items():
        # .get: results written before a metric existed still render (as nan)
        row: Row = {m: statistics.median(r.get(m, math.nan) for r in rows) for m in METRICS}
        row["rounds_rps"] = [r["rps"] for r in sorted(rows, key=lambda r: r["round"])]
        row["errors"] = sum(r["errors"] for r in rows)
        row["requests"] = sum(r["requests"] for r in rows)
        out[key] = row
    return out


def ms(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


Target = tuple[str, str, str, bool | None]


def target(name: str, value: float | None, op: str, goal: float, unit: str, rounds: list[float] | None = None) -> Target:
    """(target, measured, goal, met); met is None when the run lacks a number for it. ``rounds``:
    the value in each round, shown beside it when there are several."""
    if value is None:
        return name, "n/a", f"{op} {goal:g}{unit}", None
    shown = (ms(value) if unit == " ms" else f"{value:.2f}") + unit
    if rounds and len(rounds) > 1:
        shown += " (" + ", ".join(f"{r:.2f}" for r in rounds) + ")"
    met = {">=": value >= goal, "<=": value <= goal, "<": value < goal}[op]
    return name, shown, f"{op} {goal:g}{unit}", met


def targets(m: dict[tuple[str, str], Row], samples: list[Row], heavy: list[Row]) -> list[Target]:
    """The targets of the performance issue, each from this run. A ratio of two servers is the
    median over rounds of their ratio within a round: the two ran minutes apart at most, so a
    slower spell of a shared machine weighs on both sides of it."""
    by_round: dict[int, dict[tuple[str, str], Row]] = {}
    for s in samples:
        by_round.setdefault(s["round"], {})[(s["workload"], s["server"])] = s

    def each_round(metric: str, workload: str, server: str, other: str) -> list[float]:
        pairs = [(r.get((workload, server)), r.get((workload, other))) for _, r in sorted(by_round.items())]
        return [value for a, b in pairs if a and b and (value := ratio(a[metric], b[metric])) is not None]

    def rel(metric: str, workload: str, server: str, other: str) -> float | None:
        found = each_round(metric, workload, server, other)
        return statistics.median(found) if found else None

    def paired(name: str, metric: str, workload: str, server: str, other: str, op: str, goal: float) -> Target:
        return target(name, rel(metric, workload, server, other), op, goal, "x", each_round(metric, workload, server, other))

    spread_mock = m.get(("spread", "mock"))
    starts = [r["startup_s"] for r in samples if r["server"] == "mock"]  # one worker, both workloads
    rows = [
        paired("repeat: mock / Prism static, req/s", "rps", "repeat", "mock", "prism-static", ">=", 3),
        paired("repeat: mock / bare Starlette, req/s", "rps", "repeat", "mock", "bare", ">=", 0.5),
        paired("repeat, 30 days as date-times: mock / Prism static, req/s", "rps", "repeat30", "mock", "prism-static", ">=", 3),
        paired("repeat: mock p99 / Prism static p99", "p99_ms", "repeat", "mock", "prism-static", "<=", 1),
        paired("spread: mock / Prism dynamic, req/s", "rps", "spread", "mock", "prism-dynamic", ">=", 10),
        target("spread: mock p99 at 50 connections", spread_mock["p99_ms"] if spread_mock else None, "<", 20, " ms"),
        paired("repeat: mock 2 workers / 1 worker, req/s", "rps", "repeat", "mock-w2", "mock", ">=", 1.6),
        paired("spread: mock 2 workers / 1 worker, req/s", "rps", "spread", "mock-w2", "mock", ">=", 1.6),
        target("start-up of the mock, all four vendors", statistics.median(starts) if starts else None, "<", 1, " s"),
        paired("repeat: mock RSS / Prism static RSS", "rss_mb", "repeat", "mock", "prism-static", "<", 0.5),
        paired("spread: mock RSS / Prism dynamic RSS", "rss_mb", "spread", "mock", "prism-dynamic", "<", 0.5),
    ]
    rows += [target(f"heavy: {h['name']} (first call)", h["first_ms"], "<", 50, " ms") for h in heavy]
    return rows


def heavy_medians(heavy: list[Row]) -> list[Row]:
    """Per heavy request: the median first call over rounds, and the median of all repeats."""
    names: dict[str, list[Row]] = {}
    for h in heavy:
        names.setdefault(h["name"], []).append(h)
    out = []
    for name, rows in names.items():
        repeats = [t for r in rows for t in r["repeat_ms"]]
        out.append(
            {
                "name": name,
                "status": ", ".join(sorted({str(r["status"]) for r in rows})),
                "bytes": statistics.median(r["bytes"] for r in rows),
                "first_ms": statistics.median(r["first_ms"] for r in rows),
                "repeat_ms": statistics.median(repeats) if repeats else None,
            }
        )
    return out


def table(workload: str, m: dict[tuple[str, str], Row]) -> list[str]:
    lines = [
        "| server | req/s | p50 ms | p99 ms | CPU s / 1k req | wrk CPU s / 1k req | start-up s | RSS MB | bytes / answer | errors | req/s by round |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for (w, server), r in m.items():
        if w != workload:
            continue
        lines.append(
            f"| {LABELS.get(server, server)} | {r['rps']:,.0f} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {r['cpu_s_per_1k']:.3f}"
            f" | {r['wrk_cpu_s_per_1k']:.3f} | {r['startup_s']:.2f} | {r['rss_mb']:.1f} | {r['bytes_per_response']:,.0f} | {r['errors']}"
            f" | {' / '.join(f'{x:,.0f}' for x in r['rounds_rps'])} |"
        )
    return lines


def heavy_table(m: dict[tuple[str, str], Row]) -> list[str]:
    lines = [
        "| workload | req/s | p50 ms | p99 ms | CPU s / 1k req | bytes / answer | errors | req/s by round |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for (workload, _), r in m.items():
        if workload.startswith("heavy-"):
            lines.append(
                f"| {workload} | {r['rps']:,.0f} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {r['cpu_s_per_1k']:.3f}"
                f" | {r['bytes_per_response']:,.0f} | {r['errors']} | {' / '.join(f'{x:,.0f}' for x in r['rounds_rps'])} |"
            )
    return lines


def cores_used(m: dict[tuple[str, str], Row], cores: int) -> list[str]:
    """How much of the machine the two-worker runs used, server and wrk together: a workers ratio
    is bounded by the cores wrk leaves."""
    lines = []
    for workload in ("repeat", "spread"):
        r = m.get((workload, "mock-w2"))
        if r is None or math.isnan(r["wrk_cpu_s_per_1k"]):
            continue
        server, load = r["rps"] * r["cpu_s_per_1k"] / 1000, r["rps"] * r["wrk_cpu_s_per_1k"] / 1000
        lines.append(
            f"- {workload}, 2 workers: the server used {server:.2f} cores and wrk {load:.2f}, "
            f"{server + load:.2f} of the machine's {cores}."
        )
    return lines


def render(run: dict[str, Any]) -> str:
    s, machine = run["settings"], run["machine"]
    m = medians(run["samples"])
    heavy = heavy_medians(run["heavy"])
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benchmarks/run.py`); each run replaces this file, and every ratio below",
        "comes from that one run on one machine. Raw numbers of the last run: `benchmarks/results/latest.json`.",
        "Server CPU per request beside an earlier commit, in-process and served: docs/cpu.md (`make bench-cpu`).",
        "",
        f"- Date: {run['date']}",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, Linux {machine['kernel']}"
        f" ({machine['os']})",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()),
        f"- Load average (1, 5, 15 min): {run['loadavg_before']} before the run, {run['loadavg_after']} after;"
        " other work on the machine lowers every figure",
        f"- Command: `make bench BENCH_ROUNDS={s['rounds']} BENCH_DURATION={s['duration']} BENCH_WARMUP={s['warmup']}"
        f" BENCH_THREADS={s['threads']} BENCH_CONNECTIONS={s['connections']} BENCH_HEAVY_REPEATS={s['heavy_repeats']}`",
        "",
        "## Targets",
        "",
        "| target | measured | goal | status |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, value, goal, met in targets(m, run["samples"], heavy):
        out.append(f"| {name} | {value} | {goal} | {'n/a' if met is None else 'met' if met else 'not met'} |")
    out += ["", *cores_used(m, machine["cores"])]
    out += [
        "",
        "## How it was measured",
        "",
        f"- Load: wrk, {plural(s['threads'], 'thread')}, {s['connections']} connections, keep-alive,"
        f" {s['duration']} s per measured run after a {s['warmup']} s warm-up",
        f"  on the same workload, `--timeout {s['wrk_timeout']}s` (slow answers count in the latency instead of being",
        "  dropped), `--latency`; wrk runs on the same machine and takes up to one core per thread.",
        f"- Rounds: {s['rounds']}. In each round every server runs in turn, each started afresh for each run, on a free",
        "  loopback port; tables show the median over rounds (errors: the sum). A target that compares two servers",
        "  is the median of their ratio within each round (each round's ratio in brackets).",
        "- Servers: one worker each, and the mock with `--workers 2` as well (its workers share a SQLite file",
        "  for jobs, journal and fault rules and commit journal entries there, one commit per event-loop turn;",
        "  one worker keeps them in memory). The two workers share the machine's cores with wrk.",
        "- Prism serves the Botpress document exactly as the mock serves it",
        "  (`/botpress/openapi.json`: vendor file plus overlay) at the root; the mock serves all four vendors",
        "  and is called under `/botpress`: with its defaults (`mockserver serve`: the real clock, one log line",
        "  per request to its log file), the way users run it, and beside that with tuned flags",
        "  (`--log-level warning --now 2025-06-01T12:00:00Z`); the targets are the defaults';",
        f"  the bare app answers every call with the mock's own answer to the first repeat URL ({run['body_bytes']:,} bytes).",
        "  The mock and the bare app run on uvicorn with httptools and the loop `--loop auto` picks: asyncio's",
        "  (under uvloop a busy server accepts one new connection per loop turn, which stretches the p99 of a run",
        "  that opens many connections at once); with two workers each listens on a queue of its own (SO_REUSEPORT).",
        "- Requests: `GET .../v1/admin/bots/bot_N/analytics?startDate=D&endDate=D+6` with `Authorization: Bearer t`",
        "  and `x-workspace-id: wkspace_1`. *repeat*: bots 1 to 5, 2025-01-01 to 2025-01-07; *repeat30*: the same bots, 2025-01-01T00:00:00.000Z to 2025-01-30T23:59:59.999Z. *spread*: a random bot",
        "  of 1,000 and a random start day from 2024-05-01 to 2025-04-30 per request, the same sequence for every",
        "  server in a round. Before measuring, each server must answer 200 to every repeat URL or a sample of the",
        "  spread domain; all did. Prism answers its document's example (static) or random schema-shaped data",
        "  (dynamic), hence its different answer sizes.",
        "- CPU: utime + stime of the server process and its children (`/proc/PID/stat`) over the measured run,",
        "  per 1,000 answered requests; wrk's own (its rusage) likewise, so server CPU plus wrk CPU per request times",
        "  req/s shows how much of the machine's cores the pair used. Start-up: from spawning the process to the",
        "  first 200 on a Botpress call.",
        "  RSS: VmRSS summed over the process tree right after the measured run. Bytes per answer include headers.",
        "",
        "## Repeat workload (a handful of URLs: Prism static's case, a warm cache)",
        "",
        *table("repeat", m),
        "",
        "## Repeat workload, 30-day windows written as date-times",
        "",
        *table("repeat30", m),
        "",
        "## Spread workload (nearly every request fresh: Prism dynamic's case)",
        "",
        *table("spread", m),
        "",
        "## Each vendor's heaviest common request, under load",
        "",
        "The mock with its defaults, one worker, the same wrk settings; each request a random start day from",
        "2024-05-01 to 2025-04-30 (`benchmarks/workloads.lua`): *heavy-chatcaptain* an overview with all 17",
        "components over 30 days, daily, of a random chatbot of 1,000; *heavy-chatbotcom* conversations per hour",
        "and source over 30 days (5,040 points); *heavy-generalbots* daily usage over a year.",
        "",
        *heavy_table(m),
        "",
        "## Heavy requests, one at a time",
        "",
        f"One mockserver worker started afresh per round ({plural(s['rounds'], 'round')}), one request at a time over one",
        f"keep-alive connection: the first call, then {s['heavy_repeats']} repeats. Medians over rounds.",
        "",
        "| request | status | bytes | first call ms | repeat ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for h in heavy:
        repeat = "n/a" if h["repeat_ms"] is None else ms(h["repeat_ms"])
        out.append(f"| {h['name']} | {h['status']} | {h['bytes']:,.0f} | {ms(h['first_ms'])} | {repeat} |")
    out += ["", "Paths (mockserver started with `--now 2025-06-01T12:00:00Z`):", ""]
    out += [f"- `{path}`" for path in run.get("heavy_paths", [])]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text())), end="")
