"""The pytest plugin as a user meets it: the example tests run in a separate pytest process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LiveServer

# Each test runs pytest in a new process: `make test` runs them, `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).parent.parent / "examples"


def run_pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=EXAMPLES,
    )


def test_the_example_tests_pass_with_the_plugin() -> None:
    result = run_pytest("--mockserver-now", "2025-06-01T12:00:00Z", str(EXAMPLES / "test_vendor_clients.py"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
    # The run ends with what the tests exercised of each vendor's API.
    summary = result.stdout.split("mockserver contract coverage")[1]
    assert re.search(r"\d+ of 28 operations covered \(\d+(\.\d)?%\)", summary), summary
    assert "  botpress: 1 of 1 (100.0%)" in summary


def test_coverage_under_the_threshold_fails_the_run_and_names_what_was_missed() -> None:
    result = run_pytest(
        "--mockserver-now",
        "2025-06-01T12:00:00Z",
        "--mockserver-coverage-fail-under",
        "100",
        str(EXAMPLES / "test_vendor_clients.py"),
    )
    assert result.returncode == 1 and "5 passed" in result.stdout, result.stdout + result.stderr
    assert "is under --mockserver-coverage-fail-under 100; not covered:" in result.stdout
    assert "  generalbots getRetention" in result.stdout


TYPO_TEST = """
import httpx

def test_a_misspelt_parameter(mockserver, mock_control):
    url = mockserver.base_url("generalbots") + "/api/v1/analytics/usage/daily"
    answer = httpx.get(url, params={"day": 7}, headers={"Authorization": "Bearer t", **mock_control.session_headers()})
    assert answer.status_code == 200  # the vendor ignores what it does not know; so does the mock
    (entry,) = mock_control.journal()
    assert entry["warnings"] == ["query parameter 'day' is not declared; did you mean 'days'?"]
    (typo,) = mock_control.coverage()["typos"]
    assert (typo["parameter"], typo["nearest"]) == ("day", "days")
"""


def test_a_typo_is_flagged_in_the_journal_the_coverage_and_the_summary(tmp_path: Path) -> None:
    test = tmp_path / "test_typo.py"
    test.write_text(TYPO_TEST)
    result = run_pytest(str(test))
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr
    assert "undeclared query parameter 'day' sent to generalbots getDailyUsage; did you mean 'days'?" in result.stdout


def test_sessions_keep_tests_apart(tmp_path: Path) -> None:
    test = tmp_path / "test_isolation.py"
    test.write_text(
        "import httpx\n"
        "def test_one(mockserver, mock_control):\n"
        "    mock_control.add_fault(vendor='chatbotcom', status=500)\n"
        "    r = httpx.get(mockserver.base_url('chatbotcom') + '/reports/conversations',\n"
        "                  headers={'Authorization': 'Bearer t', **mock_control.session_headers()})\n"
        "    assert r.status_code == 500 and mock_control.count() == 1\n"
        "def test_two(mockserver, mock_control):\n"
        "    r = httpx.get(mockserver.base_url('chatbotcom') + '/reports/conversations',\n"
        "                  headers={'Authorization': 'Bearer t', **mock_control.session_headers()})\n"
        "    assert r.status_code == 200 and mock_control.count() == 1\n"
    )
    result = run_pytest(str(test))
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout + result.stderr


WORLD_TESTS = """
import httpx, pytest

@pytest.mark.parametrize("channel", ["ch_shop", "ch_support"])
def test_each_test_declares_its_account(mockserver, mock_control, channel):
    before = mock_control.session_settings()
    mock_control.declare_world({"chatcaptain": {"chatbots": [{"id": "cb_1", "channels": [{"id": channel, "type": "web"}]}]}})
    after = mock_control.session_settings()
    assert (after["seed"], after["now"]) == (before["seed"], before["now"])  # kept: only the world changed
    url = mockserver.base_url("chatcaptain") + "/v1/chatbots/cb_1/statistics/channels"
    listed = httpx.get(url, headers={"x-chatcaptain-key": "k", **mock_control.session_headers()}).json()["data"]
    assert [c["id"] for c in listed] == [channel]
    assert mock_control.world("chatcaptain")["declared"][0]["channels"][0]["id"] == channel
"""


def test_a_test_declares_its_own_world(tmp_path: Path) -> None:
    test = tmp_path / "test_world.py"
    test.write_text(WORLD_TESTS)
    result = run_pytest("--mockserver-now", "2025-06-01T12:00:00Z", str(test))
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout + result.stderr


PARALLEL_TESTS = """
import httpx, pytest

@pytest.mark.parametrize("n", range(8))
def test_isolated(mockserver, mock_control, n):
    mock_control.add_fault(vendor="chatbotcom", status=500, times=n % 3 + 1)
    url = mockserver.base_url("chatbotcom") + "/reports/conversations"
    headers = {"Authorization": "Bearer t", **mock_control.session_headers()}
    statuses = [httpx.get(url, headers=headers).status_code for _ in range(4)]
    assert statuses == [500] * (n % 3 + 1) + [200] * (3 - n % 3)
    assert mock_control.count() == 4 and mock_control.count(status=500) == n % 3 + 1
    mock_control.clear_faults()  # this session's rules only: the other tests keep theirs
    assert mock_control.faults() == []
"""


def test_parallel_workers_each_with_a_server(tmp_path: Path) -> None:
    test = tmp_path / "test_parallel.py"
    test.write_text(PARALLEL_TESTS)
    result = run_pytest("-n", "2", str(test))
    assert result.returncode == 0 and "8 passed" in result.stdout, result.stdout + result.stderr


def test_parallel_workers_sharing_one_server_stay_apart(tmp_path: Path) -> None:
    test = tmp_path / "test_parallel.py"
    test.write_text(PARALLEL_TESTS)
    server = LiveServer("--seed", "5")
    try:
        result = run_pytest("-n", "2", "--mockserver-url", server.url, "--mockserver-seed", "5", str(test))
    finally:
        server.stop()
    assert result.returncode == 0 and "8 passed" in result.stdout, result.stdout + result.stderr


def test_plugin_options_are_listed_in_help() -> None:
    result = run_pytest("--help")
    for option in ("--mockserver-seed", "--mockserver-now", "--mockserver-url", "--mockserver-admin-token"):
        assert option in result.stdout
    assert "--mockserver-url=URL" in result.stdout and "e.g. http://127.0.0.1:8000" in " ".join(result.stdout.split())


def test_a_url_without_a_scheme_is_told_how_to_write_it() -> None:
    result = run_pytest("--mockserver-url", "127.0.0.1:8000", str(EXAMPLES / "test_vendor_clients.py"))
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert "--mockserver-url 127.0.0.1:8000: not a URL" in output and "e.g. http://127.0.0.1:8000" in output


def test_a_url_with_no_server_fails_the_run_once_with_what_to_do(tmp_path: Path) -> None:
    from tests.conftest import free_port

    nowhere = f"http://127.0.0.1:{free_port()}"
    result = run_pytest("--mockserver-url", nowhere, str(EXAMPLES / "test_vendor_clients.py"))
    output = result.stdout + result.stderr
    assert result.returncode == 4, output  # a usage error, not five test errors
    assert f"--mockserver-url {nowhere}: no mock server answers there" in output
    assert "Traceback" not in output and len(output.splitlines()) < 20, output
