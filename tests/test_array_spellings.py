"""Every way a client spells a query parameter as a list is honoured or refused with a 400 naming it.

Query-string libraries disagree: OpenAPI's form style repeats the key (``source=a&source=b``), PHP,
Rails and Node's ``qs`` add brackets (``source[]=a``, ``source[0]=a``), others join with commas
(``source=a,b``). Each vendor's profile says which its stack reads (``array_spellings``); every
declared query parameter of every operation is sent in every spelling, and none is silently dropped.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.validation.request import BRACKETS, COMMA
from tests.cases import CASES, Case
from tests.conftest import app_for, resolve_path, resolve_query

# Valid values for declared query parameters that no case sends.
SAMPLES = {
    "chatbotcom": {
        "period": "last7days",
        "dimension": "day",
        "group": "source",
        "source": "slack",
        "storyId": "5b07ffafc2376e30306d9b16",
        "offset": "60",
        "from": "2025-03-01",
        "to": "2025-03-31",
    },
    "generalbots": {
        "days": "7",
        "period": "week",
        "group_by": "day",
        "bot_id": "0b9e7c1a-3f7e-4d2b-9a61-5d0c2f8e4b11",
        "user_id": "0b9e7c1a-3f7e-4d2b-9a61-5d0c2f8e4b11",
        "page": "1",
        "per_page": "5",
        "start_date": "2025-01-01",
        "end_date": "2025-01-31",
    },
}


def query_parameters(case: Case) -> list[Any]:
    operation = next(op for op in app_for().vendors[case.vendor].spec.operations if op.operation_id == case.operation_id)
    return [p for p in operation.parameters if p.location == "query"]


PAIRS = [(case, parameter) for case in CASES for parameter in query_parameters(case)]


def is_array(parameter: Any) -> bool:
    """A list sent as repeated keys (OpenAPI's form style, exploded): the bundled specs' lists."""
    return bool(parameter.explode and parameter.schema.get("type") == "array")


def send(client: TestClient, case: Case, pairs: list[tuple[str, str]]) -> Any:
    return client.request(
        case.method, f"/{case.vendor}{resolve_path(client, case, case.path)}", params=pairs, headers=case.headers
    )


def refused_naming(response: Any, name: str) -> bool:
    return response.status_code == 400 and f"'{name}" in response.text


@pytest.mark.parametrize(("case", "parameter"), PAIRS, ids=[f"{c.id}.{p.name}" for c, p in PAIRS])
def test_every_spelling_is_honoured_or_refused_naming_the_parameter(client: TestClient, case: Case, parameter: Any) -> None:
    name = parameter.name
    query = resolve_query(client, case, dict(case.query))
    value = str(query.pop(name, None) or SAMPLES.get(case.vendor, {}).get(name) or "")
    assert value, f"add a valid sample value for {case.vendor} {name} to SAMPLES"
    rest = [(k, str(v)) for k, v in query.items()]
    spellings = app_for().vendors[case.vendor].profile.array_spellings
    repeated = send(client, case, [*rest, (name, value), (name, value)])
    bracketed = [send(client, case, [*rest, (f"{name}[]", value), (f"{name}[]", value)])]
    bracketed.append(send(client, case, [*rest, (f"{name}[0]", value), (f"{name}[1]", value)]))
    if not is_array(parameter):
        assert refused_naming(repeated, name), repeated.text
        for response in bracketed:
            assert refused_naming(response, name), response.text
        return
    assert repeated.status_code == 200, repeated.text  # the spec's own spelling (form, explode)
    for response in bracketed:
        if BRACKETS in spellings:
            assert response.status_code == 200 and response.content == repeated.content
        else:
            assert refused_naming(response, name), response.text
    joined = send(client, case, [*rest, (name, f"{value},{value}")])
    if COMMA in spellings:
        assert joined.status_code == 200 and joined.content == repeated.content
    else:
        assert refused_naming(joined, name) and f"{name}=a&{name}=b" in joined.text, joined.text


def test_a_node_client_filtering_by_source_gets_filtered_data(client: TestClient) -> None:
    """``source[]=slack``, as Node's ``qs`` writes an array, filters as ``source=slack`` does."""
    headers = {"Authorization": "Bearer t"}
    plain = client.get("/chatbotcom/reports/conversations?period=last7days&source=slack", headers=headers)
    node = client.get("/chatbotcom/reports/conversations?period=last7days&source%5B%5D=slack", headers=headers)
    everything = client.get("/chatbotcom/reports/conversations?period=last7days", headers=headers)
    assert plain.status_code == node.status_code == 200
    assert node.json() == plain.json() != everything.json()
