"""JSON Schema validators compiled once per spec, strict formats, and plain-words expectations."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:mockserver:spec"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII)

FORMAT_CHECKER = FormatChecker(formats=("email", "ipv4", "ipv6", "regex"))


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    # fromisoformat alone accepts 20250131 and week dates; RFC 3339 full-date does not.
    return not isinstance(value, str) or bool(_DATE.fullmatch(value) and date.fromisoformat(value))


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE_TIME.fullmatch(value) and parse_date_time(value))


@FORMAT_CHECKER.checks("uuid")
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(_UUID.fullmatch(value))


def parse_date_time(value: str) -> datetime:
    """Parse an RFC 3339 date-time (``Z`` or offset) into an aware datetime."""
    return datetime.fromisoformat(value[:-1] + "+00:00" if value[-1] in "Zz" else value)


class SchemaCompiler:
    """Builds validators whose local ``$ref``s resolve against one spec document."""

    def __init__(self, root: dict[str, Any]) -> None:
        self._registry: Registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(root))

    def compile(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(_absolute_refs(schema), registry=self._registry, format_checker=FORMAT_CHECKER)


def most_specific(errors: Any) -> Any:
    """The error that says most precisely what is wrong: into anyOf/oneOf branches, deepest path first."""
    error = best_match(errors)
    while error is not None and error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator not in ("required", "additionalProperties")))
    return error


def _absolute_refs(node: Any) -> Any:
    """Copy a schema taken out of the document, pointing its ``#/...`` refs back at the document."""
    if isinstance(node, dict):
        return {
            key: (
                SPEC_URI + value if key == "$ref" and isinstance(value, str) and value.startswith("#") else _absolute_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


_FORMAT_WORDS = {
    "date": "a date like 2025-01-31",
    "date-time": "an RFC 3339 date-time like 2025-01-31T00:00:00Z",
    "uuid": "a UUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "email": "an email address",
    "uri": "an absolute URI",
}
_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "string": "a string",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


def expectation(schema: Any, resolve: Any = None, depth: int = 0) -> str:
    """Say in words what ``schema`` accepts, e.g. ``one of 3600, 86400``."""
    if not isinstance(schema, dict) or depth > 4:
        return "a valid value"
    if "$ref" in schema and resolve is not None:
        return expectation(resolve(schema["$ref"]), resolve, depth + 1)
    if isinstance(schema.get("title"), str):
        return schema["title"]  # the spec's own words for the expected form
    if "const" in schema:
        return f"exactly {_show(schema['const'])}"
    if "enum" in schema:
        return "one of " + ", ".join(_show(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(expectation(s, resolve, depth + 1) for s in schema[key])
    types = schema.get("type")
    types = types if isinstance(types, list) else [types] if types else []
    if "format" in schema and schema["format"] in _FORMAT_WORDS:
        words = _FORMAT_WORDS[schema["format"]]
    elif "array" in types:
        items = schema.get("items")
        words = "a list" + (f" of {expectation(items, resolve, depth + 1)}" if items else "")
    else:
        words = " or ".join(_TYPE_WORDS.get(t) or str(t) for t in types) or "a value"
    limits = []
    for key, text in (
        ("minimum", ">= {}"),
        ("maximum", "<= {}"),
        ("exclusiveMinimum", "> {}"),
        ("exclusiveMaximum", "< {}"),
        ("minLength", "at least {} characters"),
        ("maxLength", "at most {} characters"),
        ("minItems", "at least {} items"),
        ("maxItems", "at most {} items"),
        ("pattern", "matching the pattern {}"),
    ):
        if key in schema:
            value = schema[key]
            # A long regex helps nobody in a message; the spec describes the form.
            limits.append("in the form the spec describes" if key == "pattern" and len(str(value)) > 60 else text.format(value))
    return words + (f" ({', '.join(limits)})" if limits else "")


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else "null" if value is None else str(value)


def shorten(value: Any, limit: int = 80) -> str:
    """Render a received value for an error message: cut to keep messages readable, and with any
    lone surrogate (JSON allows ``"\\ud800"``) replaced, so the message is valid UTF-8."""
    text = value if isinstance(value, str) else repr(value)
    text = text if len(text) <= limit else text[:limit] + "..."
    return repr(text.encode("utf-8", "replace").decode("utf-8"))
