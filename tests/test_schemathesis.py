"""schemathesis against a real server started as a user starts it, one run per vendor.

Bounded here (a few dozen cases per operation, all phases); ``make fuzz`` runs the long version.
The repository's schemathesis.toml says which operations may refuse valid-looking requests that
break a rule between parameters (see its comments); every check runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cases import TOKEN
from tests.conftest import LiveServer

VENDORS = ["botpress", "chatcaptain", "chatbotcom", "generalbots"]
# `make fuzz-long` runs several seeds; the default run one.
SEEDS = [int(s) for s in os.environ.get("MOCKSERVER_FUZZ_SEEDS", "20251123").split(",")]
CREDENTIALS = {"chatcaptain": f"x-chatcaptain-key: {TOKEN}"}
# The repository's schemathesis settings, as a user running `st` in the repository gets them.
CONFIG = Path(__file__).parent.parent / "schemathesis.toml"


@pytest.mark.fuzz
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("vendor", VENDORS)
def test_schemathesis_all_checks_pass(live_server: LiveServer, vendor: str, seed: int, tmp_path: Path) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st, "schemathesis is not installed (pip install -e '.[test]')"
    header = CREDENTIALS.get(vendor, f"Authorization: Bearer {TOKEN}")
    examples = os.environ.get("MOCKSERVER_FUZZ_EXAMPLES", "25")
    result = subprocess.run(
        [st, "--config-file", str(CONFIG), "run", f"{live_server.url}/{vendor}/openapi.json", "--url", f"{live_server.url}/{vendor}",
         "--checks", "all", "-H", header, "-n", examples, "--seed", str(seed),
         "--phases", "examples,coverage,fuzzing,stateful"],
        capture_output=True, text=True, timeout=3600, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "failure" not in summary and "error" not in summary, result.stdout[-6000:]
