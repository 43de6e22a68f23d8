"""``mockserver``: a thin command line over ``create_app`` and uvicorn.

Every option can also come from an environment variable (``MOCKSERVER_PORT``, ``MOCKSERVER_SEED``,
...), so a CI service can be configured without a command line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
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
from mockserver.timeutil import clock

EXAMPLES = {
    "serve": """examples:
  mockserver serve                                    all vendors on http://127.0.0.1:8000/<vendor>
  mockserver serve --vendor chatbotcom --port 9000    one vendor at the root
  mockserver serve --token secret --seed 7 --now 2025-06-01T12:00:00Z
  mockserver serve --spec botpress=admin-openapi.json
  mockserver serve --workers 4                        several processes, one shared state
  mockserver serve --state redis://127.0.0.1:6379/0   several servers acting as one
  MOCKSERVER_PORT=9000 MOCKSERVER_SEED=7 mockserver serve""",
    "routes": """examples:
  mockserver routes                                   every vendor's method, path and operationId
  mockserver routes --vendor botpress --spec botpress=admin-openapi.json""",
    "validate": """examples:
  mockserver validate                                 the bundled specs, overlays and fixtures
  mockserver validate --spec botpress=admin-openapi.json --fixtures my-fixtures/ --config mock.yaml""",
    "wait": """examples:
  mockserver serve & mockserver wait --timeout 30     start in the background, block until ready
  mockserver wait --url http://mock:8000 --timeout 60""",
    "plot": """examples:
  mockserver plot --out world.png --seed 7 --now 2025-06-01T12:00:00Z""",
}
_SETTINGS_ENV = "MOCKSERVER_SETTINGS_JSON"
# Set for worker processes: whom they must not outlive, and the temporary state they then remove.
_SUPERVISOR_ENV, _TEMP_STATE_ENV = "MOCKSERVER_SUPERVISOR_PID", "MOCKSERVER_TEMP_STATE"
DEFAULTS = Settings()
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MOCKSERVER_{name}", default)


