"""``mockserver``: a thin command line over ``create_app`` and uvicorn.

Every option can also come from an environment variable (``MOCKSERVER_PORT``, ``MOCKSERVER_SEED``,
...), so a CI service can be configured without a command line.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from mockserver.errors import ConfigError, MockServerError
from mockserver.settings import Settings
from mockserver.validation.schema import parse_date_time

EXAMPLES = """examples:
  mockserver serve                               all vendors on http://127.0.0.1:8000/<vendor>
  mockserver serve --vendor chatbotcom --port 9000   one vendor at the root
  mockserver serve --token secret --seed 7 --now 2025-06-01T12:00:00Z
  mockserver serve --spec botpress=admin-openapi.json
  mockserver routes
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
    routes = commands.add_parser("routes", help="list every vendor, method, path and operationId")
    _add_app_options(routes)
    plot = commands.add_parser("plot", help="draw a few series to PNG to judge the data by eye (needs matplotlib)")
    plot.add_argument("--out", default="world.png", help="PNG file to write (default world.png)")
    plot.add_argument("--seed", type=int, default=int(_env("SEED", "0") or 0))
    plot.add_argument("--now", default=_env("NOW"), help="fixed current time, e.g. 2025-06-01T12:00:00Z")
    return parser


def _add_app_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vendor", default=_env("VENDOR"), help="serve only this vendor, at the root (env MOCKSERVER_VENDOR)")
    parser.add_argument("--seed", type=int, default=int(_env("SEED", "0") or 0), help="seed of all synthetic data (env MOCKSERVER_SEED; default 0)")
    parser.add_argument("--token", action="append", default=_split(_env("TOKENS")),
                        help="accept only this credential; repeatable (env MOCKSERVER_TOKENS, comma-separated). "
                             "Default: any non-empty credential")
    parser.add_argument("--spec", action="append", default=_split(_env("SPECS")), metavar="VENDOR=PATH",
                        help="serve VENDOR from this OpenAPI 3.0/3.1 file instead of the bundled one; repeatable")
    parser.add_argument("--now", default=_env("NOW"), help="fixed current time for relative periods, e.g. 2025-06-01T12:00:00Z (env MOCKSERVER_NOW)")
    parser.add_argument("--job-duration", type=float, default=float(_env("JOB_DURATION", "3") or 3),
                        help="seconds an export or report takes to finish (env MOCKSERVER_JOB_DURATION; default 3)")
    parser.add_argument("--download-ttl", type=int, default=int(_env("DOWNLOAD_TTL", "900") or 900),
                        help="seconds a job's download link works after the job finished (env MOCKSERVER_DOWNLOAD_TTL; default 900)")


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Path] = {}
    for item in args.spec:
        vendor, sep, path = item.partition("=")
        if not sep or not vendor or not path:
            raise ConfigError(f"--spec expects VENDOR=PATH, got {item!r}")
        overrides[vendor] = Path(path)
    now: datetime | None = None
    if args.now:
        try:
            now = parse_date_time(args.now)
        except ValueError:
            raise ConfigError(f"--now expects an RFC 3339 date-time like 2025-06-01T12:00:00Z, got {args.now!r}") from None
    if not 0 <= args.job_duration <= 86400:
        raise ConfigError(f"--job-duration expects seconds between 0 and 86400, got {args.job_duration}")
    if args.download_ttl < 1:
        raise ConfigError(f"--download-ttl expects a number of seconds >= 1, got {args.download_ttl}")
    return Settings(
        root_vendor=args.vendor,
        seed=args.seed,
        tokens=frozenset(args.token),
        spec_overrides=overrides,
        now=now,
        job_duration=args.job_duration,
        download_ttl=args.download_ttl,
    )


def _settings_to_env(settings: Settings) -> str:
    return json.dumps({
        "root_vendor": settings.root_vendor,
        "seed": settings.seed,
        "tokens": sorted(settings.tokens),
        "spec_overrides": {k: str(v) for k, v in settings.spec_overrides.items()},
        "now": settings.now.isoformat() if settings.now else None,
        "job_duration": settings.job_duration,
        "download_ttl": settings.download_ttl,
        "state_path": str(settings.state_path),
        "secret": settings.secret,
    })


def app_from_env():  # type: ignore[no-untyped-def]
    """uvicorn factory for worker processes: rebuilds the settings the parent process parsed."""
    from mockserver.app import create_app

    raw = json.loads(os.environ[_SETTINGS_ENV])
    return create_app(Settings(
        root_vendor=raw["root_vendor"],
        seed=raw["seed"],
        tokens=frozenset(raw["tokens"]),
        spec_overrides={k: Path(v) for k, v in raw["spec_overrides"].items()},
        now=datetime.fromisoformat(raw["now"]) if raw["now"] else None,
        job_duration=raw["job_duration"],
        download_ttl=raw["download_ttl"],
        state_path=Path(raw["state_path"]),
        secret=raw["secret"],
    ))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "plot":
        return _plot(args)
    try:
        settings = settings_from(args)
        from mockserver.app import create_app

        app = create_app(settings)  # load and check every spec before binding the port
    except MockServerError as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "routes":
        for name, vendor in app.vendors.items():
            for op in vendor.spec.operations:
                print(f"{name}\t{op.method}\t{op.path}\t{op.operation_id}")
        return 0
    import uvicorn

    if args.workers > 1:
        # Workers share jobs through one SQLite file and sign download links with one key.
        with tempfile.TemporaryDirectory(prefix="mockserver-") as state:
            shared = replace(settings, state_path=Path(state) / "jobs.sqlite", secret=settings.secret or secrets.token_hex(16))
            os.environ[_SETTINGS_ENV] = _settings_to_env(shared)
            uvicorn.run("mockserver.cli:app_from_env", factory=True, host=args.host, port=args.port,
                        workers=args.workers, log_level=args.log_level)
    else:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


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
