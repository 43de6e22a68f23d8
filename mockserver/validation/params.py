"""Turn raw strings from the path, query and headers into typed values the schema can check.

Coercion follows the schema's own types, so ``interval=3600`` becomes ``3600`` for an integer
parameter but stays ``"3600"`` for a string one. A value that cannot be read as any of the
allowed types is left as the raw string and the schema check names what was expected.
"""

from __future__ import annotations

import json
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
    """How to read one parameter, worked out from its schema once, at start-up.

    Values are read as OpenAPI serializes them (the ``style`` and ``explode`` table of the
    specification): ``form``, ``spaceDelimited``, ``pipeDelimited`` and ``deepObject`` in the query,
    ``simple`` in paths and headers, ``label`` (``.a.b``) and ``matrix`` (``;id=a,b``) in paths, for
    primitives, arrays and objects; a ``content`` parameter is its media type's text (JSON parsed).
    """

    parameter: Parameter
    types: tuple[str, ...]
    item_types: tuple[str, ...]
    default: Any
    # For an object: each declared property's types, and those of any other property.
    property_types: tuple[tuple[str, tuple[str, ...]], ...] = ()
    other_types: tuple[str, ...] = ("string",)

    @classmethod
    def of(cls, param: Parameter, resolve: Resolve) -> ParameterPlan:
        types = schema_types(param.schema, resolve)
        item_types = schema_types(items_schema(param.schema, resolve), resolve) if "array" in types else []
        schema = param.schema
        while isinstance(schema, dict) and "$ref" in schema:
            schema = resolve(schema["$ref"])
        default = schema.get("default") if isinstance(schema, dict) else None
        properties: tuple[tuple[str, tuple[str, ...]], ...] = ()
        other: tuple[str, ...] = ("string",)
        if isinstance(schema, dict) and "object" in types:
            properties = tuple((k, tuple(schema_types(v, resolve))) for k, v in (schema.get("properties") or {}).items())
            extra = schema.get("additionalProperties")
            other = tuple(schema_types(extra, resolve)) if isinstance(extra, dict) else ("string",)
        return cls(param, tuple(types), tuple(item_types), default, properties, other or ("string",))

    @property
    def repeatable(self) -> bool:
        """Whether the parameter may occur more than once (an exploded array)."""
        return self.parameter.explode and "array" in self.types and self.parameter.media is None

    @property
    def is_object(self) -> bool:
        return "object" in self.types and "array" not in self.types and self.parameter.media is None

    @property
    def spread(self) -> bool:
        """An object whose properties are query keys of their own (form, exploded: ``R=100&G=200``)."""
        param = self.parameter
        return self.is_object and param.location in ("query", "cookie") and param.style == "form" and param.explode

    def coerce(self, raw: list[str]) -> Any:
        """Coerce the raw occurrence(s) of the parameter. ``raw`` is never empty."""
        param = self.parameter
        if param.media is not None:
            return _content(raw[0], param.media)
        structured = "array" in self.types or self.is_object
        text = _unprefixed(param, raw[0], structured) if param.location == "path" else raw[0]
        if "array" in self.types:
            if param.explode and param.location in ("query", "cookie"):
                values = raw
            else:
                values = _split(param, text, array=True)
            return [coerce_scalar(v, list(self.item_types)) for v in values]
        if self.is_object:
            return self.properties(_pairs(param, text))
        return coerce_scalar(text, list(self.types))

    def properties(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """An object from its (name, raw value) pairs, each value read as its property's type."""
        declared = dict(self.property_types)
        return {name: coerce_scalar(value, list(declared.get(name, self.other_types))) for name, value in pairs}


def _content(text: str, media: str) -> Any:
    """A ``content`` parameter's value: JSON parsed when the media type is JSON; otherwise (or when it
    does not parse) the text, which the schema check then names."""
    if "json" in media.lower():
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _unprefixed(param: Parameter, text: str, structured: bool) -> str:
    """A path value without its style's prefix: ``.`` (label); ``;name=`` (matrix), or only ``;``
    for an exploded array or object (``;name=a;name=b``, ``;R=1;G=2``)."""
    if param.style == "label" and text.startswith("."):
        return text[1:]
    if param.style == "matrix" and text.startswith(";"):
        prefix = f";{param.name}="
        if param.explode and structured:
            return text[1:]
        return text[len(prefix) :] if text.startswith(prefix) else text[1:]
    return text


def _split(param: Parameter, text: str, array: bool) -> list[str]:
    """The items of a serialized array (or the tokens of an object): by the style's delimiter."""
    if text == "":
        return []
    if param.style == "label":
        return text.split(".")
    if param.style == "matrix" and param.explode and array:  # color=blue;color=black (the first ";" is gone)
        return [part.split("=", 1)[1] if "=" in part else part for part in text.split(";")]
    if param.style == "matrix" and param.explode:
        return text.split(";")
    return text.split({"spaceDelimited": " ", "pipeDelimited": "|"}.get(param.style, ","))


def _pairs(param: Parameter, text: str) -> list[tuple[str, str]]:
    """An object's (name, value) pairs: ``R,100,G,200`` (alternating), or ``R=100,G=200`` (exploded)."""
    tokens = _split(param, text, array=False)
    if param.explode and param.style in ("simple", "label", "matrix"):
        return [(key, value) for key, _, value in (token.partition("=") for token in tokens)]
    return list(zip(tokens[::2], tokens[1::2]))


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
