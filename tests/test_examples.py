"""The examples in examples/ run against a live server, the official Botpress JavaScript client included."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import LiveServer

BOTPRESS_JS = Path(__file__).parent.parent / "examples" / "botpress-js"


@pytest.mark.network  # npm install of the official client
@pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None, reason="Node.js and npm are not installed")
def test_the_official_botpress_client_reads_analytics_and_typed_errors(open_server: LiveServer) -> None:
    install = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock"],
        cwd=BOTPRESS_JS,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    result = subprocess.run(
        ["node", "analytics.mjs"],
        cwd=BOTPRESS_JS,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MOCK_URL": open_server.url},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("records=7 sessions=")
    assert lines[1] == "error=InvalidQuery code=400"
