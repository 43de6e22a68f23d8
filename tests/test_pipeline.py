"""The pipeline's order is the README's: security first. A request with no credentials is a 401
whatever else is wrong with it, on every operation of every discovered vendor."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from mockserver.profiles import discover_profiles
from tests.conftest import HOST, app_for

STAGES = ["Route", "Faults", "Security", "Parameters", "ResponseControl", "Answering", "Respond"]


def secured_operations() -> list[tuple[str, str, str, str]]:
    app = app_for()
    found = []
    for name in discover_profiles():
        vendor = app.vendors[name]
        for op in vendor.spec.operations:
            if op.security and not vendor.pipeline.stages[op.operation_id][1].check.public:
                found.append((name, op.operation_id, op.method, re.sub(r"\{[^}]+\}", "abc", op.path)))
    return found


@pytest.mark.parametrize("vendor", list(discover_profiles()))
def test_every_operation_runs_the_stages_in_the_readme_order(vendor: str) -> None:
    service = app_for().vendors[vendor]
    for op in service.spec.operations:
        assert service.pipeline.order(op.operation_id) == STAGES


@pytest.mark.parametrize(("vendor", "operation_id", "method", "path"), secured_operations())
@pytest.mark.parametrize("also", ["a bad Prefer", "a query that is not UTF-8", "a bad parameter", "a bad body"])
def test_no_credentials_is_a_401_whatever_else_is_wrong(
    vendor: str, operation_id: str, method: str, path: str, also: str
) -> None:
    headers = {"Prefer": "code=abc, example=nope"} if also == "a bad Prefer" else {}
    query = {"a query that is not UTF-8": "?x=%ff%fe", "a bad parameter": "?days=-5&from=yesterday&limit=x"}.get(also, "")
    content = b"{not json" if also == "a bad body" else None
    with TestClient(app_for(), base_url=HOST) as client:
        answer = client.request(
            method, f"/{vendor}{path}{query}", headers={**headers, "content-type": "application/json"}, content=content
        )
    assert answer.status_code == 401, f"{operation_id}: {answer.status_code} {answer.text[:200]}"
