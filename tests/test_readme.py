"""The README's client examples work as written, against a real server."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import LiveServer

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
