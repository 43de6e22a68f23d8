"""docs/ci.md's recipes, run as written in a project laid out as they assume: the mock's checkout
in ./mockserver, the user's contract tests in tests/contract."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import free_port

ROOT = Path(__file__).parent.parent
RECIPES = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "ci.md").read_text(), flags=re.S)]

pytestmark = pytest.mark.slow

# A user's contract test: its client reads the vendor's URL and token from the job's environment.
CONTRACT_TEST = """
import os

import httpx


def test_botpress_daily_analytics(mockserver, mock_control):
    base = os.environ.get("BOTPRESS_API_URL", mockserver.base_url("botpress"))
    headers = {"Authorization": "Bearer " + os.environ.get("BOTPRESS_TOKEN", "any"), "x-workspace-id": "w"}
    response = httpx.get(
        base + "/v1/admin/bots/bot_1/analytics",
        params={"startDate": "2025-05-01", "endDate": "2025-05-07"},
        headers={**headers, **mock_control.session_headers()},
    )
    assert response.status_code == 200 and len(response.json()["records"]) == 7
    assert mock_control.count(vendor="botpress") == 1
    assert mockserver.url == os.environ["RECIPE_MOCK_URL"]  # the server the recipe started, not a second one
"""


def _steps() -> list[tuple[str, list[str]]]:
    """(recipe, its shell lines in order) for every recipe that starts the mock itself."""
    found = []
    for recipe in RECIPES:
        for name, job in recipe.items():
            if name == "jobs":  # GitHub Actions
                for job_name, steps in job.items():
                    lines = []
                    for step in steps["steps"]:
                        lines += [f"export {key}={value}" for key, value in (step.get("env") or {}).items()]
                        lines += str(step.get("run", "")).splitlines()
                    found.append((f"GitHub {job_name}", lines))
            elif "services" not in job:  # GitLab CI; a service image is not built here
                found.append((f"GitLab {name}", [str(line) for line in job["script"]]))
    return found


@pytest.mark.parametrize(("recipe", "lines"), _steps(), ids=[name for name, _ in _steps()])
def test_a_recipe_that_starts_the_mock_runs_as_written(recipe: str, lines: list[str], tmp_path: Path) -> None:
    installs = " ".join(line for line in lines if line.lstrip().startswith("pip install"))
    assert "./mockserver" in installs and "pytest" in installs, f"{recipe} must install the mock and pytest: {installs}"
    (tmp_path / "mockserver").symlink_to(ROOT)
    (tmp_path / "tests" / "contract").mkdir(parents=True)
    (tmp_path / "tests" / "contract" / "test_client.py").write_text(CONTRACT_TEST)
    port = str(free_port())
    # Installed already (this environment is the job's); the recipe's port is a free one here.
    script = "\n".join(line.replace(":8000", f":{port}") for line in lines if not line.lstrip().startswith("pip install"))
    script = script.replace("mockserver serve", f"mockserver serve --port {port}").replace("\\\n", " ")
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "RECIPE_MOCK_URL": f"http://127.0.0.1:{port}",
    }
    job = subprocess.Popen(
        ["bash", "-ec", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = job.communicate(timeout=240)
    finally:
        os.killpg(job.pid, signal.SIGTERM)  # the mock the recipe left in the background
    assert job.returncode == 0, output[-4000:]
    assert re.search(r"\d+ passed", output) and "failed" not in output, output[-4000:]
