"""Server settings, declared once.

Each field of ``Settings`` (what the app serves and how) and of ``ServeOptions`` (how the process
serves it) carries its ``Option``: the command-line flag, the ``MOCKSERVER_*`` variable, the help,
how a text is read, and which commands take it. The CLI is built from these declarations
(``cli.build_parser``), the defaults shown in its help are the fields' defaults, and
``settings_to_json``/``settings_from_json`` carry every field to worker processes.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mockserver.errors import ConfigError

APP = ("serve", "routes", "validate")  # commands that build the app (each takes the options it reads)
SERVE = ("serve",)
CHECKED = ("serve", "validate", "routes")  # commands that read fixtures and a config file


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    parse: Callable[[str], Any]  # one text (a flag's value, or an item of a variable's list) -> value
    commands: tuple[str, ...] = SERVE
    repeat: bool = False  # the flag may repeat; its variable is a comma-separated list
    collect: Callable[[list[Any]], Any] = tuple  # the repeated values -> the field's value
    metavar: str | None = None
    shown: str | None = None  # the default as help shows it, when str(default) would not do
    variable: str | None = None  # the environment variable, when not named after the flag

    @property
    def env(self) -> str:
        return self.variable or "MOCKSERVER_" + self.flag.removeprefix("--").upper().replace("-", "_")


def option(default: Any, flag: str, help: str, parse: Callable[[str], Any] = str, **more: Any) -> Any:
    """A dataclass field with its ``Option``; a list, dict or set default is copied per instance."""
    meta = {"option": Option(flag, help, parse, **more)}
    if isinstance(default, (dict, list, set)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


# --- readers: a text to a value, or ValueError saying what was expected ------------------------
def _bounded(kind: Callable[[str], Any], words: str, low: float, high: float) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise ValueError(f"expected {words}, got {text!r}") from None
        if not low <= value <= high:
            shown = [f"{bound:g}" if isinstance(bound, float) else str(bound) for bound in (low, high)]
            raise ValueError(f"expected {words} from {shown[0]} to {shown[1]}, got {text!r}")
        return value

    return read


def whole(low: int, high: int) -> Callable[[str], int]:
    return _bounded(int, "a whole number", low, high)


def number(low: float, high: float) -> Callable[[str], float]:
    return _bounded(float, "a number", low, high)


def one_of(*allowed: str) -> Callable[[str], str]:
    def read(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, got {text!r}")
        return text

    return read


def listed(text: str) -> tuple[str, ...]:
    """A comma-separated list; ``none`` (or nothing) is the empty one."""
    return () if text.strip() in ("", "none") else tuple(item.strip() for item in text.split(",") if item.strip())


def origins(text: str) -> tuple[str, ...]:
    """Browser origins as a browser sends them (scheme://host[:port], no path), * or none."""
    from urllib.parse import urlsplit

    items = listed(text)
    for item in items:
        if item == "*":
            continue
        try:
            parts = urlsplit(item)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or item != f"{parts.scheme}://{parts.netloc}"
        ):
            raise ValueError(
                f"expected origins like https://app.example or http://localhost:3000 (no path), * or none; got {item!r}"
            )
    return items


def networks(text: str) -> tuple[str, ...]:
    items = listed(text)
    for item in items:
        if item != "*":
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"expected addresses or networks (127.0.0.1, 10.0.0.0/8), * or none; got {item!r}") from None
    return items


def secret(text: str) -> str:
    """A token or secret: never empty (an empty admin token would let every client in)."""
    if not text.strip():
        raise ValueError("must not be empty; leave it unset for none")
    return text


def spec_override(text: str) -> tuple[str, Path]:
    vendor, sep, path = text.partition("=")
    if not sep or not vendor or not path:
        raise ValueError(f"expected VENDOR=PATH, got {text!r}")
    return vendor, Path(path)


def upstream(text: str) -> tuple[str, str]:
    vendor, sep, url = text.partition("=")
    if not sep or not vendor or not url:
        raise ValueError(f"expected VENDOR=URL, got {text!r}")
    if not url.startswith(("http://", "https://")) or len(url.split("/")[2]) == 0:
        raise ValueError(f"the upstream of {vendor} must be an http:// or https:// URL, got {url!r}")
    return vendor, url.rstrip("/")


