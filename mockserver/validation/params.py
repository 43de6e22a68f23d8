"""Turn raw strings from the path, query and headers into typed values the schema can check.

Coercion follows the schema's own types, so ``interval=3600`` becomes ``3600`` for an integer
parameter but stays ``"3600"`` for a string one. A value that cannot be read as any of the
allowed types is left as the raw string and the schema check names what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver.openapi.model import Parameter

# Longer digit strings are no sensible parameter (and Python refuses to convert over 4300 digits):
# they stay strings, so the schema check names what was expected.
_INTEGER = re.compile(r"[+-]?\d{1,40}", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:\d{1,40}\.?\d{0,40}|\.\d{1,40})(?:[eE][+-]?\d{1,4})?", re.ASCII)

Resolve = Callable[[str], Any]


def schema_types(schema: Any, resolve: Resolve, depth: int = 0) -> list[str]:
    """The JSON types a schema allows, looking through ``$ref``, ``anyOf``, ``oneOf``, ``allOf``."""
    if not isinstance(schema, dict) or depth > 8:
        return []
    if "$ref" in schema:
        return schema_types(resolve(schema["$ref"]), resolve, depth + 1)
    found: list[str] = []
    declared = schema.get("type")
    if declared:
        found.extend(declared if isinstance(declared, list) else [declared])
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found.extend(t for t in schema_types(branch, resolve, depth + 1) if t not in found)
    if not found and "enum" in schema:
        found.extend(dict.fromkeys(_json_type(v) for v in schema["enum"]))
    return found


def items_schema(schema: Any, resolve: Resolve) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = resolve(schema["$ref"])
    if isinstance(schema, dict):
        if "items" in schema:
            return schema["items"]
        for key in ("anyOf", "oneOf"):
            for branch in schema.get(key, []):
                found = items_schema(branch, resolve)
                if found is not None:
                    return found
    return None


def coerce_scalar(raw: str, types: list[str]) -> Any:
    for kind in types:
        if kind == "integer" and _INTEGER.fullmatch(raw):
            return int(raw)
        if kind == "number" and _NUMBER.fullmatch(raw):
            return int(raw) if _INTEGER.fullmatch(raw) else float(raw)
        if kind == "boolean" and raw in ("true", "false"):
            return raw == "true"
        if kind == "null" and raw in ("", "null") and "string" not in types:
            return None
    return raw


@dataclass(frozen=True)
class ParameterPlan:
    """How to read one parameter, worked out from its schema once, at start-up."""

    parameter: Parameter
    types: tuple[str, ...]
    item_types: tuple[str, ...]
    default: Any

    @classmethod
    def of(cls, param: Parameter, resolve: Resolve) -> ParameterPlan:
        types = schema_types(param.schema, resolve)
        item_types = schema_types(items_schema(param.schema, resolve), resolve) if "array" in types else []
        schema = param.schema
        while isinstance(schema, dict) and "$ref" in schema:
            schema = resolve(schema["$ref"])
        default = schema.get("default") if isinstance(schema, dict) else None
        return cls(param, tuple(types), tuple(item_types), default)

    @property
    def repeatable(self) -> bool:
        """Whether the parameter may occur more than once (an exploded array)."""
        return self.parameter.explode and "array" in self.types

    def coerce(self, raw: list[str]) -> Any:
        """Coerce the raw occurrence(s) of the parameter. ``raw`` is never empty."""
        param = self.parameter
        if "array" in self.types:
            if param.explode and param.location in ("query", "cookie"):
                values = raw
            else:
                delimiter = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(param.style, ",")
                values = raw[0].split(delimiter) if raw[0] != "" else []
            return [coerce_scalar(v, list(self.item_types)) for v in values]
        return coerce_scalar(raw[0], list(self.types))


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return "string"