def _number(kind: type, low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: a number in [low, high]. Environment defaults go through it too, so a bad
    MOCKSERVER_* value is reported like a bad option, not as a traceback."""

    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'a whole number' if kind is int else 'a number'}, got {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a value from {low:g} to {high:g}, got {text!r}")
        return value

    return convert


# Which event loop serves. uvloop (libuv) accepts one new connection per turn of the loop: on one
# busy worker the last of 50 connections opened at once waits some 50 turns (0.7 s) for its first
# answer (spread p99 about 240 ms against 75 ms on asyncio's loop, same throughput). asyncio accepts
# every waiting connection at once, which is fair within one process but, with several workers on
# one socket, hands a burst nearly all to one worker (46 of 50 measured). "auto" takes asyncio for
# one worker and uvloop for several.
LOOPS = ("auto", "asyncio", "uvloop")
DEFAULT_LOOP = "auto"


def event_loop(choice: str, workers: int) -> str:
    """The loop uvicorn runs for ``--loop choice`` (see LOOPS)."""
    if choice != "auto":
        return choice
    return "uvloop" if workers > 1 and importlib.util.find_spec("uvloop") is not None else "asyncio"


def _one_of(*allowed: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text not in allowed:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(allowed)}, got {text!r}")
        return text

    return convert


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver",
        description="Mock server for chatbot-analytics vendor APIs (Botpress, ChatCaptain, ChatBot.com, General Bots). "
        "Every option can also be set with the environment variable named in its help.",
        epilog="\n\n".join(EXAMPLES.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, epilog=EXAMPLES[name], formatter_class=argparse.RawDescriptionHelpFormatter)

    serve = command("serve", "serve the vendor APIs")
    serve.add_argument(
        "--host", default=_env("HOST", "127.0.0.1"), help="address to bind (env MOCKSERVER_HOST; default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=_number(int, 1, 65535), default=_env("PORT", "8000"), help="port (env MOCKSERVER_PORT; default 8000)"
    )
    _add_app_options(serve)
    serve.add_argument(
        "--workers",
        type=_number(int, 1, 256),
        default=_env("WORKERS", "1"),
        help="worker processes; they share one state (env MOCKSERVER_WORKERS; default 1)",
    )
    serve.add_argument(
        "--log-level",
        type=_one_of(*LOG_LEVELS),
        default=_env("LOG_LEVEL", "info"),
        help=f"{', '.join(LOG_LEVELS)} (env MOCKSERVER_LOG_LEVEL; default info)",
    )
    serve.add_argument(
        "--log-format",
        type=_one_of("text", "json"),
        default=_env("LOG_FORMAT", "text"),
        help="one line per request: text or json (env MOCKSERVER_LOG_FORMAT; default text)",
    )
    serve.add_argument(
        "--max-head-bytes",
        type=_number(int, 1024, 2**30),
        default=_env("MAX_HEAD_BYTES", str(DEFAULTS.max_head_bytes)),
        help="largest request line plus headers; larger is answered 431 (env MOCKSERVER_MAX_HEAD_BYTES; "
        f"default {DEFAULTS.max_head_bytes})",
    )
    serve.add_argument(
        "--head-timeout",
        type=_number(float, 0.01, 3600),
        default=_env("HEAD_TIMEOUT", str(DEFAULTS.head_timeout)),
        help="seconds a request's head may take to arrive, then 408 and the connection closes "
        f"(env MOCKSERVER_HEAD_TIMEOUT; default {DEFAULTS.head_timeout:g})",
    )
    serve.add_argument(
        "--body-timeout",
        type=_number(float, 0.01, 3600),
        default=_env("BODY_TIMEOUT", str(DEFAULTS.body_timeout)),
        help="seconds a request's body may take to arrive after its head, then 408 and the connection "
        f"closes (env MOCKSERVER_BODY_TIMEOUT; default {DEFAULTS.body_timeout:g})",
    )
    serve.add_argument(
        "--max-connections",
        type=_number(int, 1, 10**6),
        default=_env("MAX_CONNECTIONS", str(DEFAULTS.max_connections)),
        help="open connections per worker; one more is answered 503 and closed (env "
        f"MOCKSERVER_MAX_CONNECTIONS; default {DEFAULTS.max_connections}, lowered to fit the "
        "open-files limit)",
    )
    serve.add_argument(
        "--loop",
        type=_one_of(*LOOPS),
        default=_env("LOOP", DEFAULT_LOOP),
        help="event loop: asyncio, uvloop, or auto: asyncio for one worker (fair to a burst of new "
        "connections while busy), uvloop for several (spreads a burst over the workers) "
        "(env MOCKSERVER_LOOP; default auto)",
    )
    _add_app_options(command("routes", "list every vendor, method, path and operationId"))
    _add_app_options(command("validate", "check specs, overlays, fixtures and config; exit 2 on the first problem"))
    wait = command("wait", "block until a server is ready (for CI scripts)")
    wait.add_argument("--url", default=_env("URL", "http://127.0.0.1:8000"), help="the server's root URL (env MOCKSERVER_URL)")
    wait.add_argument(
        "--timeout",
        type=_number(float, 0, 86400),
        default=_env("WAIT_TIMEOUT", "30"),
        help="seconds to wait before giving up (env MOCKSERVER_WAIT_TIMEOUT; default 30)",
    )
    plot = command("plot", "draw a few series to PNG to judge the data by eye (needs matplotlib)")
    plot.add_argument(
        "--out", default=_env("PLOT_OUT", "world.png"), help="PNG file to write (env MOCKSERVER_PLOT_OUT; default world.png)"
    )
    plot.add_argument(
        "--seed", type=_number(int, 0, 2**63 - 1), default=_env("SEED", "0"), help="seed (env MOCKSERVER_SEED; default 0)"
    )
    plot.add_argument("--now", default=_env("NOW"), help="fixed current time, e.g. 2025-06-01T12:00:00Z (env MOCKSERVER_NOW)")
    return parser


def _add_app_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vendor", default=_env("VENDOR"), help="serve only this vendor, at the root (env MOCKSERVER_VENDOR)")
    parser.add_argument(
        "--seed",
        type=_number(int, 0, 2**63 - 1),
        default=_env("SEED"),
        help="seed of all synthetic data (env MOCKSERVER_SEED; default 0, or the config's)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=_split(_env("TOKENS")),
        help="accept only this credential; repeatable (env MOCKSERVER_TOKENS, comma-separated). "
        "Default: any non-empty credential",
    )
    parser.add_argument(
        "--spec",
        action="append",
        default=_split(_env("SPECS")),
        metavar="VENDOR=PATH",
        help="serve VENDOR from this OpenAPI 3.0/3.1 file instead of the bundled one; repeatable "
        "(env MOCKSERVER_SPECS, comma-separated)",
    )
    parser.add_argument(
        "--now",
        default=_env("NOW"),
        help="fixed current time for relative periods, e.g. 2025-06-01T12:00:00Z (env MOCKSERVER_NOW)",
    )
    parser.add_argument(
        "--fixtures",
        action="append",
        default=_split(_env("FIXTURES")),
        metavar="DIR",
        help="also load the fixtures in DIR (YAML or JSON); repeatable (env MOCKSERVER_FIXTURES)",
    )
    parser.add_argument(
        "--config",
        default=_env("CONFIG"),
        metavar="FILE",
        help="YAML or JSON with seed, now, faults and sessions to install at start-up (env MOCKSERVER_CONFIG)",
    )
    parser.add_argument(
        "--cors-origins",
        default=_env("CORS_ORIGINS", "*"),
        metavar="LIST",
        help="origins browsers may call from, comma-separated; * for any (default), none to turn CORS off "
        "(env MOCKSERVER_CORS_ORIGINS)",
    )
    parser.add_argument(
        "--admin-token",
        default=_env("ADMIN_TOKEN"),
        help="token the /__mock control plane requires; without it only loopback clients may use it (env MOCKSERVER_ADMIN_TOKEN)",
    )
    parser.add_argument(
        "--allowed-hosts",
        default=_env("ALLOWED_HOSTS", ""),
        metavar="LIST",
        help="host names the control plane answers to besides localhost, loopback addresses and the "
        "bound address, comma-separated; * for any (env MOCKSERVER_ALLOWED_HOSTS)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default=_env("FORWARDED_ALLOW_IPS", ",".join(DEFAULTS.forwarded_allow_ips)),
        metavar="LIST",
        help="proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses "
        "or networks, comma-separated, * for any, none for no proxy (env MOCKSERVER_FORWARDED_ALLOW_IPS; "
        f"default {','.join(DEFAULTS.forwarded_allow_ips)})",
    )
    parser.add_argument(
        "--secret",
        default=_env("SECRET"),
        help="shared secret the download-link key is derived from, so that servers agree on links "
        "whatever happens to their store; default: a key kept in the state store (env MOCKSERVER_SECRET)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=_number(int, 0, 2**31),
        default=_env("MAX_BODY_BYTES", str(DEFAULTS.max_body_bytes)),
        help=f"largest request body; larger is answered 413 (env MOCKSERVER_MAX_BODY_BYTES; default {DEFAULTS.max_body_bytes})",
    )
    parser.add_argument(
        "--max-query-bytes",
        type=_number(int, 64, 2**30),
        default=_env("MAX_QUERY_BYTES", str(DEFAULTS.max_query_bytes)),
        help=f"longest query string; longer is answered 414 (env MOCKSERVER_MAX_QUERY_BYTES; default {DEFAULTS.max_query_bytes})",
    )
    parser.add_argument(
        "--journal-entry-bytes",
        type=_number(int, 1024, 2**30),
        default=_env("JOURNAL_ENTRY_BYTES", str(DEFAULTS.journal_entry_bytes)),
        help="what the journal keeps of one request; longer values are cut with a '…[cut N bytes]' "
        f"marker (env MOCKSERVER_JOURNAL_ENTRY_BYTES; default {DEFAULTS.journal_entry_bytes})",
    )
    parser.add_argument(
        "--journal-bytes",
        type=_number(int, 1024, 2**40),
        default=_env("JOURNAL_BYTES", str(DEFAULTS.journal_bytes)),
        help="bytes the journal keeps in all, the oldest entries go first (env MOCKSERVER_JOURNAL_BYTES; "
        f"default {DEFAULTS.journal_bytes})",
    )
    parser.add_argument(
        "--state-timeout",
        type=_number(float, 0.001, 60),
        default=_env("STATE_TIMEOUT", str(DEFAULTS.state_timeout)),
        help="seconds one call to the state store may take; then requests get a 503 naming the store "
        f"until it answers again (env MOCKSERVER_STATE_TIMEOUT; default {DEFAULTS.state_timeout:g})",
    )
    parser.add_argument(
        "--journal-size",
        type=_number(int, 1, 10_000_000),
        default=_env("JOURNAL_SIZE", "1000"),
        help="requests the journal keeps (env MOCKSERVER_JOURNAL_SIZE; default 1000)",
    )
    parser.add_argument(
        "--job-duration",
        type=_number(float, 0, 86400),
        default=_env("JOB_DURATION", "3"),
        help="seconds an export or report takes to finish (env MOCKSERVER_JOB_DURATION; default 3)",
    )
    parser.add_argument(
        "--download-ttl",
        type=_number(int, 1, 10**9),
        default=_env("DOWNLOAD_TTL", "900"),
        help="seconds a job's download link works after the job finished (env MOCKSERVER_DOWNLOAD_TTL; default 900)",
    )
    parser.add_argument(
        "--state",
        default=_env("STATE", "memory"),
        metavar="URL",
        help="where jobs, journal, fault rules and sessions live: memory (default; --workers N shares a "
        "temporary SQLite file), sqlite:///path/state.db, or redis://host:port/db to let several "
        "servers act as one (env MOCKSERVER_STATE)",
    )
    parser.add_argument(
        "--max-jobs",
        type=_number(int, 1, 10**7),
        default=_env("MAX_JOBS", "10000"),
        help="jobs kept per vendor and kind, the oldest go first (env MOCKSERVER_MAX_JOBS; default 10000)",
    )


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
        # YAML reads an unquoted timestamp as a datetime; its ISO form is the RFC 3339 text.
        now = clock(raw_now.isoformat() if isinstance(raw_now, datetime) else str(raw_now), "--now")
    check_state_url(args.state)
    if args.journal_entry_bytes > args.journal_bytes:
        raise ConfigError(
            f"--journal-entry-bytes ({args.journal_entry_bytes}) is more than --journal-bytes "
            f"({args.journal_bytes}), which would keep no entry whole; lower the first or raise the second"
        )
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
        allowed_hosts=tuple(_split(args.allowed_hosts)),
        forwarded_allow_ips=_proxies(args.forwarded_allow_ips),
        secret=args.secret or None,
        max_body_bytes=args.max_body_bytes,
        max_query_bytes=args.max_query_bytes,
        journal_entry_bytes=args.journal_entry_bytes,
        journal_bytes=args.journal_bytes,
        state_timeout=args.state_timeout,
        **(
            {
                "max_head_bytes": args.max_head_bytes,
                "head_timeout": args.head_timeout,
                "body_timeout": args.body_timeout,
                "max_connections": args.max_connections,
            }
            if args.command == "serve"
            else {}
        ),
        faults=tuple(config.get("faults", ())),
        sessions=dict(config.get("sessions", {})),
    )


def _proxies(text: str) -> tuple[str, ...]:
    """--forwarded-allow-ips as a tuple, each item checked now rather than at the first request."""
    import ipaddress

    items = tuple(_split(text.replace(" ", ""))) if text.strip() != "none" else ()
    for item in items:
        if item != "*":
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ConfigError(
                    f"--forwarded-allow-ips expects addresses or networks (127.0.0.1, 10.0.0.0/8), * or none; got {item!r}"
                ) from None
    return items


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


def app_from_env() -> Any:
    """uvicorn factory for worker processes: rebuilds the settings the parent process parsed."""
    from mockserver.app import create_app
    from mockserver.transport import configure as configure_protocol

    configure_logs(os.environ.get("MOCKSERVER_LOG_FORMAT", "text"), os.environ.get("MOCKSERVER_LOG_LEVEL", "info"))  # per worker
    settings = settings_from_json(os.environ[_SETTINGS_ENV])
    configure_protocol(settings.max_head_bytes, settings.head_timeout, settings.body_timeout, settings.max_connections)
    app = create_app(settings)
    if os.environ.get(_SUPERVISOR_ENV):
        _die_with(int(os.environ[_SUPERVISOR_ENV]), os.environ.get(_TEMP_STATE_ENV), app.on_shutdown)
    return app


def _die_with(supervisor: int, temporary: str | None, on_shutdown: list[Callable[[], None]]) -> None:
    """A worker ends when its supervisor does, even by ``kill -9``: otherwise it goes on serving the
    port, and the next server there fails with "address already in use".

    Linux sends the worker SIGTERM as the supervisor dies (PR_SET_PDEATHSIG); elsewhere, and as a
    backstop, a thread notices that the parent changed. uvicorn then drains the worker as on any
    SIGTERM. An orphaned worker also removes the temporary state, which its supervisor no longer can.
    """
    import shutil
    import threading
    import time

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass

    def orphaned() -> bool:
        return os.getppid() != supervisor

    def watch() -> None:
        while not orphaned():
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    def remove_temporary() -> None:
        if temporary and orphaned():
            shutil.rmtree(temporary, ignore_errors=True)

    # At the app's shutdown, which uvicorn reaches after draining on SIGTERM: an exit hook would
    # not run, since uvicorn then raises the signal again under its default handler.
    on_shutdown.append(remove_temporary)
    if orphaned():  # died before the signal was asked for
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=watch, name="mockserver-supervisor-watch", daemon=True).start()


def _fit_connections(wanted: int, workers: int) -> int:
    """``--max-connections`` within the open-files limit (raised to its hard limit first), so a flood of
    connections is refused cleanly instead of failing accept() with "too many open files"."""
    try:
        import resource
    except ImportError:  # Windows
        return wanted
    reserve = 64  # the listening socket, state files, logs, a few in flight
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + reserve
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < needed:
        fitted = max(1, soft - reserve)
        print(
            f"mockserver: warning: the open-files limit is {soft}, so --max-connections is {fitted} instead of "
            f"{wanted} (raise it with ulimit -n)",
            file=sys.stderr,
        )
        return fitted
    return wanted


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

    from mockserver.transport import GuardedHTTP
    from mockserver.transport import configure as configure_protocol

    loop = event_loop(args.loop, args.workers)
    if loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        print(
            "mockserver: error: --loop uvloop needs the uvloop package (pip install uvloop; it has no Windows "
            "build); or use --loop asyncio.",
            file=sys.stderr,
        )
        return 2
    log_config = configure_logs(args.log_format, args.log_level)
    os.environ["MOCKSERVER_LOG_FORMAT"], os.environ["MOCKSERVER_LOG_LEVEL"] = args.log_format, args.log_level
    settings = replace(settings, max_connections=_fit_connections(settings.max_connections, args.workers))
    # The app reads forwarded headers itself (--forwarded-allow-ips), once, for the loopback rule
    # and the URLs it writes; uvicorn's own rewriting of the client address is off.
    served = dict(
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        log_config=log_config,
        loop=loop,
        http=GuardedHTTP,
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )

    if args.workers > 1:
        # Workers share jobs, journal, fault rules, sessions and the link key through the state
        # store: a temporary SQLite file unless --state names one.
        with tempfile.TemporaryDirectory(prefix="mockserver-") as folder:
            if settings.state == "memory":
                settings = replace(settings, state=f"sqlite:///{Path(folder) / 'state.db'}")
                os.environ[_TEMP_STATE_ENV] = folder
            app.state.close()
            os.environ[_SETTINGS_ENV] = settings_to_json(settings)
            os.environ[_SUPERVISOR_ENV] = str(os.getpid())
            uvicorn.run("mockserver.cli:app_from_env", factory=True, workers=args.workers, **served)
    else:
        configure_protocol(settings.max_head_bytes, settings.head_timeout, settings.body_timeout, settings.max_connections)
        # uvicorn drains in-flight requests on SIGTERM or Ctrl-C, then raises the signal again
        # under the handlers it found. Finding these, a drained stop ends with status 0, as it
        # does with --workers N, so `kill $pid; wait $pid` in a CI script succeeds.
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, _stopped)
        uvicorn.run(app, **served)
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
        now = clock(args.now, "--now") if args.now else None
    except ConfigError as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    print(render(Path(args.out), seed=args.seed, now=now))
    return 0


if __name__ == "__main__":
    sys.exit(main())