def instant(text: str) -> datetime:
    from mockserver.timeutil import clock  # the clock's own rules (RFC 3339, years 1970 to 9000)

    try:
        return clock(text, "the time")
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix("the time ")) from None


def state_url(text: str) -> str:
    from mockserver.state import check_state_url

    try:
        check_state_url(text)
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix("--state ")) from None
    return text


@dataclass(frozen=True)
class Settings:
    """What one mock server instance serves and how.

    ``vendors`` empty means every known vendor, each mounted under ``/<vendor>``. ``root_vendor``
    serves one vendor at ``/`` instead, for clients whose base URL cannot carry a path.
    """

    vendors: tuple[str, ...] = ()
    root_vendor: str | None = option(
        None, "--vendor", "serve only this vendor, at the root", commands=APP, shown="every vendor, each under /<vendor>"
    )
    seed: int = option(0, "--seed", "seed of all synthetic data (or the config's)", whole(0, 2**63 - 1))
    # Accepted credentials. Empty: any non-empty credential of the vendor's scheme is accepted.
    tokens: frozenset[str] = option(
        frozenset(),
        "--token",
        "accept only this credential; repeatable. Default: any non-empty credential",
        secret,
        repeat=True,
        collect=frozenset,
        shown="any",
        variable="MOCKSERVER_TOKENS",
    )
    # vendor -> OpenAPI file replacing the bundled one (see specs/README.md for its overlay).
    spec_overrides: dict[str, Path] = option(
        {},
        "--spec",
        "serve VENDOR from this OpenAPI 3.0/3.1 file instead of the bundled one; repeatable",
        spec_override,
        repeat=True,
        collect=dict,
        metavar="VENDOR=PATH",
        shown="the bundled specs",
        commands=APP,
        variable="MOCKSERVER_SPECS",
    )
    # Vendors answered by the real vendor through the mock, which checks both sides (proxy.py).
    upstreams: dict[str, str] = option(
        {},
        "--upstream",
        "send VENDOR's requests to the real vendor at URL and answer with its response, checking "
        "request and response against the spec (verdicts in the journal); repeatable",
        upstream,
        repeat=True,
        collect=dict,
        metavar="VENDOR=URL",
        shown="none: every vendor mocked",
        commands=SERVE,
        variable="MOCKSERVER_UPSTREAMS",
    )
    upstream_timeout: float = option(
        30.0,
        "--upstream-timeout",
        "seconds an upstream may take to answer; then the client gets a 502 naming it",
        number(0.01, 3600),
        commands=SERVE,
    )
    record_dir: Path | None = option(
        None,
        "--record",
        "keep each upstream exchange as a fixture in this folder (credentials redacted), to replay with --fixtures",
        Path,
        metavar="DIR",
        commands=SERVE,
    )
    redact: tuple[str, ...] = option(
        (),
        "--redact",
        "also redact this response header, or this JSON path of response bodies ($.user.email, $.items[*].token), "
        "in recordings; repeatable",
        str,
        repeat=True,
        metavar="HEADER|JSONPATH",
        commands=SERVE,
    )
    record_ttl: float = option(
        30.0,
        "--record-ttl",
        "days a recording stays fresh; mockserver validate flags older ones",
        number(0.001, 36500),
        commands=SERVE,
    )
    # Fixed "now" for relative periods; None follows the real clock.
    now: datetime | None = option(
        None,
        "--now",
        "fixed current time for relative periods, e.g. 2025-06-01T12:00:00Z (or the config's)",
        instant,
        shown="the real clock",
    )
    max_body_bytes: int = option(1_048_576, "--max-body-bytes", "largest request body; larger is answered 413", whole(0, 2**31))
    # Seconds from creating an export or report to its final state (a Prefer header overrides).
    job_duration: float = option(3.0, "--job-duration", "seconds an export or report takes to finish", number(0, 86400))
    state: str = option(
        "memory",
        "--state",
        "where jobs, journal, fault rules and sessions live: memory (--workers N "
        "shares a temporary SQLite file), sqlite:///path/state.db, or redis://host:port/db to let "
        "several servers act as one",
        state_url,
        metavar="URL",
    )
    max_jobs: int = option(10_000, "--max-jobs", "jobs kept per vendor and kind, the oldest go first", whole(1, 10**7))
    fixture_dirs: tuple[Path, ...] = option(
        (),
        "--fixtures",
        "also load the fixtures in DIR (YAML or JSON); repeatable",
        Path,
        repeat=True,
        metavar="DIR",
        shown="none",
        commands=CHECKED,
    )
    journal_size: int = option(1000, "--journal-size", "requests the journal keeps", whole(1, 10_000_000))
    cache_bytes: int = option(
        16 * 1_048_576,
        "--cache-bytes",
        "bytes of finished answers each worker keeps to answer a repeated request at once, keys and "
        "headers counted; 0 keeps none",
        whole(0, 2**40),
    )
    # Fault rules and sessions installed at start-up (--config), in the control plane's JSON shape.
    faults: tuple[dict[str, Any], ...] = ()
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The user's own entities per vendor (--config's ``world``), checked when the app is built (world.py).
    world: dict[str, Any] = field(default_factory=dict)
    # Operations whose writes do not stick (--config's ``stateless``: vendor -> operation ids).
    stateless: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Token the control plane (/__mock) requires; None: it answers loopback clients only.
    admin_token: str | None = option(
        None,
        "--admin-token",
        "token the /__mock control plane requires; without it only loopback clients may use it",
        secret,
        shown="none",
    )
    # Origins browsers may call the vendor APIs from: ("*",) any (without credentials); () none.
    cors_origins: tuple[str, ...] = option(
        ("*",),
        "--cors-origins",
        "origins browsers may call the vendor APIs from, comma-separated; * for any, none to turn CORS off",
        origins,
        metavar="LIST",
        shown="*",
    )
    # Seconds a download link works after its job finished.
    download_ttl: int = option(
        900, "--download-ttl", "seconds a job's download link works after the job finished", whole(1, 10**9)
    )
    # Shared secret the link-signing key is derived from; None: the key lives in the state store.
    secret: str | None = option(
        None,
        "--secret",
        "shared secret the download-link key is derived from, so that servers agree on links whatever happens to their store",
        secret,
        shown="a key kept in the state store",
    )
    # Host names (besides loopback names and the bound address) the control plane answers to;
    # "*" any. Checked only while the loopback rule guards it (no admin token): DNS rebinding.
    allowed_hosts: tuple[str, ...] = option(
        (),
        "--allowed-hosts",
        "host names the control plane answers to besides "
        "localhost, loopback addresses and the bound address, comma-separated; * for "
        "any",
        listed,
        metavar="LIST",
        shown="none",
    )
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's convention).
    forwarded_allow_ips: tuple[str, ...] = option(
        ("127.0.0.1", "::1"),
        "--forwarded-allow-ips",
        "proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed: addresses or "
        "networks, comma-separated, * for any, none for no proxy",
        networks,
        metavar="LIST",
        shown="127.0.0.1,::1",
    )
    # Limits on what one client may send or hold (README, Security).
    max_query_bytes: int = option(16_384, "--max-query-bytes", "longest query string; longer is answered 414", whole(64, 2**30))
    max_head_bytes: int = option(
        65_536,
        "--max-head-bytes",
        "largest request line plus headers; larger is answered 431",
        whole(1024, 2**30),
    )
    head_timeout: float = option(
        10.0,
        "--head-timeout",
        "seconds a request's head may take to arrive, then 408 and the connection closes",
        number(0.01, 3600),
    )
    body_timeout: float = option(
        30.0,
        "--body-timeout",
        "seconds a request's body may take to arrive after its head, then 408 and the connection closes",
        number(0.01, 3600),
    )
    max_connections: int = option(
        1000,
        "--max-connections",
        "open connections per worker; one more is answered 503 and closed (lowered to fit the open-files limit)",
        whole(1, 10**6),
    )
    journal_entry_bytes: int = option(
        65_536,
        "--journal-entry-bytes",
        "what the journal keeps of one request; longer values are cut with a '…[cut N bytes]' marker",
        whole(1024, 2**30),
    )
    journal_bytes: int = option(
        64 * 1_048_576, "--journal-bytes", "bytes the journal keeps in all, the oldest entries go first", whole(1024, 2**40)
    )
    max_resources: int = option(
        1000,
        "--max-resources",
        "resources a session (or the requests outside sessions) may write and keep with POST, PUT, PATCH "
        "and DELETE; one more is refused in the vendor's error body (507, or the vendor's own quota error)",
        whole(1, 10**7),
    )
    max_stored_resources: int = option(
        100_000,
        "--max-stored-resources",
        "written resources all sessions together may keep; one more is refused as past --max-resources",
        whole(1, 10**8),
    )
    state_timeout: float = option(
        0.25,
        "--state-timeout",
        "seconds one call to the state store may take; then requests get a 503 naming the store until it answers again",
        number(0.001, 60),
    )

    def __post_init__(self) -> None:
        if self.journal_entry_bytes > self.journal_bytes:
            raise ConfigError(
                f"--journal-entry-bytes ({self.journal_entry_bytes}) is more than --journal-bytes "
                f"({self.journal_bytes}), which would keep no entry whole; lower the first or raise the second"
            )


LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
# Which event loop serves; see cli.event_loop.
LOOPS = ("auto", "asyncio", "uvloop")


@dataclass(frozen=True)
class ServeOptions:
    """How ``mockserver serve`` runs the app: the process's own options, beside ``Settings``."""

    host: str = option("127.0.0.1", "--host", "address to bind")
    port: int = option(8000, "--port", "port", whole(1, 65535))
    workers: int = option(1, "--workers", "worker processes; they share one state", whole(1, 256))
    log_level: str = option("info", "--log-level", ", ".join(LOG_LEVELS), one_of(*LOG_LEVELS))
    log_format: str = option("text", "--log-format", "one line per request: text or json", one_of("text", "json"))
    ready_file: Path | None = option(
        None,
        "--ready-file",
        "write the root URL the server answers at to FILE when it starts, and remove it when it stops "
        "(a health check then runs: mockserver wait --url-file FILE)",
        Path,
        metavar="FILE",
        shown="none",
    )
    loop: str = option(
        "auto",
        "--loop",
        "event loop: asyncio (fair to a burst of new connections while busy; under --workers N each worker "
        "gets a listening queue of its own), uvloop (one queue shared by the workers), or auto: asyncio",
        one_of(*LOOPS),
    )


def options_of(cls: type) -> list[tuple[str, Option, Any]]:
    """(field name, its Option, its default) for every declared option of ``cls``."""
    found = []
    for f in fields(cls):
        if "option" in f.metadata:
            default = f.default_factory() if callable(f.default_factory) else f.default
            found.append((f.name, f.metadata["option"], default))
    return found


def settings_to_json(settings: Settings) -> str:
    """Serialise settings for worker processes (``--workers``), which rebuild them with ``settings_from_json``."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, (datetime, date)):  # a config's YAML dates, too
            return value.isoformat()
        if isinstance(value, (tuple, list, frozenset, set)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return json.dumps({f.name: plain(getattr(settings, f.name)) for f in fields(Settings)})


def settings_from_json(text: str) -> Settings:
    """The inverse of ``settings_to_json``: each field back to the type its default has."""
    raw = json.loads(text)
    values: dict[str, Any] = {}
    for f in fields(Settings):
        value = raw[f.name]
        if f.name == "spec_overrides":
            value = {vendor: Path(path) for vendor, path in value.items()}
        elif f.name == "fixture_dirs":
            value = tuple(Path(p) for p in value)
        elif f.name == "now":
            value = datetime.fromisoformat(value) if value else None
        elif f.name == "tokens":
            value = frozenset(value)
        elif f.name == "record_dir":
            value = Path(value) if value else None
        elif f.name == "stateless":
            value = {vendor: tuple(ids) for vendor, ids in value.items()}
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return Settings(**values)
