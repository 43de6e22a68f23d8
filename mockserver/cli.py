"""``mockserver``: a thin command line over ``create_app`` and uvicorn.

Every option can also come from an environment variable (``MOCKSERVER_PORT``, ``MOCKSERVER_SEED``,
...), so a CI service can be configured without a command line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from mockserver.errors import ConfigError, MockServerError
from mockserver.logs import configure as configure_logs
from mockserver.openapi.loader import check_document, load_yaml
from mockserver.settings import Settings, settings_from_json, settings_to_json
from mockserver.state import check_state_url
from mockserver.validation.schema import parse_date_time

EXAMPLES = """examples:
  mockserver serve                               all vendors on http://127.0.0.1:8000/<vendor>
  mockserver serve --vendor chatbotcom --port 9000   one vendor at the root
  mockserver serve --token secret --seed 7 --now 2025-06-01T12:00:00Z
  mockserver serve --spec botpress=admin-openapi.json
  mockserver routes
  mockserver validate --spec botpress=admin-openapi.json --fixtures my-fixtures/
  mockserver wait --url http://127.0.0.1:8000 --timeout 30
"""
_SETTINGS_ENV = "MOCKSERVER_SETTINGS_JSON"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MOCKSERVER_{name}", default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver",
        description="Mock server for chatbot-analytics vendor APIs (Botpress, ChatCaptain, ChatBot.com, General Bots).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the vendor APIs", epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--host", default=_env("HOST", "127.0.0.1"), help="address to bind (env MOCKSERVER_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=int(_env("PORT", "8000") or 8000), help="port (env MOCKSERVER_PORT; default 8000)")
    _add_app_options(serve)
    serve.add_argument("--workers", type=int, default=int(_env("WORKERS", "1") or 1), help="worker processes (env MOCKSERVER_WORKERS)")
    serve.add_argument("--log-level", default=_env("LOG_LEVEL", "info"), choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--log-format", default=_env("LOG_FORMAT", "text"), choices=["text", "json"],
                       help="one line per request: text or JSON (env MOCKSERVER_LOG_FORMAT)")
    routes = commands.add_parser("routes", help="list every vendor, method, path and operationId")
    _add_app_options(routes)
    validate = commands.add_parser("validate", help="check specs, overlays, fixtures and config; exit 2 on the first problem")
    _add_app_options(validate)
    wait = commands.add_parser("wait", help="block until a server is ready (for CI scripts)")
    wait.add_argument("--url", default=_env("URL", "http://127.0.0.1:8000"), help="the server's root URL (env MOCKSERVER_URL)")
    wait.add_argument("--timeout", type=float, default=30.0, help="seconds to wait before giving up (default 30)")
    plot = commands.add_parser("plot", help="draw a few series to PNG to judge the data by eye (needs matplotlib)")
    plot.add_argument("--out", default="world.png", help="PNG file to write (default world.png)")
    plot.add_argument("--seed", type=int, default=int(_env("SEED", "0") or 0))
    plot.add_argument("--now", default=_env("NOW"), help="fixed current time, e.g. 2025-06-01T12:00:00Z")
    return parser


def _add_app_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vendor", default=_env("VENDOR"), help="serve only this vendor, at the root (env MOCKSERVER_VENDOR)")
    parser.add_argument("--seed", type=int, default=_int(_env("SEED")), help="seed of all synthetic data (env MOCKSERVER_SEED; default 0)")
    parser.add_argument("--token", action="append", default=_split(_env("TOKENS")),
                        help="accept only this credential; repeatable (env MOCKSERVER_TOKENS, comma-separated). "
                             "Default: any non-empty credential")
    parser.add_argument("--spec", action="append", default=_split(_env("SPECS")), metavar="VENDOR=PATH",
                        help="serve VENDOR from this OpenAPI 3.0/3.1 file instead of the bundled one; repeatable")
    parser.add_argument("--now", default=_env("NOW"), help="fixed current time for relative periods, e.g. 2025-06-01T12:00:00Z (env MOCKSERVER_NOW)")
    parser.add_argument("--fixtures", action="append", default=_split(_env("FIXTURES")), metavar="DIR",
                        help="also load the fixtures in DIR (YAML or JSON); repeatable (env MOCKSERVER_FIXTURES)")
    parser.add_argument("--config", default=_env("CONFIG"), metavar="FILE",
                        help="YAML or JSON with seed, now, faults and sessions to install at start-up (env MOCKSERVER_CONFIG)")
    parser.add_argument("--cors-origins", default=_env("CORS_ORIGINS", "*"), metavar="LIST",
                        help="origins browsers may call from, comma-separated; * for any (default), none to turn CORS off")
    parser.add_argument("--admin-token", default=_env("ADMIN_TOKEN"),
                        help="token the /__mock control plane requires; without it only loopback clients may use it (env MOCKSERVER_ADMIN_TOKEN)")
    parser.add_argument("--journal-size", type=int, default=int(_env("JOURNAL_SIZE", "1000") or 1000),
                        help="requests the journal keeps (env MOCKSERVER_JOURNAL_SIZE; default 1000)")
    parser.add_argument("--job-duration", type=float, default=float(_env("JOB_DURATION", "3") or 3),
                        help="seconds an export or report takes to finish (env MOCKSERVER_JOB_DURATION; default 3)")
    parser.add_argument("--download-ttl", type=int, default=int(_env("DOWNLOAD_TTL", "900") or 900),
                        help="seconds a job's download link works after the job finished (env MOCKSERVER_DOWNLOAD_TTL; default 900)")
    parser.add_argument("--state", default=_env("STATE", "memory"), metavar="URL",
                        help="where jobs, journal, fault rules and sessions live: memory (default; --workers N shares a "
                             "temporary SQLite file), sqlite:///path/state.db, or redis://host:port/db to let several "
                             "servers act as one (env MOCKSERVER_STATE)")
    parser.add_argument("--max-jobs", type=int, default=int(_env("MAX_JOBS", "10000") or 10000),
                        help="jobs kept per vendor and kind, the oldest go first (env MOCKSERVER_MAX_JOBS; default 10000)")


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Path] = {}
    for item in args.spec:
        vendor, sep, path = item.partition("=")
        if not sep or not vendor or not path:
            raise ConfigError(f"--spec expects VENDOR=PATH, got {item!r}")
        overrides[vendor] = Path(path)
    config = _read_config(Path(args.config)) if args.config else {}
    now: datetime | None = None
    raw_now = args.now or config.get("now")
    if raw_now:
        try:
            now = parse_date_time(str(raw_now))
        except ValueError:
            raise ConfigError(f"--now expects an RFC 3339 date-time like 2025-06-01T12:00:00Z, got {raw_now!r}") from None
    if not 0 <= args.job_duration <= 86400:
        raise ConfigError(f"--job-duration expects seconds between 0 and 86400, got {args.job_duration}")
    if args.download_ttl < 1:
        raise ConfigError(f"--download-ttl expects a number of seconds >= 1, got {args.download_ttl}")
    if args.journal_size < 1:
        raise ConfigError(f"--journal-size expects a number >= 1, got {args.journal_size}")
    if args.max_jobs < 1:
        raise ConfigError(f"--max-jobs expects a number >= 1, got {args.max_jobs}")
    check_state_url(args.state)
    seed = args.seed if args.seed is not None else config.get("seed", 0)
    if not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"the seed must be a whole number >= 0, got {seed!r}")
    return Settings(
        root_vendor=args.vendor,
        seed=seed,
        tokens=frozenset(args.token),
        spec_overrides=overrides,
        now=now,
        job_duration=args.job_duration,
        download_ttl=args.download_ttl,
        fixture_dirs=tuple(Path(d) for d in args.fixtures),
        journal_size=args.journal_size,
        state=args.state,
        max_jobs=args.max_jobs,
        admin_token=args.admin_token or None,
        cors_origins=() if args.cors_origins == "none" else tuple(o.strip() for o in args.cors_origins.split(",") if o.strip()),
        faults=tuple(config.get("faults", ())),
        sessions=dict(config.get("sessions", {})),
    )


def _read_config(path: Path) -> dict[str, Any]:
    """The --config file: seed, now, faults (control-plane rules) and sessions (id -> seed/now)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must be a mapping")
    unknown = set(data) - {"seed", "now", "faults", "sessions"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}; allowed: seed, now, faults, sessions")
    if not isinstance(data.get("faults", []), list) or not isinstance(data.get("sessions", {}), dict):
        raise ConfigError(f"{path}: 'faults' is a list of rules and 'sessions' maps session ids to {{seed, now}}")
    return data


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"mockserver: error: expected a whole number, got {value!r}") from None


