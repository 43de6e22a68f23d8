"""`pip install .` builds a wheel that carries the specs, overlay and fixtures: install it in a fresh
virtual environment, start the server from another directory, and every vendor works."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cases import AUTH
from tests.conftest import free_port

ROOT = Path(__file__).parent.parent


@pytest.mark.network  # installs the wheel's dependencies from the package index
def test_the_wheel_serves_every_vendor_from_anywhere(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = dist.glob("mockserver-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True, timeout=600
    )
    assert install.returncode == 0, install.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "mockserver"), "serve", "--port", str(port), "--log-level", "warning"],
        cwd=elsewhere,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/__mock/ready").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        installed = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import mockserver.resources as r; print(r.specs_dir())"],
            capture_output=True,
            text=True,
            cwd=elsewhere,
        ).stdout
        assert str(venv) in installed and "_data" in installed  # not the source checkout
        config = subprocess.run(
            [str(venv / "bin" / "mockserver"), "schemathesis-config"], capture_output=True, text=True, cwd=elsewhere
        ).stdout.strip()
        assert str(venv) in config and Path(config).read_text() == (ROOT / "schemathesis.toml").read_text()
        checks = [
            (f"{url}/botpress/v1/admin/bots/b1/analytics?startDate=2025-01-01&endDate=2025-01-02", AUTH["botpress"]),
            (f"{url}/chatcaptain/v1/chatbots/c1/statistics/channels", AUTH["chatcaptain"]),
            (f"{url}/chatbotcom/reports/conversations", {**AUTH["chatbotcom"], "Prefer": "example=empty"}),
            (f"{url}/generalbots/api/v1/analytics/usage", AUTH["generalbots"]),
            (f"{url}/__mock/openapi.json", {}),
        ]
        for address, headers in checks:
            assert httpx.get(address, headers=headers).status_code == 200, address
        spec = httpx.get(f"{url}/botpress/openapi.json").json()
        assert "400" in spec["paths"]["/v1/admin/bots/{id}/analytics"]["get"]["responses"]  # the overlay is in the wheel
    finally:
        server.terminate()
        server.wait(10)
