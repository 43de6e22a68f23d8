"""Serving the app with uvicorn: ``run(settings, options)``, the Python API ``mockserver serve`` calls.

One worker serves the app in this process. ``--workers N`` runs N processes that rebuild the
settings from their environment (``app_from_env``), share one state store, and die with their
supervisor.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from mockserver.errors import ConfigError
from mockserver.logs import configure as configure_logs
from mockserver.settings import ServeOptions, Settings, settings_from_json, settings_to_json
from mockserver.transport import GuardedHTTP
from mockserver.transport import configure as configure_protocol

if TYPE_CHECKING:
    from mockserver.app import MockServer

_SETTINGS_ENV = "MOCKSERVER_SETTINGS_JSON"
# Set for worker processes: whom they must not outlive, and the temporary state they then remove.
_SUPERVISOR_ENV, _TEMP_STATE_ENV = "MOCKSERVER_SUPERVISOR_PID", "MOCKSERVER_TEMP_STATE"

# Which event loop serves. uvloop (libuv) accepts one new connection per turn of the loop: on one
# busy worker the last of 50 connections opened at once waits some 50 turns (0.7 s) for its first
# answer (spread p99 about 240 ms against 75 ms on asyncio's loop, same throughput). asyncio accepts
# every waiting connection at once, which is fair within one process; with several workers on one
# socket it would hand a burst nearly all to one worker, so several workers each listen on a queue
# of their own (transport.OwnQueueLoop: asyncio's loop, SO_REUSEPORT). "auto" and "asyncio" take
# asyncio either way; "uvloop" serves from the one shared socket.
DEFAULT_LOOP = "auto"
OWN_QUEUE_LOOP = "mockserver.transport:OwnQueueLoop"


def event_loop(choice: str, workers: int) -> str:
    """The loop uvicorn runs for ``--loop choice`` (settings.LOOPS)."""
    if choice == "uvloop":
        return choice
    return OWN_QUEUE_LOOP if workers > 1 else "asyncio"


def freeze_startup() -> None:
    """Leave what start-up made (specs, compiled validators, fixtures) out of later garbage collections.

    They are some 50,000 of the 80,000 objects the collector tracks in a worker serving the spread
    workload, and every full collection visited them all: gen2 pauses of 21-97 ms (259 ms once) every
    few seconds, each holding up every request of its worker. Frozen, a full collection visits about
    28,000 objects and took 11-60 ms. Start-up's own garbage is collected first, not frozen with it.
    """
    gc.collect()
    gc.freeze()


def run(settings: Settings, options: ServeOptions | None = None, app: MockServer | None = None) -> None:
    """Serve ``settings`` until SIGTERM or Ctrl-C (status 0 once drained). ``app``: one already built
    from these settings (the CLI builds it first, to check every spec before binding the port)."""
    options = options or ServeOptions()
    loop = event_loop(options.loop, options.workers)
    if loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        raise ConfigError(
            "--loop uvloop needs the uvloop package (pip install uvloop; it has no Windows build); or use --loop asyncio."
        )
    _check_port(options.host, options.port)
    if options.ready_file is not None:
        _write_ready_file(options.ready_file, _local_url(options.host, options.port))
    try:
        _serve(settings, options, app, loop)
    finally:
        if options.ready_file is not None:
            options.ready_file.unlink(missing_ok=True)


def _serve(settings: Settings, options: ServeOptions, app: MockServer | None, loop: str) -> None:
    from mockserver.app import create_app

    log_config = configure_logs(options.log_format, options.log_level)
    os.environ["MOCKSERVER_LOG_FORMAT"], os.environ["MOCKSERVER_LOG_LEVEL"] = options.log_format, options.log_level
    settings = replace(settings, max_connections=_fit_connections(settings.max_connections))
    # The app reads forwarded headers itself (--forwarded-allow-ips), once, for the loopback rule
    # and the URLs it writes; uvicorn's own rewriting of the client address is off.
    served: dict[str, Any] = dict(
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        access_log=False,
        log_config=log_config,
        loop=loop,
        http=GuardedHTTP,
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )

    if options.workers > 1:
        # Workers share jobs, journal, fault rules, sessions and the link key through the state
        # store: a temporary SQLite file unless --state names one.
        with tempfile.TemporaryDirectory(prefix="mockserver-") as folder:
            if settings.state == "memory":
                settings = replace(settings, state=f"sqlite:///{Path(folder) / 'state.db'}")
                os.environ[_TEMP_STATE_ENV] = folder
            if app is not None:
                app.state.close()  # the workers open their own
            os.environ[_SETTINGS_ENV] = settings_to_json(settings)
            os.environ[_SUPERVISOR_ENV] = str(os.getpid())
            uvicorn.run("mockserver.serving:app_from_env", factory=True, workers=options.workers, **served)
    else:
        configure_protocol(settings.max_head_bytes, settings.head_timeout, settings.body_timeout, settings.max_connections)
        # uvicorn drains in-flight requests on SIGTERM or Ctrl-C, then raises the signal again
        # under the handlers it found. Finding these, a drained stop ends with status 0, as it
        # does with --workers N, so `kill $pid; wait $pid` in a CI script succeeds.
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, _stopped)
        app = app if app is not None else create_app(settings)
        freeze_startup()
        uvicorn.run(app, **served)


def _local_url(host: str, port: int) -> str:
    """The root URL a client on this machine reaches the server at (a wildcard address is loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _write_ready_file(path: Path, url: str) -> None:
    """``url`` into ``path`` whole or not at all (a health check may read it at any moment)."""
    try:
        partial = path.with_name(path.name + ".partial")
        partial.write_text(url + "\n", encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        raise ConfigError(f"--ready-file {path}: cannot write it ({exc.strerror}); choose a writable place") from None


def _check_port(host: str, port: int) -> None:
    """Fail before start-up, with what to do, where uvicorn would log Errno 98 after "startup complete"."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host!r} is no address to listen on: {exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port} ({exc.strerror}): another server, perhaps a mockserver, "
                "uses the port; stop it, or choose another with --port"
            ) from None


def app_from_env() -> Any:
    """uvicorn factory for worker processes: rebuilds the settings the parent process parsed."""
    from mockserver.app import create_app

    configure_logs(os.environ.get("MOCKSERVER_LOG_FORMAT", "text"), os.environ.get("MOCKSERVER_LOG_LEVEL", "info"))  # per worker
    settings = settings_from_json(os.environ[_SETTINGS_ENV])
    configure_protocol(settings.max_head_bytes, settings.head_timeout, settings.body_timeout, settings.max_connections)
    app = create_app(settings)
    if os.environ.get(_SUPERVISOR_ENV):
        _die_with(int(os.environ[_SUPERVISOR_ENV]), os.environ.get(_TEMP_STATE_ENV), app.on_shutdown)
    freeze_startup()
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


def _fit_connections(wanted: int) -> int:
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


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)
