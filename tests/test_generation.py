"""Generated bodies satisfy the schema they were generated from, checked by an independent validator.

The mock generates a body for every operation its profile does not shape. Each is checked here with
openapi-schema-validator (the OpenAPI dialects, nullable included), resolving ``$ref`` through the
whole document by its own means: every response schema of every bundled document, of the fuller
Botpress Admin API document (tests/data, see its README), and of a corpus of hard schema features.
Request values that would be echoed are included, as a client sends them.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver import Settings, create_app
from mockserver.generation.values import ValueGenerator
from mockserver.openapi.loader import load_yaml
from mockserver.openapi.model import resolve_pointer
from mockserver.validation.schema import SchemaCompiler
from tests.conftest import NOW

DATA = Path(__file__).parent / "data"
FULLER = DATA / "botpress-admin-api-1.70.2.json"
SEEDS = range(4)
# What clients send and the generator may echo: short ids (the README's bot_1), long text.
ECHO = {"id": "bot_1", "botId": "bot_1", "description": "d" * 300, "name": "0", "tags": {"k": "v"}}


def independent(document: dict[str, Any]) -> Any:
    """A checker of (JSON pointer to a schema in ``document``, value) by openapi-schema-validator."""
    cls = OAS31Validator if str(document.get("openapi", "3.1")).startswith("3.1") else OAS30Validator
    registry = Registry().with_resource("urn:document", Resource.from_contents(document, default_specification=DRAFT202012))

    def errors(pointer: str, value: Any) -> list[str]:
        validator = cls({"$ref": f"urn:document#{pointer}"}, registry=registry)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)][:3]

    return errors


def response_schemas(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(a name, the JSON pointer) of every JSON response schema of the document."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    pointer = response["$ref"][1:]
                    response = resolve_pointer(document, response["$ref"], "doc")
                else:
                    pointer = f"/paths/{_escape(path)}/{method}/responses/{status}"
                for media in response.get("content") or {}:
                    if "json" in media and "schema" in response["content"][media]:
                        found.append((f"{method.upper()} {path} {status}", f"{pointer}/content/{_escape(media)}/schema"))
    return found


def _escape(token: str) -> str:
    return quote(token.replace("~", "~0").replace("/", "~1"), safe="~{}-_.")


def generator_for(document: dict[str, Any]) -> ValueGenerator:
    return ValueGenerator(lambda ref: resolve_pointer(document, ref, "doc"), compiler=SchemaCompiler(document))


def check_document(document: dict[str, Any]) -> list[str]:
    generator, errors = generator_for(document), independent(document)
    broken = []
    for name, pointer in response_schemas(document):
        schema = resolve_pointer(document, "#" + pointer.replace("%7B", "{").replace("%7D", "}"), "doc")
        for seed in SEEDS:
            value = generator.generate(schema, random.Random(seed), ECHO if seed % 2 else None)
            found = errors(pointer, value)
            if found:
                broken.append(f"{name} (seed {seed}): {found}")
                break
    return broken


def served_documents() -> list[tuple[str, dict[str, Any]]]:
    app = create_app(Settings(now=NOW))
    return [(name, vendor.spec.document) for name, vendor in app.vendors.items()]


@pytest.mark.parametrize(("name", "document"), served_documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_bundled_response_schema_is_generated_valid(name: str, document: dict[str, Any]) -> None:
    assert response_schemas(document)
    assert check_document(document) == []


def test_every_response_schema_of_the_fuller_botpress_document_is_generated_valid() -> None:
    document = json.loads(FULLER.read_text())
    assert len(response_schemas(document)) > 100
    assert check_document(document) == []


HARD = """
openapi: 3.1.0
info: {title: hard schema features, version: '1'}
paths: {}
components:
  schemas:
    Pet:
      oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}]
      discriminator: {propertyName: kind, mapping: {cat: '#/components/schemas/Cat', dog: '#/components/schemas/Dog'}}
    Cat:
      type: object
      required: [kind, lives]
      additionalProperties: false
      properties: {kind: {const: cat}, lives: {type: integer, minimum: 1, maximum: 9}}
    Dog:
      type: object
      required: [kind, bark]
      additionalProperties: false
      properties: {kind: {const: dog}, bark: {type: string, enum: [woof, yap]}}
    Ids:
      type: object
      required: [bot, slug, hex, code]
      properties:
        bot: {type: string, minLength: 28, maxLength: 36}
        slug: {type: string, pattern: '^[a-z]+(-[a-z]+)*$', maxLength: 20}
        hex: {type: string, pattern: '^[0-9a-f]{24}$'}
        code: {type: string, pattern: '^[A-Z]{3}-[0-9]{4}$'}
    Nullable: {type: [string, 'null'], format: date}
    Formats:
      type: object
      required: [at, day, id, mail, site, ip]
      properties:
        at: {type: string, format: date-time}
        day: {type: string, format: date}
        id: {type: string, format: uuid}
        mail: {type: string, format: email}
        site: {type: string, format: uri}
        ip: {type: string, format: ipv4}
    Bounds:
      type: object
      required: [short, few, unique, map]
      properties:
        short: {type: string, minLength: 3, maxLength: 5}
        few: {type: array, minItems: 2, maxItems: 3, items: {type: integer, exclusiveMinimum: 0, exclusiveMaximum: 10}}
        unique: {type: array, uniqueItems: true, minItems: 3, items: {type: string, enum: [a, b, c, d]}}
        map: {type: object, minProperties: 1, maxProperties: 2, additionalProperties: {type: number, multipleOf: 0.5}}
    Mixed:
      allOf:
        - {type: object, required: [a], properties: {a: {type: string, maxLength: 4}}}
        - {type: object, required: [b], properties: {b: {anyOf: [{type: integer, minimum: 5}, {type: 'null'}]}}}
    Times:
      type: object
      required: [createdAt, updatedAt, created_at, updated_at]
      properties:
        createdAt: {type: string, format: date-time}
        updatedAt: {type: string, format: date-time}
        created_at: {type: string, format: date-time}
        updated_at: {type: string, format: date-time}
    Node:
      type: object
      required: [name]
      properties:
        name: {type: string}
        children: {type: array, maxItems: 3, items: {$ref: '#/components/schemas/Node'}}
"""


@pytest.mark.parametrize("name", list(load_yaml(HARD)["components"]["schemas"]))
def test_hard_schema_features_are_generated_valid(name: str) -> None:
    document = load_yaml(HARD)
    generator, errors = generator_for(document), independent(document)
    schema = document["components"]["schemas"][name]
    for seed in range(20):
        value = generator.generate(schema, random.Random(seed), ECHO)
        assert errors(f"/components/schemas/{name}", value) == [], (seed, value)


def test_timestamps_of_one_thing_keep_their_order() -> None:
    document = load_yaml(HARD)
    generator = generator_for(document)
    for seed in range(50):
        value = generator.generate(document["components"]["schemas"]["Times"], random.Random(seed))
        assert value["createdAt"] <= value["updatedAt"] and value["created_at"] <= value["updated_at"]


def test_an_echo_is_used_where_it_fits_and_only_there() -> None:
    document = load_yaml(HARD)
    generator = generator_for(document)
    ids = generator.generate(
        document["components"]["schemas"]["Ids"], random.Random(1), {"bot": "bot_1", "hex": "5b07ffafc2376e30306d9b16"}
    )
    assert ids["bot"] != "bot_1" and 28 <= len(ids["bot"]) <= 36  # too short for the schema: not echoed
    assert ids["hex"] == "5b07ffafc2376e30306d9b16"  # valid: the client's own value comes back
