"""``serve --workers N`` as a CI service runs it: one log line per request with no secret in it,
and no worker left behind when the supervisor is killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, free_port, until

# Several worker processes: `make test` runs these, `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

SECRET = "query-secret-0123456789"


def test_two_workers_log_one_line_per_request_and_no_secret() -> None:
    server = LiveServer("--workers", "2", "--log-level", "info")
    try:
        paths = [f"/generalbots/api/v1/analytics/usage?days={n}&api_key={SECRET}" for n in range(1, 9)]
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {SECRET}"}) as client:
            for path in paths:
                assert client.get(path).status_code == 200
        lines = lambda: [line for line in server.output().splitlines() if "/generalbots/" in line]  # noqa: E731
        until(lambda: len(lines()) >= len(paths))
        assert len(lines()) == len(paths), "\n".join(lines())
        assert SECRET not in server.output()
    finally:
        server.stop()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not status.exists() or "State:\tZ" not in status.read_text()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_workers_die_with_a_killed_supervisor_and_leave_no_temporary_state(tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--workers", "2", "--log-level", "warning"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )

    def ready() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/__mock/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        until(ready, 30)
        assert list(tmp_path.glob("mockserver-*")), "the workers share a temporary state directory"
        workers = [
            pid
            for pid in children(supervisor.pid)
            if "app_from_env" in Path(f"/proc/{pid}/cmdline").read_text()
            or "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_text()
        ]
        assert workers
        supervisor.kill()  # kill -9: the supervisor can clean nothing up
        supervisor.wait(10)
        until(lambda: not any(alive(pid) for pid in workers))
        with socket.socket() as sock:  # the port is free for the next server
            sock.bind(("127.0.0.1", port))
        until(lambda: not list(tmp_path.glob("mockserver-*")))
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        for pid in children(supervisor.pid):
            os.kill(pid, signal.SIGKILL)
        log.close()


def test_two_workers_each_take_new_connections_from_a_queue_of_their_own() -> None:
    import http.client

    from mockserver.serving import OWN_QUEUE_LOOP, event_loop

    assert event_loop("auto", 2) == OWN_QUEUE_LOOP and event_loop("asyncio", 2) == OWN_QUEUE_LOOP
    assert event_loop("auto", 1) == "asyncio" and event_loop("uvloop", 2) == "uvloop"
    server = LiveServer("--workers", "2", "--log-level", "info")
    try:
        # Ready means one worker answers; each listens only once its own start-up is complete.
        until(lambda: server.output().count("Application startup complete") >= 2)
        workers = []
        connections = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=10) for _ in range(40)]
        for connection in connections:  # opened before any is answered: a burst, as a test suite opens them
            connection.connect()
        for connection in connections:
            connection.request("GET", "/__mock/health")
            answer = connection.getresponse()
            answer.read()
            workers.append(answer.getheader("x-mock-worker"))
            connection.close()
        # The kernel spreads new connections over the two queues by hash: both get some (all 40 on
        # one worker would happen once in 2**39 runs).
        assert len(set(workers)) == 2, workers
    finally:
        server.stop()
