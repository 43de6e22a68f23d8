"""pytest plugin (installed with the package): a real mock server for the test session.

Fixtures:
- ``mockserver``: the running server (session scope). ``mockserver.base_url("botpress")`` is the
  URL to give a vendor client; ``mockserver.url`` the server root.
- ``mock_control``: a control-plane client bound to a fresh session for this test: its journal,
  fault rules, seed and clock are its own. Send ``mock_control.session_headers()`` with each
  request to the mock so the request belongs to the test.

Options: ``--mockserver-seed``, ``--mockserver-now`` (RFC 3339), ``--mockserver-url`` (use a
server that is already running instead of starting one). Under ``pytest -n auto`` each worker
starts its own server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from mockserver.client import MockControl


class RunningMockServer:
    def __init__(self, url: str, process: subprocess.Popen[bytes] | None = None) -> None:
        self.url = url.rstrip("/")
        self.process = process
        self.control = MockControl(self.url)

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


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver")
    group.addoption("--mockserver-seed", type=int, default=0, help="seed of the mock's synthetic data (default 0)")
    group.addoption("--mockserver-now", default=None, help="fixed clock for the mock, e.g. 2025-06-01T12:00:00Z")
    group.addoption("--mockserver-url", default=None, help="use this running mock server instead of starting one")


def start_server(seed: int = 0, now: str | None = None, *extra: str) -> RunningMockServer:
    """Start ``mockserver serve`` on a free port and wait until it is ready."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--seed", str(seed), "--log-level", "warning"]
    if now:
        args += ["--now", now]
    process = subprocess.Popen([*args, *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"mockserver exited with {process.returncode}: {output}")
        try:
            with urllib.request.urlopen(f"{url}/__mock/ready", timeout=1) as response:
                if response.status == 200:
                    return RunningMockServer(url, process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("mockserver did not become ready within 30 s")


@pytest.fixture(scope="session")
def mockserver(pytestconfig: pytest.Config) -> Iterator[RunningMockServer]:
    url = pytestconfig.getoption("mockserver_url")
    if url:
        yield RunningMockServer(url)
        return
    server = start_server(pytestconfig.getoption("mockserver_seed"), pytestconfig.getoption("mockserver_now"))
    yield server
    server.stop()


@pytest.fixture
def mock_control(mockserver: RunningMockServer) -> Iterator[MockControl]:
    control = mockserver.control.for_session(f"test-{uuid.uuid4().hex[:12]}")
    yield control
    control.reset()
