"""``mockserver``: a thin command line over ``create_app`` and uvicorn.

Every option can also come from an environment variable (``MOCKSERVER_PORT``, ``MOCKSERVER_SEED``,
...), so a CI service can be configured without a command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from mockserver.errors import ConfigError, MockServerError
from mockserver.openapi.loader import check_document, load_yaml
from mockserver.profiles import world_schemas
from mockserver.settings import CHECKED, Option, ServeOptions, Settings, number, options_of, whole
from mockserver.timeutil import clock, parse_instant
from mockserver.world import WorldError, check_world

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
  mockserver wait --url http://mock:8000 --timeout 60
  mockserver wait --url-file /tmp/mockserver.url      the URL a server started with --ready-file wrote""",
    "schemathesis-config": """examples:
  st --config-file "$(mockserver schemathesis-config)" run http://127.0.0.1:8000/botpress/openapi.json
  mockserver schemathesis-config --out schemathesis.toml   a copy to keep in your repository""",
    "verify": """examples:
  mockserver verify chatbotcom --upstream https://api.example.com -H "Authorization: Bearer $TOKEN" --report drift.md
  mockserver verify botpress --upstream https://api.botpress.cloud -H "Authorization: Bearer $BP_TOKEN" \\
      -H "x-workspace-id: $BP_WORKSPACE" --param id=$BP_BOT --report drift.md --junit drift.xml
  mockserver verify chatcaptain --upstream http://127.0.0.1:8000/chatcaptain -H "x-chatcaptain-key: k"   the mock itself: no drift""",
    "coverage": """examples:
  mockserver coverage                                 a Markdown table of every operation, after a test run
  mockserver coverage --session checkout-test --format json
  mockserver coverage --format junit --out coverage.xml --fail-under 80""",
    "plot": """examples:
  mockserver plot --out world.html --seed 7 --now 2025-06-01T12:00:00Z
  mockserver plot chatcaptain --config mock.yaml --out my-chatbot.html
  mockserver plot --out world.png                                 (needs matplotlib)""",
}


