"""Every parameter style of OpenAPI, read as the specification's own serialization examples write it.

A document served with ``--spec`` declares one operation per (location, style, explode, kind) with
the specification's ``color`` parameter: the primitive ``blue``, the array ``[blue, black, brown]``
and the object ``{R: 100, G: 200, B: 150}``. Each answer echoes the parameter as the mock read it
(a response property of the same name and schema), so a request written as the table writes it must
come back as the value the table means.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from tests.conftest import HOST, NOW

SCHEMAS = {
    "primitive": {"type": "string", "enum": ["blue"]},
    "array": {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 3},
    "object": {
        "type": "object",
        "additionalProperties": False,
        "required": ["R", "G", "B"],
        "properties": {"R": {"type": "integer"}, "G": {"type": "integer"}, "B": {"type": "integer"}},
    },
}
VALUES = {"primitive": "blue", "array": ["blue", "black", "brown"], "object": {"R": 100, "G": 200, "B": 150}}
# (location, style, explode, kind, what is sent): the specification's style examples table.
TABLE = [
    ("path", "matrix", False, "primitive", ";color=blue"),
    ("path", "matrix", False, "array", ";color=blue,black,brown"),
    ("path", "matrix", False, "object", ";color=R,100,G,200,B,150"),
    ("path", "matrix", True, "primitive", ";color=blue"),
    ("path", "matrix", True, "array", ";color=blue;color=black;color=brown"),
    ("path", "matrix", True, "object", ";R=100;G=200;B=150"),
    ("path", "label", False, "primitive", ".blue"),
    ("path", "label", False, "array", ".blue.black.brown"),
    ("path", "label", False, "object", ".R.100.G.200.B.150"),
    ("path", "label", True, "primitive", ".blue"),
    ("path", "label", True, "array", ".blue.black.brown"),
    ("path", "label", True, "object", ".R=100.G=200.B=150"),
    ("path", "simple", False, "primitive", "blue"),
    ("path", "simple", False, "array", "blue,black,brown"),
    ("path", "simple", False, "object", "R,100,G,200,B,150"),
    ("path", "simple", True, "primitive", "blue"),
    ("path", "simple", True, "array", "blue,black,brown"),
    ("path", "simple", True, "object", "R=100,G=200,B=150"),
    ("header", "simple", False, "array", "blue,black,brown"),
    ("header", "simple", False, "object", "R,100,G,200,B,150"),
    ("header", "simple", True, "object", "R=100,G=200,B=150"),
    ("query", "form", False, "primitive", "color=blue"),
    ("query", "form", False, "array", "color=blue,black,brown"),
    ("query", "form", False, "object", "color=R,100,G,200,B,150"),
    ("query", "form", True, "primitive", "color=blue"),
    ("query", "form", True, "array", "color=blue&color=black&color=brown"),
    ("query", "form", True, "object", "R=100&G=200&B=150"),
    ("query", "spaceDelimited", False, "array", "color=blue%20black%20brown"),
    ("query", "spaceDelimited", False, "object", "color=R%20100%20G%20200%20B%20150"),
    ("query", "pipeDelimited", False, "array", "color=blue|black|brown"),
    ("query", "pipeDelimited", False, "object", "color=R|100|G|200|B|150"),
    ("query", "deepObject", True, "object", "color[R]=100&color[G]=200&color[B]=150"),
]


def slug(location: str, style: str, explode: bool, kind: str) -> str:
    return f"{location}-{style}-{'explode' if explode else 'flat'}-{kind}"


def document(version: str = "3.1.0") -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for location, style, explode, kind, _ in TABLE:
        name = slug(location, style, explode, kind)
        parameter = {
            "name": "color",
            "in": location,
            "required": True,
            "style": style,
            "explode": explode,
            "schema": SCHEMAS[kind],
        }
        paths[f"/{name}" + ("/{color}" if location == "path" else "")] = {"get": _operation(name, parameter, SCHEMAS[kind])}
    content = {"name": "color", "in": "query", "required": True, "content": {"application/json": {"schema": SCHEMAS["object"]}}}
    paths["/query-content-object"] = {"get": _operation("query-content-object", content, SCHEMAS["object"])}
    return {
        "openapi": version,
        "info": {"title": "parameter styles", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }


def _operation(name: str, parameter: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    echo = {"type": "object", "additionalProperties": False, "required": ["color"], "properties": {"color": schema}}
    return {
        "operationId": name,
        "parameters": [parameter],
        "responses": {
            "200": {"description": "the parameter as read", "content": {"application/json": {"schema": echo}}},
            "400": {"description": "refused", "content": {"application/json": {"schema": {"type": "object"}}}},
        },
    }


@pytest.fixture(scope="module", params=["3.0.3", "3.1.0"])
def styles(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Any:
    spec = tmp_path_factory.mktemp("styles") / "styles.yaml"
    spec.write_text(yaml.safe_dump(document(request.param)))
    with TestClient(create_app(Settings(now=NOW, spec_overrides={"botpress": Path(spec)})), base_url=HOST) as client:
        yield client


def send(client: TestClient, location: str, name: str, sent: str) -> Any:
    headers = {"Authorization": "Bearer t", "x-workspace-id": "wkspace_1"}
    if location == "path":
        return client.get(f"/botpress/{name}/{sent}", headers=headers)
    if location == "header":
        return client.get(f"/botpress/{name}", headers={**headers, "color": sent})
    return client.get(f"/botpress/{name}?{sent}", headers=headers)


@pytest.mark.parametrize(("location", "style", "explode", "kind", "sent"), TABLE, ids=[f"{slug(*row[:4])}" for row in TABLE])
def test_the_specifications_serialization_examples_are_read_as_meant(
    styles: TestClient, location: str, style: str, explode: bool, kind: str, sent: str
) -> None:
    response = send(styles, location, slug(location, style, explode, kind), sent)
    assert response.status_code == 200, response.text
    assert response.json() == {"color": VALUES[kind]}


def test_a_content_parameter_is_its_json(styles: TestClient) -> None:
    sent = quote(json.dumps(VALUES["object"]))
    response = send(styles, "query", "query-content-object", f"color={sent}")
    assert response.status_code == 200, response.text
    assert response.json() == {"color": VALUES["object"]}
    broken = send(styles, "query", "query-content-object", "color=%7Bnot-json")
    assert broken.status_code == 400 and "'color'" in broken.text


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("query-form-explode-object", "R=100&G=200"),  # B is required
        ("query-deepObject-explode-object", "color[R]=100&color[G]=200&color[B]=blue"),
        ("query-form-flat-object", "color=R,100,G"),
        ("query-pipeDelimited-flat-array", "color=blue|black"),
    ],
)
def test_a_value_that_breaks_the_schema_is_a_400_naming_the_parameter(styles: TestClient, name: str, sent: str) -> None:
    response = send(styles, "query", name, sent)
    assert response.status_code == 400 and "'color'" in response.text, response.text


def test_the_vendors_overlay_declares_its_errors_on_a_replacement(styles: TestClient) -> None:
    """As specs/README.md says: the fitting actions apply (every operation's error responses), the
    others are skipped (getBotAnalytics's date formats: no such operation here)."""
    served = styles.get("/botpress/openapi.json").json()
    responses = served["paths"]["/query-form-flat-object"]["get"]["responses"]
    assert responses["400"] == {"$ref": "#/components/responses/BotpressBadRequest"}
    assert responses["200"]["description"] == "the parameter as read"
    assert "/v1/admin/bots/{id}/analytics" not in served["paths"]
    refused = send(styles, "query", "query-form-flat-object", "color=R,1")
    assert set(refused.json()) == {"id", "code", "type", "message"}  # Botpress's error body, as declared
