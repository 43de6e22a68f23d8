"""The README's client examples work as written, against a real server."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.cases import CASES
from tests.conftest import LiveServer, send

README = (Path(__file__).parent.parent / "README.md").read_text()
DEFAULT_BASE = "http://127.0.0.1:8000"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_starts_with_the_two_commands() -> None:
    first = blocks("sh")[0].splitlines()
    assert first[0].startswith("make run") and first[1].startswith("make test")


def test_python_examples_run(open_server: LiveServer) -> None:
    client_example, control_example = blocks("python")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(control_example.replace(DEFAULT_BASE, open_server.url), "README.md", "exec"), {})
    assert output.getvalue().strip() == "[503, 503, 200]"
    code = client_example
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code.replace(DEFAULT_BASE, open_server.url), "README.md", "exec"), {})
    lines = output.getvalue().splitlines()
    assert lines[0].startswith("7 daily records;")
    assert lines[1] == "['CONVERSATION_COUNT', 'CONVERSATION_COUNT_INTERVAL', 'MESSAGE_COUNT']"
    assert lines[-1].startswith("400 InvalidQuery Invalid query parameter 'startDate'")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_examples_run(open_server: LiveServer) -> None:
    script = next(b for b in blocks("sh") if b.lstrip().startswith("curl"))
    script = script.replace(DEFAULT_BASE, open_server.url).replace("curl -s", "curl -sf")
    result = subprocess.run(["bash", "-ec", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('{"') >= 4


@pytest.mark.fuzz
def test_schemathesis_lines_pass_when_run_outside_the_repository(tmp_path: Path) -> None:
    """The README's `st` lines, copied into another project's folder where no schemathesis.toml is
    found by itself: bounded (a fixed seed, 30 fuzzed cases per operation), otherwise as written."""
    block = next(b for b in blocks("sh") if "\nst " in b)
    lines = [line for line in block.splitlines() if line.startswith("st ")]
    assert lines, block
    server = LiveServer("--token", "s3cret")
    bin_dir = str(Path(sys.executable).parent)  # where `st` and `mockserver` are installed
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    try:
        for line in lines:
            command = line.replace(DEFAULT_BASE, server.url) + " --phases fuzzing --max-examples 30 --seed 1"
            result = subprocess.run(["bash", "-ec", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
            assert result.returncode == 0, command + "\n" + result.stdout[-3000:] + result.stderr[-2000:]
    finally:
        server.stop()


def test_the_prefer_code_the_readme_shows_works_on_every_operation(client: TestClient) -> None:
    code = int(re.search(r"`Prefer`\*\* \(Prism's words\): `code=(\d+)`", README).group(1))  # type: ignore[union-attr]
    for case in CASES:
        response = send(client, case, headers={**case.headers, "Prefer": f"code={code}"})
        assert response.status_code == code, (case.vendor, case.operation_id, response.text)