def app_from_env():  # type: ignore[no-untyped-def]
    """uvicorn factory for worker processes: rebuilds the settings the parent process parsed."""
    from mockserver.app import create_app

    configure_logs(os.environ.get("MOCKSERVER_LOG_FORMAT", "text"), os.environ.get("MOCKSERVER_LOG_LEVEL", "info"))
    return create_app(settings_from_json(os.environ[_SETTINGS_ENV]))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "plot":
        return _plot(args)
    if args.command == "wait":
        return _wait(args.url, args.timeout)
    try:
        settings = settings_from(args)
        from mockserver.app import create_app

        app = create_app(settings)  # load and check every spec before binding the port
    except MockServerError as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "validate":
        fixtures = sum(len(f) for v in app.vendors.values() for f in v.fixtures.values())
        for name, vendor in app.vendors.items():
            try:  # start-up skips the meta-schema check for the bundled documents; validate does not
                check_document(vendor.spec.document, vendor.spec.source)
            except MockServerError as exc:
                print(f"mockserver: error: {exc}", file=sys.stderr)
                return 2
            print(f"ok  {name}: {vendor.spec.source} ({len(vendor.spec.operations)} operations)")
        print(f"ok  {fixtures} fixtures, {len(app.state.rules())} fault rules, {len(app.state.sessions())} sessions")
        return 0
    if args.command == "routes":
        for name, vendor in app.vendors.items():
            for op in vendor.spec.operations:
                print(f"{name}\t{op.method}\t{op.path}\t{op.operation_id}")
        return 0
    import uvicorn

    configure_logs(args.log_format, args.log_level)
    os.environ["MOCKSERVER_LOG_FORMAT"], os.environ["MOCKSERVER_LOG_LEVEL"] = args.log_format, args.log_level

    if args.workers > 1:
        # Workers share jobs, journal, fault rules, sessions and the link key through the state
        # store: a temporary SQLite file unless --state names one.
        with tempfile.TemporaryDirectory(prefix="mockserver-") as folder:
            if settings.state == "memory":
                settings = replace(settings, state=f"sqlite:///{Path(folder) / 'state.db'}")
            app.state.close()
            os.environ[_SETTINGS_ENV] = settings_to_json(settings)
            uvicorn.run("mockserver.cli:app_from_env", factory=True, host=args.host, port=args.port,
                        workers=args.workers, log_level=args.log_level, access_log=False)
    else:
        # uvicorn drains in-flight requests on SIGTERM or Ctrl-C, then raises the signal again
        # under the handlers it found. Finding these, a drained stop ends with status 0, as it
        # does with --workers N, so `kill $pid; wait $pid` in a CI script succeeds.
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, _stopped)
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _wait(url: str, timeout: float) -> int:
    """Poll ``{url}/__mock/ready`` until it answers 200."""
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    ready = url.rstrip("/") + "/__mock/ready"
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(ready, timeout=2) as response:
                if response.status == 200:
                    print(f"ready: {url}")
                    return 0
                last = f"status {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        time.sleep(0.2)
    print(f"mockserver: error: {ready} was not ready after {timeout:g} s (last: {last})", file=sys.stderr)
    return 1


def _plot(args: argparse.Namespace) -> int:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("mockserver: error: plot needs matplotlib: pip install -e '.[plot]'", file=sys.stderr)
        return 2
    from mockserver.plot import render

    try:
        now = parse_date_time(args.now) if args.now else None
    except ValueError:
        print(f"mockserver: error: --now expects an RFC 3339 date-time, got {args.now!r}", file=sys.stderr)
        return 2
    print(render(Path(args.out), seed=args.seed, now=now))
    return 0


if __name__ == "__main__":
    sys.exit(main())
