"""The image's health check, run as the container runs it: it follows the port the server listens on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LiveServer, free_port

DOCKERFILE = (Path(__file__).parent.parent / "Dockerfile").read_text()


def _env() -> dict[str, str]:
    line = next(line for line in DOCKERFILE.splitlines() if line.startswith("ENV MOCKSERVER_"))
    return dict(item.split("=", 1) for item in line.removeprefix("ENV ").split())


def _health_check() -> str:
    joined = DOCKERFILE.replace("\\\n", " ")
    return re.search(r"^HEALTHCHECK .*? CMD (.+)$", joined, flags=re.M).group(1)  # type: ignore[union-attr]


def test_the_health_check_follows_a_port_given_as_an_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _env()
    # The container's /tmp is this test's folder; its default port is one where nothing listens;
    # the server stays on loopback.
    env["MOCKSERVER_READY_FILE"] = env["MOCKSERVER_READY_FILE"].replace("/tmp/", f"{tmp_path}/")
    env["MOCKSERVER_PORT"], env["MOCKSERVER_HOST"] = str(free_port()), "127.0.0.1"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    check = _health_check().replace("/opt/mockserver/bin/", f"{Path(sys.executable).parent}/")
    server = LiveServer()  # `docker run IMAGE --port P`: start_server passes --port
    try:
        healthy = subprocess.run(["sh", "-c", check], capture_output=True, text=True, timeout=30)
        assert healthy.returncode == 0 and f"ready: {server.url}" in healthy.stdout, healthy.stderr
    finally:
        server.stop()
    assert not Path(env["MOCKSERVER_READY_FILE"]).exists()
    stopped = subprocess.run(["sh", "-c", check], capture_output=True, text=True, timeout=30)
    assert stopped.returncode == 1 and "is not there yet" in stopped.stderr
