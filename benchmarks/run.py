"""Benchmark the mock against Stoplight Prism and a bare Starlette app on Botpress analytics calls.

``make bench`` installs Prism and wrk, then runs this file with the project's venv; it writes
``docs/benchmarks.md`` (see ``report.py``) and the raw numbers to ``benchmarks/results/latest.json``.

Every server runs alone on a free loopback port with one worker (plus the mock with two workers),
started afresh for each measured run so start-up time and RSS are measured every time and no cache
outlives its run. Servers alternate within a round; the report takes medians over rounds.

Settings come from the environment so a quick run is possible (``BENCH_ROUNDS=1 BENCH_DURATION=2``):
BENCH_ROUNDS, BENCH_DURATION, BENCH_WARMUP (seconds), BENCH_THREADS, BENCH_CONNECTIONS,
BENCH_HEAVY_REPEATS, BENCH_PRISM (path of the prism binary), BENCH_OUT (markdown file).
"""

from __future__ import annotations

import datetime as dt
import http.client
import importlib.metadata
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402  (a sibling module, not an installed package)

VENV_BIN = ROOT / ".venv" / "bin"
LUA = HERE / "workloads.lua"
NOW = "2025-06-01T12:00:00Z"  # a fixed clock: the same data whatever day the benchmark runs
BOTPRESS_HEADERS = {"Authorization": "Bearer t", "x-workspace-id": "wkspace_1"}
# Every vendor's credential at once (each reads its own): for the URLs checked before measuring.
ALL_HEADERS = {**BOTPRESS_HEADERS, "x-chatcaptain-key": "k"}
# Must match workloads.lua: the repeat URLs and the domain the spread workload draws from.
REPEAT_START = dt.date(2025, 1, 1)
SPREAD_FIRST_DAY = dt.date(2024, 5, 1)
SPREAD_BOTS, SPREAD_DAYS = 1000, 365

# Heavy requests, timed one at a time on the mock with a plain client.
HEAVY: list[tuple[str, str, dict[str, str]]] = [
    (
        "ChatBot.com: one year, hourly",
        "/chatbotcom/reports/conversations?from=2024-06-01&to=2025-05-31&dimension=hour",
        {"Authorization": "Bearer t"},
    ),
    (
        "ChatCaptain: 30-day overview, all 17 components",
        "/chatcaptain/v1/chatbots/bot_1/statistics/reports/overview?from=2025-05-01T00:00:00.000Z"
        "&to=2025-05-30T23:59:59.999Z&interval=86400&components=" + ",".join(str(c) for c in range(17)),
        {"x-chatcaptain-key": "k"},
    ),
    (
        "General Bots: ten years, daily usage",
        "/generalbots/api/v1/analytics/usage/daily?start_date=2015-06-01&end_date=2025-05-31",
        {"Authorization": "Bearer t"},
    ),
]

# (workload, server) pairs measured in every round, in this order.
PLAN: list[tuple[str, str]] = [
    ("repeat", "prism-static"),
    ("repeat", "mock"),
    ("repeat", "mock-tuned"),
    ("repeat", "mock-w2"),
    ("repeat", "bare"),
    # 30-day windows written as date-times; no bare run (its fixed answer is the 7-day one).
    ("repeat30", "prism-static"),
    ("repeat30", "mock"),
    ("repeat30", "mock-tuned"),
    ("spread", "prism-dynamic"),
    ("spread", "mock"),
    ("spread", "mock-tuned"),
    ("spread", "mock-w2"),
    ("spread", "bare"),
    # Each vendor's heaviest common request, fresh ranges, the mock with its defaults.
    ("heavy-chatcaptain", "mock"),
    ("heavy-chatbotcom", "mock"),
    ("heavy-generalbots", "mock"),
]


@dataclass(frozen=True)
class Settings:
    rounds: int
    duration: int
    warmup: int
    threads: int
    connections: int
    heavy_repeats: int
    wrk_timeout: int
    prism: Path
    out: Path

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        duration = int(env("BENCH_DURATION", "10"))
        return cls(
            rounds=int(env("BENCH_ROUNDS", "3")),
            duration=duration,
            warmup=int(env("BENCH_WARMUP", "2")),
            threads=int(env("BENCH_THREADS", "1")),
            connections=int(env("BENCH_CONNECTIONS", "50")),
            heavy_repeats=int(env("BENCH_HEAVY_REPEATS", "7")),
            # Longer than a run, so a slow server's answers count in its latency instead of vanishing.
            wrk_timeout=max(10, duration),
            prism=Path(env("BENCH_PRISM", str(HERE / ".prism" / "node_modules" / ".bin" / "prism"))).absolute(),
            out=Path(env("BENCH_OUT", str(ROOT / "docs" / "benchmarks.md"))).absolute(),
        )


