"""pytest plugin (installed with the package): a real mock server for the test session.

Fixtures:
- ``mockserver``: the running server (session scope). ``mockserver.base_url("botpress")`` is the
  URL to give a vendor client; ``mockserver.url`` the server root.
- ``mock_control``: a control-plane client bound to a fresh session for this test: its journal,
  fault rules, seed and clock are its own. Send ``mock_control.session_headers()`` with each
  request to the mock so the request belongs to the test.

At the end of the run the terminal report shows the contract coverage of the tests' requests
(``/__mock/coverage``: operations answered 2xx at least once, over those served), and
``--mockserver-coverage-fail-under PCT`` fails the run below PCT percent, listing what was missed.

Options: ``--mockserver-seed``, ``--mockserver-now`` (RFC 3339), ``--mockserver-url`` (use a
server that is already running instead of starting one), ``--mockserver-admin-token`` (for a
server started with ``--admin-token``). Seed and clock are set on each test's session too, so
they hold on a shared server. Under ``pytest -n auto`` each worker starts its own server, or all
share ``--mockserver-url`` and stay apart through their sessions.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.client import MockControl, merge_coverage


class RunningMockServer:
    def __init__(
        self, url: str, process: subprocess.Popen[bytes] | None = None, log: Path | None = None, admin_token: str | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.process = process
        self.log = log  # the server's output, when this plugin started it
        self.control = MockControl(self.url, admin_token=admin_token)

    def base_url(self, vendor: str) -> str:
        """Where a vendor is served, e.g. ``http://127.0.0.1:53211/botpress``."""
        return f"{self.url}/{vendor}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            if self.log is not None:
                self.log.unlink(missing_ok=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver")
    group.addoption("--mockserver-seed", type=int, default=0, help="seed of the mock's synthetic data (default 0)")
    group.addoption("--mockserver-now", default=None, help="fixed clock for the mock, e.g. 2025-06-01T12:00:00Z")
    group.addoption(
        "--mockserver-url",
        default=None,
        metavar="URL",
        help="use the mock server running at this root URL, e.g. http://127.0.0.1:8000, instead of starting one",
    )
    group.addoption(
        "--mockserver-coverage-fail-under",
        type=float,
        default=None,
        metavar="PCT",
        help="fail the run when fewer than PCT percent of the mock's operations were covered (answered 2xx at least once)",
    )
    group.addoption(
        "--mockserver-admin-token",
        default=os.environ.get("MOCKSERVER_ADMIN_TOKEN"),
        help="the control plane's token of a server started with --admin-token (env MOCKSERVER_ADMIN_TOKEN)",
    )


def start_server(seed: int | None = None, now: str | None = None, *extra: str, timeout: float = 30) -> RunningMockServer:
    """Start ``mockserver serve`` on a free port, with ``extra`` options, and wait until it is ready.

    The one way this project's tests and this plugin start a server. Its output goes to a file
    (``log``), not a pipe: a pipe nobody reads fills up and stalls the server. A server that exits
    at start (a bad option) raises ``RuntimeError`` with its output.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--log-level", "warning"]
    if seed is not None:
        args += ["--seed", str(seed)]
    if now:
        args += ["--now", now]
    fd, name = tempfile.mkstemp(prefix="mockserver-", suffix=".log")
    log = Path(name)
    with os.fdopen(fd, "wb") as out:
        process = subprocess.Popen(
            [*args, *extra], stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            log.unlink(missing_ok=True)
            raise RuntimeError(f"mockserver exited with {process.returncode}: {output[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/__mock/ready", timeout=1) as response:
                if response.status == 200:
                    return RunningMockServer(url, process, log)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"mockserver did not become ready within {timeout:g} s: {log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def mockserver(pytestconfig: pytest.Config) -> Iterator[RunningMockServer]:
    url = pytestconfig.getoption("mockserver_url")
    if url:
        problem = _unreachable(url)
        if problem:  # one line for the run, not a traceback per test
            pytest.exit(f"--mockserver-url {url}: {problem}", returncode=pytest.ExitCode.USAGE_ERROR)
        yield RunningMockServer(url, admin_token=pytestconfig.getoption("mockserver_admin_token"))
        return
    server = start_server(pytestconfig.getoption("mockserver_seed"), pytestconfig.getoption("mockserver_now"))
    yield server
    _collect_coverage(pytestconfig, server.control)  # the requests sent outside any test's session
    server.stop()


def _unreachable(url: str) -> str | None:
    """Why ``url`` is not a mock server's root that answers, or None when it is."""
    import urllib.error
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return (
            f"not a URL: give the mock server's root URL with its scheme, e.g. http://{url.split('://')[-1] or '127.0.0.1:8000'}"
        )

    try:
        with urllib.request.urlopen(url.rstrip("/") + "/__mock/health", timeout=5) as response:
            return None if response.status == 200 else f"its /__mock/health answered {response.status}"
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return "answered 404 for /__mock/health: give the mock server's root URL, not a vendor's"
        return f"its /__mock/health answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"no mock server answers there ({getattr(exc, 'reason', exc)}); start one, or leave the option out"


@pytest.fixture
def mock_control(mockserver: RunningMockServer, pytestconfig: pytest.Config) -> Iterator[MockControl]:
    """A control client on a fresh session with the run's seed and clock; reset after the test."""
    control = mockserver.control.for_session(f"test-{uuid.uuid4().hex[:12]}")
    control.configure_session(seed=pytestconfig.getoption("mockserver_seed"), now=pytestconfig.getoption("mockserver_now"))
    yield control
    _collect_coverage(pytestconfig, control)  # before the reset clears the session's journal
    control.reset()


_COVERAGE = pytest.StashKey[list]()


def _collect_coverage(config: pytest.Config, control: MockControl) -> None:
    try:
        config.stash.setdefault(_COVERAGE, []).append(control.coverage())
    except Exception:  # noqa: BLE001  # a server the test stopped or broke: its requests go uncounted
        pass


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    threshold = session.config.getoption("mockserver_coverage_fail_under")
    reports = session.config.stash.get(_COVERAGE, [])
    if threshold is not None and reports and merge_coverage(reports)["percent"] < threshold and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The contract coverage of the run: what the tests exercised of each vendor's API."""
    reports = config.stash.get(_COVERAGE, [])
    if not reports:
        return
    report = merge_coverage(reports)
    write = terminalreporter.write_line
    terminalreporter.section("mockserver contract coverage")
    write(f"{report['operations_covered']} of {report['operations_total']} operations covered ({report['percent']}%)")
    for vendor, found in report["vendors"].items():
        write(f"  {vendor}: {found['operations_covered']} of {found['operations_total']} ({found['percent']}%)")
    for typo in report["typos"]:
        guess = f"; did you mean '{typo['nearest']}'?" if typo["nearest"] else ""
        write(f"  undeclared query parameter '{typo['parameter']}' sent to {typo['vendor']} {typo['operationId']}{guess}")
    threshold = config.getoption("mockserver_coverage_fail_under")
    if threshold is not None and report["percent"] < threshold:
        write(f"coverage {report['percent']}% is under --mockserver-coverage-fail-under {threshold:g}; not covered:", red=True)
        for name in report["uncovered"]:
            write(f"  {name}", red=True)
