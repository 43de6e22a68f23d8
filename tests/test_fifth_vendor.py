"""A fifth vendor is one spec file and one small module, nothing else touched, tests included.

The project is copied to a temporary directory, a toy vendor is added to the copy (its spec in
specs/, its module in mockserver/profiles/), and the copy's own tests run there: the vendor must be
served, keep the pipeline's order, meet the server's limits and hostile input in its own error
body, and pass schemathesis, without a line of the tests naming it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
openapi: 3.1.0
info: {title: Toy Widgets API, version: 1.0.0}
paths:
  /v1/widgets/{widgetId}/stats:
    get:
      operationId: getWidgetStats
      security: [{toyKey: []}]
      parameters:
        - {name: widgetId, in: path, required: true, schema: {type: string, pattern: '^[a-z0-9_]{1,32}$'}}
        - {name: days, in: query, schema: {type: integer, minimum: 1, maximum: 90, default: 7}}
      responses:
        '200':
          description: Counts over the last days.
          content:
            application/json:
              schema:
                type: object
                additionalProperties: false
                required: [widgetId, views]
                properties:
                  widgetId: {type: string}
                  views: {type: integer, minimum: 0}
        '400': {$ref: '#/components/responses/Error'}
        '401': {$ref: '#/components/responses/Error'}
        '404': {$ref: '#/components/responses/Error'}
        '405': {$ref: '#/components/responses/Error'}
        '414': {$ref: '#/components/responses/Error'}
        '431': {$ref: '#/components/responses/Error'}
components:
  securitySchemes:
    toyKey: {type: apiKey, in: header, name: x-toy-key}
  responses:
    Error:
      description: The toy vendor's error.
      content:
        application/json:
          schema:
            type: object
            additionalProperties: false
            required: [code, detail]
            properties:
              code: {type: integer}
              detail: {type: string}
"""

MODULE = '''\
"""A toy vendor: only its error body differs from the defaults."""

from datetime import datetime
from typing import Any

from mockserver.errors import Problem
from mockserver.profiles.base import Profile


class ToyVendor(Profile):
    name = "toyvendor"
    title = "Toy Widgets API"
    spec_file = "toyvendor.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        return {"code": problem.status, "detail": problem.message}
'''


def test_a_fifth_vendor_is_served_fuzzed_and_hostile_tested_with_nothing_else_touched(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", ".venv", ".hypothesis", ".pytest_cache", "*.egg-info", "_data")
    for name in ("mockserver", "specs", "fixtures", "tests"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for name in ("pyproject.toml", "schemathesis.toml", "ARCHITECTURE.md", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    (copy / "specs" / "toyvendor.yaml").write_text(SPEC)
    (copy / "mockserver" / "profiles" / "toyvendor.py").write_text(MODULE)
    env = {**os.environ, "PYTHONPATH": str(copy), "MOCKSERVER_FUZZ_EXAMPLES": "10"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "-m",
            "fuzz or not fuzz",
            "-k",
            "toyvendor",
            "tests/test_pipeline.py",
            "tests/test_limits.py",
            "tests/test_hostile_input.py",
            "tests/test_masking.py",
            "tests/test_schemathesis.py",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    print(output[-3000:])  # kept in the test's report: which toy tests ran
    assert result.returncode == 0, output[-4000:]
    passed = int(re.search(r"(\d+) passed", output).group(1))  # type: ignore[union-attr]
    assert passed >= 12, output[-2000:]
    # And the whole server still starts with it, listing it beside the others.
    routes = subprocess.run(
        [sys.executable, "-m", "mockserver", "routes"], cwd=copy, env=env, capture_output=True, text=True, timeout=60
    )
    assert "toyvendor\tGET\t/v1/widgets/{widgetId}/stats\tgetWidgetStats" in routes.stdout, routes.stderr