@dataclass
class Sample:
    """One measured run of one server on one workload."""

    workload: str
    server: str
    round: int
    startup_s: float
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_s_per_1k: float
    wrk_cpu_s_per_1k: float  # the load generator's own CPU: what it leaves of the machine's cores
    rss_mb: float
    bytes_per_response: float
    errors: int  # non-2xx/3xx answers, socket errors and time-outs, as wrk counts them


@dataclass
class HeavySample:
    name: str
    round: int
    status: int
    bytes: int
    first_ms: float  # first call on a freshly started server: nothing cached yet
    repeat_ms: list[float] = field(default_factory=list)


class Failure(RuntimeError):
    pass


# --- paths -------------------------------------------------------------------------------------


def botpress_path(prefix: str, bot: int, start: dt.date) -> str:
    end = start + dt.timedelta(days=6)
    return f"{prefix}/v1/admin/bots/bot_{bot}/analytics?startDate={start.isoformat()}&endDate={end.isoformat()}"


def workload_paths(workload: str, prefix: str) -> list[str]:
    """URLs checked before measuring: every repeat URL, or the corners and a sample of the spread domain."""
    if workload == "repeat":
        return [botpress_path(prefix, bot, REPEAT_START) for bot in range(1, 6)]
    if workload.startswith("heavy-"):  # must match workloads.lua
        first, last = SPREAD_FIRST_DAY, SPREAD_FIRST_DAY + dt.timedelta(days=SPREAD_DAYS - 1)
        paths = {
            "heavy-chatcaptain": lambda d: (
                f"/chatcaptain/v1/chatbots/cb_1/statistics/reports/overview?from={d}T00:00:00.000Z"
                f"&to={d + dt.timedelta(days=29)}T23:59:59.999Z&interval=86400&components=" + ",".join(map(str, range(17)))
            ),
            "heavy-chatbotcom": lambda d: (
                f"/chatbotcom/reports/conversations?from={d}&to={d + dt.timedelta(days=29)}&dimension=hour&group=source"
            ),
            "heavy-generalbots": lambda d: (
                f"/generalbots/api/v1/analytics/usage/daily?start_date={d}&end_date={d + dt.timedelta(days=364)}"
            ),
        }[workload]
        return [paths(first), paths(last)]
    if workload == "repeat30":
        end = REPEAT_START + dt.timedelta(days=29)
        return [
            f"{prefix}/v1/admin/bots/bot_{bot}/analytics?startDate={REPEAT_START}T00:00:00.000Z&endDate={end}T23:59:59.999Z"
            for bot in range(1, 6)
        ]
    last_day = SPREAD_FIRST_DAY + dt.timedelta(days=SPREAD_DAYS - 1)
    rng = random.Random(7)
    picks = [(1, SPREAD_FIRST_DAY), (SPREAD_BOTS, last_day)]
    picks += [(rng.randint(1, SPREAD_BOTS), SPREAD_FIRST_DAY + dt.timedelta(days=rng.randrange(SPREAD_DAYS))) for _ in range(8)]
    return [botpress_path(prefix, bot, day) for bot, day in picks]


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, headers: dict[str, str], timeout: float = 30.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """A server process in its own session, so stopping it stops its workers and nothing else."""

    def __init__(
        self, name: str, command: list[str], port: int, log: Path, cwd: Path = ROOT, env: dict[str, str] | None = None
    ) -> None:
        self.name, self.command, self.port, self.log = name, command, port, log
        self.started = time.perf_counter()
        self._log_file = log.open("ab")
        self.proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 90.0) -> float:
        """Seconds from spawning the process to its first 200 on ``path``."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                status, _ = get(self.port, path, BOTPRESS_HEADERS, timeout=5)
                if status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.01)
        raise Failure(f"{self.name} gave no 200 on {path} within {timeout:g} s:\n{self.tail()}")

    def tail(self) -> str:
        self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log_file.close()


def process_tree(root: int) -> list[int]:
    """The pid and all its descendants (uvicorn's workers, Prism's node process)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # fields 14 and 15 of stat(5)
    return out