def _checked(read: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from a reader: its ValueError's message is what argparse reports."""

    def convert(text: str) -> Any:
        try:
            return read(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _help(opt: Option, default: Any) -> str:
    shown = opt.shown if opt.shown is not None else (f"{default:g}" if isinstance(default, float) else str(default))
    return f"{opt.help} (env {opt.env}{', comma-separated' if opt.repeat else ''}; default {shown})"


def _add_options(parser: argparse.ArgumentParser, command: str) -> None:
    """The declared options (settings.py) that ``command`` takes; every default is None here, so
    that ``resolve`` can tell a flag given from one not given and look at the environment next."""
    for cls in (Settings, ServeOptions):
        for name, opt, default in options_of(cls):
            if command in opt.commands:
                metavar = opt.metavar or opt.flag.removeprefix("--").upper().replace("-", "_")
                parser.add_argument(
                    opt.flag,
                    dest=name,
                    type=_checked(opt.parse),
                    default=None,
                    metavar=metavar,
                    action="append" if opt.repeat else "store",
                    help=_help(opt, default),
                )
    if command in CHECKED:
        parser.add_argument(
            "--config",
            default=None,
            metavar="FILE",
            help="YAML or JSON with seed, now, faults and sessions to install at start-up (env MOCKSERVER_CONFIG)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver",
        description="Mock server for chatbot-analytics vendor APIs (Botpress, ChatCaptain, ChatBot.com, General Bots). "
        "Every option can also be set with the environment variable named in its help.",
        epilog="examples:\n"
        + "\n".join(line for block in EXAMPLES.values() for line in block.splitlines()[1:2])
        + "\n\nmockserver <command> --help shows a command's options and more examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help,
            description=help[0].upper() + help[1:] + ".",
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_options(sub, name)
        return sub

    command("serve", "serve the vendor APIs")
    command("routes", "list every vendor, method, path and operationId, and which operations keep what they are sent")
    command("validate", "check specs, overlays, fixtures and config; exit 2 on the first problem, 1 when recordings are stale")
    wait = command("wait", "block until a server is ready (for CI scripts)")
    wait.add_argument(
        "--url",
        default=_env("URL", "http://127.0.0.1:8000"),
        help="the server's root URL (env MOCKSERVER_URL; default http://127.0.0.1:8000)",
    )
    wait.add_argument(
        "--url-file",
        default=None,
        metavar="FILE",
        help="read the URL from FILE, which serve --ready-file writes (a health check that follows any --port)",
    )
    wait.add_argument(
        "--timeout",
        type=_checked(number(0, 86400)),
        default=_env("WAIT_TIMEOUT", "30"),
        help="seconds to wait before giving up (env MOCKSERVER_WAIT_TIMEOUT; default 30)",
    )
    covered = command("coverage", "which operations, parameters and statuses the journaled requests exercised")
    covered.add_argument(
        "--url",
        default=_env("URL", "http://127.0.0.1:8000"),
        help="the server's root URL (env MOCKSERVER_URL; default http://127.0.0.1:8000)",
    )
    covered.add_argument("--session", default=None, help="only this session's requests (X-Mock-Session)")
    covered.add_argument("--vendor", default=None, help="only this vendor's operations")
    covered.add_argument("--format", choices=("md", "json", "junit"), default="md", help="report format (default md)")
    covered.add_argument("--out", default=None, metavar="FILE", help="write the report here instead of printing it")
    covered.add_argument(
        "--fail-under",
        type=_checked(number(0, 100)),
        default=None,
        metavar="PCT",
        help="exit 1 when fewer than PCT percent of the operations are covered (answered 2xx at least once)",
    )
    covered.add_argument(
        "--admin-token", default=_env("ADMIN_TOKEN"), help="the server's admin token, if it has one (env MOCKSERVER_ADMIN_TOKEN)"
    )
    fuzz = command("schemathesis-config", "print where the schemathesis settings the mock is fuzzed with are, or copy them")
    fuzz.add_argument("--out", default=None, metavar="FILE", help="write a copy here instead of printing the path")
    check = command("verify", "send the same requests to the real vendor and to the mock, and report what drifted")
    check.add_argument("vendor", metavar="VENDOR", help="the vendor whose spec the requests come from")
    check.add_argument(
        "--upstream",
        required=True,
        type=_checked(_base_url),
        metavar="URL",
        help="the vendor's base URL (the spec's paths go below it)",
    )
    check.add_argument(
        "-H",
        "--header",
        dest="headers",
        type=_checked(_header),
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header for the vendor, e.g. its credentials; repeatable; never written anywhere",
    )
    check.add_argument(
        "--param",
        dest="params",
        type=_checked(_param),
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the value of a parameter in every request, e.g. a bot id the vendor knows; repeatable",
    )
    check.add_argument(
        "--spec",
        default=None,
        metavar="PATH",
        help="the vendor's document to verify instead of the bundled one (as serve --spec)",
    )
    check.add_argument("--operations", default="", metavar="ID,...", help="only these operationIds (default: every one)")
    check.add_argument(
        "--rate", type=_checked(number(0.01, 1000)), default=2.0, help="requests per second to the vendor (default 2)"
    )
    check.add_argument("--timeout", type=_checked(number(0.1, 600)), default=10.0, help="seconds for each answer (default 10)")
    check.add_argument("--report", default=None, metavar="FILE.md", help="write the Markdown report here")
    check.add_argument(
        "--junit", default=None, metavar="FILE.xml", help="write JUnit XML here (one test per operation and check)"
    )
    check.add_argument(
        "--overlay-out", default=None, metavar="FILE.yaml", help="write an Overlay 1.0 patch proposing what the spec lacks"
    )
    plot = command("plot", "draw each vendor's main series, daily and hourly, to judge the data by eye")
    plot.add_argument("vendor", nargs="*", help="vendors to draw (default: all)")
    plot.add_argument(
        "--out",
        default=_env("PLOT_OUT", "world.html"),
        help="file to write: a self-contained HTML page, or a PNG if it ends in .png (needs matplotlib) "
        "(env MOCKSERVER_PLOT_OUT; default world.html)",
    )
    plot.add_argument("--config", default=_env("CONFIG"), help="a config file whose world to draw (env MOCKSERVER_CONFIG)")
    plot.add_argument(
        "--seed", type=_checked(whole(0, 2**63 - 1)), default=_env("SEED", "0"), help="seed (env MOCKSERVER_SEED; default 0)"
    )
    plot.add_argument("--now", default=_env("NOW"), help="fixed current time, e.g. 2025-06-01T12:00:00Z (env MOCKSERVER_NOW)")
    return parser


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MOCKSERVER_{name}", default)


def resolve(cls: type, args: argparse.Namespace, command: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each declared option's value: the flag, else its environment variable, else the config
    file's (seed, now), else the default. A bad variable is reported by its name.

    The config file's values are read whatever the command (``validate`` checks them without
    taking a --seed or --now of its own); a command's flags and variables override them."""
    values: dict[str, Any] = {
        name: _from_config(name, config[name]) for name, _, _ in options_of(cls) if config and name in config
    }
    for name, opt, default in options_of(cls):
        if command not in opt.commands:
            continue
        given = getattr(args, name, None)
        if given is not None:
            values[name] = opt.collect(given) if opt.repeat else given
            continue
        text = os.environ.get(opt.env)
        if text is not None:
            try:
                values[name] = (
                    opt.collect([opt.parse(item) for item in text.split(",") if item]) if opt.repeat else opt.parse(text)
                )
            except ValueError as exc:
                raise ConfigError(f"{opt.env}: {exc}") from None
    return values


def _from_config(name: str, value: Any) -> Any:
    if name == "now":
        # YAML reads an unquoted timestamp as a datetime; its ISO form is the RFC 3339 text.
        return clock(value.isoformat() if isinstance(value, datetime) else str(value), "config now")
    if name == "seed" and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        raise ConfigError(f"the seed must be a whole number >= 0, got {value!r}")
    return value


def settings_from(args: argparse.Namespace) -> Settings:
    config_path = getattr(args, "config", None) or (_env("CONFIG") if args.command in CHECKED else None)
    config = _read_config(Path(config_path)) if config_path else {}
    return Settings(
        **resolve(Settings, args, args.command, config),
        faults=tuple(config.get("faults", ())),
        sessions=dict(config.get("sessions", {})),
        world=dict(config.get("world") or {}),
        stateless={vendor: tuple(ids) for vendor, ids in (config.get("stateless") or {}).items()},
    )


def _read_config(path: Path) -> dict[str, Any]:
    """The --config file: seed, now, faults (control-plane rules), sessions (id -> seed, now, world),
    world (the user's entities per vendor, checked against the vendors' profiles in app.py) and
    stateless (vendor -> operation ids whose writes do not stick, checked against the specs in app.py)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must be a mapping")
    unknown = set(data) - {"seed", "now", "faults", "sessions", "world", "stateless"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}; allowed: seed, now, faults, sessions, world, stateless")
    stateless = data.get("stateless") or {}
    if not isinstance(stateless, dict) or not all(
        isinstance(ids, list) and all(isinstance(i, str) for i in ids) for ids in stateless.values()
    ):
        raise ConfigError(f"{path}: 'stateless' maps a vendor to a list of operation ids, e.g. {{botpress: [createBot]}}")
    if not isinstance(data.get("faults", []), list) or not isinstance(data.get("sessions", {}), dict):
        raise ConfigError(f"{path}: 'faults' is a list of rules and 'sessions' maps session ids to {{seed, now, world}}")
    try:  # checked here too, so the error names the file (the app checks it again, for any caller)
        check_world(data.get("world"), world_schemas())
    except WorldError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return data


def _stale_recordings(app: Any) -> bool:
    """Print each recording (serve --record) past its expiry; whether there was any.

    A recording that no longer fits the spec already stopped ``validate`` with its file and
    violation (fixtures are checked as the app is built)."""
    now = datetime.now(timezone.utc)
    stale = False
    for vendor in app.vendors.values():
        for fixtures in vendor.fixtures.values():
            for fixture in fixtures:
                expires = fixture.recorded.get("expires")
                try:
                    expired = expires is not None and parse_instant(expires) <= now
                except ValueError:
                    expired = True
                if expired:
                    stale = True
                    print(
                        f"stale  {fixture.source}: recorded {fixture.recorded.get('at', '?')} from "
                        f"{fixture.recorded.get('upstream', '?')}, expired {expires}; record it again "
                        "(serve --upstream VENDOR=URL --record DIR)",
                        file=sys.stderr,
                    )
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "plot":
        return _plot(args)
    if args.command == "wait":
        return _wait(args.url, args.timeout, Path(args.url_file) if args.url_file else None)
    if args.command == "coverage":
        return _coverage(args)
    if args.command == "schemathesis-config":
        return _schemathesis_config(args.out)
    if args.command == "verify":
        return _verify(args)
    try:
        settings = settings_from(args)
        options = ServeOptions(**resolve(ServeOptions, args, args.command)) if args.command == "serve" else None
        from mockserver.app import create_app

        # routes and validate read the specs, fixtures and config: the store's URL is checked for its
        # form, but they do not connect to it (a Redis that is not up yet is no reason to fail).
        built = settings if args.command == "serve" else replace(settings, state="memory")
        app = create_app(built)  # load and check every spec before binding the port
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
            count = len(vendor.spec.operations)
            print(f"ok  {name}: {vendor.spec.source} ({count} operation{'' if count == 1 else 's'})")
        rules, sessions = len(app.state.rules()), len(app.state.sessions())
        print(
            f"ok  {fixtures} fixture{'' if fixtures == 1 else 's'}, {rules} fault rule{'' if rules == 1 else 's'}, "
            f"{sessions} session{'' if sessions == 1 else 's'}"
        )
        declared = [
            f"{vendor} {len(entities)} {kind}" for vendor, world in app.world.items() for kind, entities in world.section.items()
        ]
        if declared:
            print(f"ok  world: {', '.join(declared)}")
        return 1 if _stale_recordings(app) else 0
    if args.command == "routes":
        for name, vendor in app.vendors.items():
            for op in vendor.spec.operations:
                # A fifth column for the operations whose writes stick: their role and collection.
                kept = vendor.stateful.get(op.operation_id)
                tail = f"\tstateful: {kept[1]} {kept[0].path}" if kept else ""
                print(f"{name}\t{op.method}\t{op.path}\t{op.operation_id}{tail}")
        return 0
    from mockserver.serving import run

    try:
        run(settings, options, app)
    except ConfigError as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from mockserver.client import MockControl, MockControlError, MockServerUnreachable
    from mockserver.control.coverage import junit, markdown

    try:
        report = MockControl(args.url, session=args.session, admin_token=args.admin_token).coverage(args.vendor)
    except (MockControlError, MockServerUnreachable) as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    text = {"md": markdown, "junit": junit}.get(args.format, lambda r: json.dumps(r, indent=2) + "\n")(report)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.fail_under is not None and report["percent"] < args.fail_under:
        print(
            f"mockserver: coverage {report['percent']}% is under {args.fail_under:g}%; not covered: "
            + ", ".join(report["uncovered"]),
            file=sys.stderr,
        )
        return 1
    return 0


def _wait(url: str, timeout: float, url_file: Path | None = None) -> int:
    """Poll ``{url}/__mock/ready`` until it answers 200 (``url`` read from ``url_file`` when given).

    What waiting cannot fix fails at once: a URL that is not http(s)://host[:port], and a server
    that answers 404 (the URL has a path, such as a vendor's base URL: the control plane is at the
    root). A 503 (the state store is down), no answer at all and a URL file not written yet are
    waited out.
    """
    import time
    import urllib.error
    import urllib.parse
    import urllib.request

    deadline = time.monotonic() + timeout
    last = "no answer"
    while url_file is not None:
        try:
            url = url_file.read_text(encoding="utf-8").strip()
            break
        except OSError:
            last = f"{url_file} is not there yet (serve --ready-file writes it when the server starts)"
        if time.monotonic() >= deadline:
            print(f"mockserver: error: no server was ready after {timeout:g} s (last: {last})", file=sys.stderr)
            return 1
        time.sleep(0.2)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        where = f"{url_file} holds" if url_file else "--url must be the server's root URL, like http://127.0.0.1:8000; got"
        print(f"mockserver: error: {where} {url!r}", file=sys.stderr)
        return 2
    ready = url.rstrip("/") + "/__mock/ready"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(ready, timeout=2) as response:
                if response.status == 200:
                    print(f"ready: {url}")
                    return 0
                last = f"status {response.status}"
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                root = f"{parts.scheme}://{parts.netloc}"
                hint = f"; the control plane is at the server's root: --url {root}" if parts.path.strip("/") else ""
                print(f"mockserver: error: {ready} answered 404: no mock server's control plane there{hint}", file=sys.stderr)
                return 2
            last = f"status {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        time.sleep(0.2)
    print(f"mockserver: error: {ready} was not ready after {timeout:g} s (last: {last})", file=sys.stderr)
    return 1


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        # Not echoed: a header given without its name is most likely a bare credential.
        raise ValueError("-H takes 'Name: value', e.g. -H 'Authorization: Bearer ...'; one had no name")
    return name.strip(), value.strip()


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ValueError(f"--param takes NAME=VALUE, got {text[:60]!r}")
    return name, value


def _base_url(text: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("--upstream must be the vendor's base URL, like https://api.example.com (with its scheme)")
    return text


def _verify(args: argparse.Namespace) -> int:
    from mockserver.verify import Options, verify

    options = Options(
        vendor=args.vendor,
        upstream=args.upstream,
        headers=dict(args.headers),
        params=dict(args.params),
        operations=tuple(name for name in args.operations.split(",") if name),
        rate=args.rate,
        timeout=args.timeout,
        report=Path(args.report) if args.report else None,
        junit=Path(args.junit) if args.junit else None,
        overlay_out=Path(args.overlay_out) if args.overlay_out else None,
        spec=Path(args.spec) if args.spec else None,
    )
    try:
        return verify(options)
    except MockServerError as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2


def _schemathesis_config(out: str | None) -> int:
    """The settings that let schemathesis accept the refusals OpenAPI cannot state (rules between
    parameters), from any directory: its path, or a copy at ``out``."""
    from mockserver.resources import schemathesis_config

    source = schemathesis_config()
    if out is None:
        print(source)
        return 0
    try:
        Path(out).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as exc:
        print(f"mockserver: error: cannot write {out}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from mockserver.plot import VENDORS, render

    out = Path(args.out)
    if out.suffix.lower() == ".png":
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print(
                "mockserver: error: a PNG needs matplotlib: pip install matplotlib (in the environment mockserver "
                "runs in), or write HTML: --out world.html",
                file=sys.stderr,
            )
            return 2
    unknown = [v for v in args.vendor if v not in VENDORS]
    if unknown:
        print(f"mockserver: error: unknown vendor {unknown[0]!r}; plot draws: {', '.join(VENDORS)}", file=sys.stderr)
        return 2
    try:
        now = clock(args.now, "--now") if args.now else None
        world = _read_config(Path(args.config)).get("world") if args.config else None
    except ConfigError as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    print(render(out, args.vendor, seed=args.seed, now=now, world=world))
    return 0


if __name__ == "__main__":
    sys.exit(main())
