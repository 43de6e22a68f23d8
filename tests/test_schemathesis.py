"""schemathesis against a real server started as a user starts it, one run per vendor and one on
the control plane.

Bounded here (a few dozen cases per operation, all phases); ``make fuzz`` runs the long version and
``make fuzz-long`` the longest, whose summaries (``MOCKSERVER_FUZZ_RECORD``) tests/fuzz_report.py
writes to docs/fuzz-long.md.
The repository's schemathesis.toml says which operations may refuse valid-looking requests that
break a rule between parameters (see its comments); every check runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mockserver.profiles import discover_profiles
from tests.cases import TOKEN
from tests.conftest import LiveServer, app_for

# Every vendor the server serves, found as the server finds them: a new one is fuzzed too.
VENDORS = list(discover_profiles())
# `make fuzz-long` runs several seeds; the default run one.
SEEDS = [int(s) for s in os.environ.get("MOCKSERVER_FUZZ_SEEDS", "20251123").split(",")]


def credential_header(vendor: str) -> str:
    """The header the vendor's first security scheme reads, with the test token."""
    for scheme in app_for().vendors[vendor].spec.security_schemes.values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            return f"{scheme['name']}: {TOKEN}"
        if scheme.get("type") in ("http", "oauth2", "openIdConnect"):
            return f"Authorization: Bearer {TOKEN}"
    return f"Authorization: Bearer {TOKEN}"


# The repository's schemathesis settings, as a user running `st` in the repository gets them.
CONFIG = Path(__file__).parent.parent / "schemathesis.toml"


@pytest.mark.fuzz
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("vendor", VENDORS)
def test_schemathesis_all_checks_pass(live_server: LiveServer, vendor: str, seed: int, tmp_path: Path) -> None:
    header = credential_header(vendor)
    _schemathesis(vendor, f"{live_server.url}/{vendor}", f"{live_server.url}/{vendor}/openapi.json", seed, tmp_path, "-H", header)


@pytest.mark.fuzz
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("admin_token", [None, "s3cret-admin"], ids=["loopback", "admin-token"])
def test_schemathesis_passes_on_the_control_plane(seed: int, admin_token: str | None, tmp_path: Path) -> None:
    # A server of its own: the fuzzed fault rules and resets must not reach the vendor runs. With
    # --admin-token, the served document declares the token and the 401 of a request without it.
    server = LiveServer(*(("--admin-token", admin_token) if admin_token else ()))
    options = ("-H", f"Authorization: Bearer {admin_token}") if admin_token else ()
    try:
        _schemathesis("control plane", server.url, f"{server.url}/__mock/openapi.json", seed, tmp_path, *options)
    finally:
        server.stop()


# Botpress's full Admin API document (108 operations; see tests/data/README.md).
FULLER = Path(__file__).parent / "data" / "botpress-admin-api-1.70.2.json"


@pytest.mark.fuzz
@pytest.mark.parametrize("seed", SEEDS)
def test_schemathesis_passes_on_a_fuller_vendor_document(seed: int, tmp_path: Path) -> None:
    """A user serves the vendor's fuller document with --spec: every check and every phase, the
    stateful one included (create, read, update, delete and list, over the links schemathesis infers)."""
    # A fuzzer writes far more resources than a test does: room for all of them.
    server = LiveServer(
        "--spec", f"botpress={FULLER}", "--token", TOKEN, "--max-resources", "1000000", "--max-stored-resources", "1000000"
    )
    try:
        _schemathesis(
            "botpress (full Admin API)",
            f"{server.url}/botpress",
            f"{server.url}/botpress/openapi.json",
            seed,
            tmp_path,
            "-H",
            f"Authorization: Bearer {TOKEN}",
            "-H",
            "x-workspace-id: wkspace_1",
            examples=os.environ.get("MOCKSERVER_FUZZ_EXAMPLES", "10"),
            # The coverage phase alone takes most of a minute over 108 operations: make fuzz (which
            # sets MOCKSERVER_FUZZ_EXAMPLES) runs it, make test the other phases.
            phases="examples,coverage,fuzzing,stateful"
            if os.environ.get("MOCKSERVER_FUZZ_EXAMPLES")
            else "examples,fuzzing,stateful",
        )
    finally:
        server.stop()


def _schemathesis(
    name: str,
    base_url: str,
    spec_url: str,
    seed: int,
    folder: Path,
    *options: str,
    examples: str | None = None,
    phases: str = "examples,coverage,fuzzing,stateful",
) -> None:
    """``st run`` with every check and phase; with MOCKSERVER_FUZZ_RECORD set, its summary is kept there."""
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st, "schemathesis is not installed (pip install -e '.[test]')"
    examples = examples or os.environ.get("MOCKSERVER_FUZZ_EXAMPLES", "25")
    started = time.monotonic()
    result = subprocess.run(
        [
            st,
            "--config-file",
            str(CONFIG),
            "run",
            spec_url,
            "--url",
            base_url,
            "--checks",
            "all",
            *options,
            "-n",
            examples,
            "--seed",
            str(seed),
            "--phases",
            phases,
        ],
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=folder,
    )
    if record := os.environ.get("MOCKSERVER_FUZZ_RECORD"):
        with open(record, "a", encoding="utf-8") as out:
            out.write(
                json.dumps(
                    {
                        "vendor": name,
                        "seed": seed,
                        "examples": int(examples),
                        "exit": result.returncode,
                        "seconds": round(time.monotonic() - started, 1),
                        "summary": _summary(result.stdout),
                    }
                )
                + "\n"
            )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "failure" not in summary and "error" not in summary, result.stdout[-6000:]


def _summary(output: str) -> str:
    """schemathesis's closing summary (operations, phases, test cases, verdict), after the stateful
    phase's scenario and link counts, which the summary leaves out."""
    lines = output.strip().splitlines()
    stateful = [" ".join(line.split()) for line in lines if line.strip().startswith(("Scenarios:", "API Links:"))]
    starts = [i for i, line in enumerate(lines) if "SUMMARY" in line]
    closing = lines[starts[-1] + 1 :] if starts else lines[-30:]
    return "\n".join(([f"Stateful phase: {'; '.join(stateful)}", ""] if stateful else []) + closing).strip()