def rss_mb(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total_kb += int(match.group(1)) if match else 0
    return total_kb / 1024


# --- the servers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    settings: Settings
    spec: Path  # the Botpress document as the mock serves it
    body: Path  # the mock's answer to the first repeat URL, for the bare app
    logs: Path


PREFIX = {
    "prism-static": "",
    "prism-dynamic": "",
    "mock": "/botpress",
    "mock-tuned": "/botpress",
    "mock-w2": "/botpress",
    "bare": "/botpress",
}


def command(server: str, port: int, ctx: Context | None) -> list[str]:
    # "mock" and "mock-w2" run as users run them: the real clock and the default log (one line per
    # request, to the server's log file). "mock-tuned" fixes the clock and logs warnings only.
    mock = [str(VENV_BIN / "mockserver"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if server == "mock":
        return mock
    if server == "mock-tuned":
        return mock + ["--log-level", "warning", "--now", NOW]
    if server == "mock-w2":
        return mock + ["--workers", "2"]
    assert ctx is not None
    if server == "bare":
        return [str(VENV_BIN / "python"), str(HERE / "bare_app.py"), "--port", str(port), "--body", str(ctx.body)]
    prism = [str(ctx.settings.prism), "mock", str(ctx.spec), "-h", "127.0.0.1", "-p", str(port), "-v", "error"]
    return prism + (["-d"] if server == "prism-dynamic" else [])


def start(server: str, ctx: Context | None, logs: Path) -> Server:
    port = free_port()
    return Server(server, command(server, port, ctx), port, logs / f"{server}.log")


def check(server: Server, paths: list[str]) -> None:
    """Every URL of the workload must answer 200 with JSON before anything is measured."""
    for path in paths:
        status, body = get(server.port, path, ALL_HEADERS)
        if status != 200:
            raise Failure(f"{server.name} answered {status} to GET {path}:\n{body.decode(errors='replace')[:2000]}")
        json.loads(body)


def prepare(logs: Path, work: Path) -> tuple[Path, Path]:
    """Save the Botpress document the mock serves (vendor file plus overlay) and one of its answers."""
    server = start("mock", None, logs)
    try:
        first = workload_paths("repeat", "/botpress")[0]
        server.wait_ready(first)
        status, spec = get(server.port, "/botpress/openapi.json", {})
        if status != 200:
            raise Failure(f"GET /botpress/openapi.json answered {status}")
        _, body = get(server.port, first, BOTPRESS_HEADERS)
    finally:
        server.stop()
    (work / "botpress.json").write_bytes(spec)
    (work / "body.json").write_bytes(body)
    return work / "botpress.json", work / "body.json"


# --- load --------------------------------------------------------------------------------------


def wrk(port: int, workload: str, prefix: str, seed: int, seconds: int, settings: Settings, log: Path) -> dict[str, Any]:
    env = dict(os.environ, BENCH_WORKLOAD=workload, BENCH_PREFIX=prefix, BENCH_SEED=str(seed))
    cmd = [
        "wrk",
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{seconds}s",
        f"--timeout={settings.wrk_timeout}s",
        "--latency",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}",
    ]
    began = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + settings.wrk_timeout + 30)
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child waited for in between
    with log.open("a") as f:
        f.write(f"$ {' '.join(cmd)}  # workload={workload} seed={seed}\n{done.stdout}{done.stderr}\n")
    line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise Failure(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(line[len("BENCH ") :])
    result["cpu_s"] = ended.ru_utime + ended.ru_stime - began.ru_utime - began.ru_stime
    return result


def measure(workload: str, server_name: str, rnd: int, ctx: Context) -> Sample:
    settings = ctx.settings
    prefix = PREFIX[server_name]
    paths = workload_paths(workload, prefix)
    server = start(server_name, ctx, ctx.logs)
    try:
        startup = server.wait_ready(workload_paths("repeat", prefix)[0])
        check(server, paths)
        wrk_log = ctx.logs / "wrk.log"
        if settings.warmup > 0:  # another spread sequence, so the measured one stays fresh
            wrk(server.port, workload, prefix, 1000 + rnd, settings.warmup, settings, wrk_log)
        pids = process_tree(server.proc.pid)
        before = cpu_seconds(pids)
        result = wrk(server.port, workload, prefix, rnd, settings.duration, settings, wrk_log)
        pids = process_tree(server.proc.pid)
        after = cpu_seconds(pids)
        rss = rss_mb(pids)
    finally:
        server.stop()
    requests = result["requests"]
    cpu = sum(t - before.get(pid, 0.0) for pid, t in after.items())
    errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    seconds = result["duration_us"] / 1e6
    return Sample(
        workload,
        server_name,
        rnd,
        round(startup, 4),
        requests,
        round(seconds, 3),
        round(requests / seconds, 1),
        round(result["p50_us"] / 1000, 3),
        round(result["p99_us"] / 1000, 3),
        round(cpu / requests * 1000, 4) if requests else float("nan"),
        round(result["cpu_s"] / requests * 1000, 4) if requests else float("nan"),
        round(rss, 1),
        round(result["bytes"] / requests, 1) if requests else 0.0,
        errors,
    )


def heavy(rnd: int, ctx: Context) -> list[HeavySample]:
    server = start("mock", ctx, ctx.logs)
    samples = []
    try:
        server.wait_ready(workload_paths("repeat", "/botpress")[0])
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        for name, path, headers in HEAVY:
            times = []
            for _ in range(1 + ctx.settings.heavy_repeats):
                began = time.perf_counter()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                times.append((time.perf_counter() - began) * 1000)
                if response.status != 200:
                    raise Failure(f"mock answered {response.status} to GET {path}:\n{body.decode(errors='replace')[:2000]}")
            samples.append(
                HeavySample(name, rnd, response.status, len(body), round(times[0], 2), [round(t, 2) for t in times[1:]])
            )
        conn.close()
    finally:
        server.stop()
    return samples


# --- environment -------------------------------------------------------------------------------


def output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def describe(settings: Settings) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    mem = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    wrk_line = output(["wrk", "-v"]).splitlines()
    commit = output(["git", "rev-parse", "--short", "HEAD"])
    dirty = output(["git", "status", "--porcelain", "--", "mockserver", "specs", "pyproject.toml"])
    return {
        "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": platform.release(),
        "os": output(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]) or platform.platform(),
        "versions": {
            "Python": platform.python_version(),
            "mockserver": version("mockserver") + (f" ({commit}{', uncommitted changes' if dirty else ''})" if commit else ""),
            "uvicorn": version("uvicorn"),
            "starlette": version("starlette"),
            "httptools": version("httptools"),
            "uvloop": version("uvloop"),
            "Prism (@stoplight/prism-cli)": output([str(settings.prism), "--version"]),
            "node": output(["node", "--version"]).lstrip("v"),
            "wrk": wrk_line[0].split()[1] if wrk_line and len(wrk_line[0].split()) > 1 else "unknown",
        },
    }


def main() -> int:
    settings = Settings.from_env()
    for tool, hint in ((str(settings.prism), "make bench installs it"), ("wrk", "apt-get install wrk")):
        if shutil.which(tool) is None:
            print(f"bench: {tool} not found ({hint})", file=sys.stderr)
            return 2
    began = dt.datetime.now(dt.timezone.utc)
    load_before = loadavg()
    machine = describe(settings)  # before the run: the code measured is the code as it was then
    results = HERE / "results"
    logs = results / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        try:
            spec, body = prepare(logs, Path(tmp))
            body_bytes = body.stat().st_size
            ctx = Context(settings, spec, body, logs)
            samples: list[Sample] = []
            heavies: list[HeavySample] = []
            for rnd in range(1, settings.rounds + 1):
                for workload, server in PLAN:
                    sample = measure(workload, server, rnd, ctx)
                    print(
                        f"round {rnd} {workload:6} {server:13} {sample.rps:9.1f} req/s  p50 {sample.p50_ms:8.2f} ms"
                        f"  p99 {sample.p99_ms:8.2f} ms  start {sample.startup_s:5.2f} s  rss {sample.rss_mb:6.1f} MB"
                        f"  errors {sample.errors}",
                        flush=True,
                    )
                    samples.append(sample)
                for h in heavy(rnd, ctx):
                    print(
                        f"round {rnd} heavy  {h.name}: first {h.first_ms:.1f} ms,"
                        f" then median {statistics.median(h.repeat_ms) if h.repeat_ms else float('nan'):.1f} ms",
                        flush=True,
                    )
                    heavies.append(h)
        except Failure as exc:
            print(f"bench: {exc}\n(server logs in {logs})", file=sys.stderr)
            return 1
    run = {
        "date": began.strftime("%Y-%m-%d %H:%M UTC"),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()},
        "machine": machine,
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "body_bytes": body_bytes,
        "samples": [asdict(s) for s in samples],
        "heavy": [asdict(h) for h in heavies],
        "heavy_paths": [path for _, path, _ in HEAVY],
    }
    (results / "latest.json").write_text(json.dumps(run, indent=1) + "\n")
    settings.out.parent.mkdir(parents=True, exist_ok=True)
    settings.out.write_text(report.render(run))
    print(
        f"bench: wrote {settings.out.relative_to(ROOT) if settings.out.is_relative_to(ROOT) else settings.out}"
        f" and {(results / 'latest.json').relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
