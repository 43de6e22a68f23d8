"""Plain-Python checks for the simple schemas most parameters and bodies have, compiled once.

A jsonschema validator walks its keywords on every call; a query parameter such as
``{type: string, format: date}`` or ``{type: integer, minimum: 1, maximum: 365}`` is checked far
faster by a small closure, and so is a year of records in a fixture (a few milliseconds at start-up
against a tenth of a second). ``compile_check`` returns one only when it understands every keyword
of the schema, so it never accepts what jsonschema would refuse (tests hold the two against each
other on every parameter and response body of every bundled spec); otherwise the caller keeps
jsonschema. Only the yes/no answer is fast: the error message for a refused value still comes from
jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mockserver.validation.schema import FORMAT_CHECKER

Check = Callable[[Any], bool]
Resolve = Callable[[str], Any]

# Keywords that never change whether a value is valid.
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "externalDocs",
        "xml",
        "discriminator",
    }
)
_ANYTHING: Check = lambda value: True  # noqa: E731
_NOTHING: Check = lambda value: False  # noqa: E731
_FORMATS = frozenset({"date", "date-time", "uuid", "email", "ipv4", "ipv6", "regex"})


def compile_check(schema: Any, resolve: Resolve, depth: int = 0) -> Check | None:
    """A fast equivalent of ``validator.is_valid`` for ``schema``, or None when it is not simple."""
    if isinstance(schema, bool):  # the schemas true (anything) and false (nothing)
        return _ANYTHING if schema else _NOTHING
    if depth > 8 or not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        return compile_check(resolve(schema["$ref"]), resolve, depth + 1) if set(schema) <= {"$ref", *_ANNOTATIONS} else None
    keys = {k for k in schema if k not in _ANNOTATIONS and not k.startswith("x-")}
    if "anyOf" in keys or "oneOf" in keys:
        if {"anyOf", "oneOf"} <= keys:
            return None
        combinator = "anyOf" if "anyOf" in keys else "oneOf"
        branches = [compile_check(b, resolve, depth + 1) for b in schema[combinator]]
        if not branches or any(b is None for b in branches):
            return None
        if len(branches) == 2:  # the common case ("a date or a date-time"), without a generator per call
            one, other = branches
            if combinator == "anyOf":
                either: Check = lambda value: one(value) or other(value)  # type: ignore[misc]  # noqa: E731
            else:
                either = lambda value: bool(one(value)) != bool(other(value))  # type: ignore[misc]  # noqa: E731
        elif combinator == "anyOf":
            either = lambda value: any(branch(value) for branch in branches)  # type: ignore[misc]  # noqa: E731
        else:
            either = lambda value: sum(1 for branch in branches if branch(value)) == 1  # type: ignore[misc]  # noqa: E731
        rest = {k: v for k, v in schema.items() if k != combinator}
        if not {k for k in rest if k not in _ANNOTATIONS and not k.startswith("x-")}:
            return either
        siblings = compile_check(rest, resolve, depth + 1)  # keywords beside the combinator apply too
        if siblings is None:
            return None
        return lambda value: siblings(value) and either(value)
    parts: list[Check] = []
    if "type" in keys:
        types = schema["type"]
        types = [types] if isinstance(types, str) else types
        if not isinstance(types, list) or not types:
            return None
        parts.append(_of_types(types))
        keys.discard("type")
    if "allOf" in keys:
        every = [compile_check(branch, resolve, depth + 1) for branch in schema["allOf"]]
        checks = [check for check in every if check is not None]
        if not checks or len(checks) < len(every):
            return None
        parts += checks
        keys.discard("allOf")
    if "enum" in keys:
        allowed = schema["enum"]
        parts.append(lambda value: any(_same(value, option) for option in allowed))
        keys.discard("enum")
    if "const" in keys:
        constant = schema["const"]
        parts.append(lambda value: _same(value, constant))
        keys.discard("const")
    for keyword, test in (
        ("minimum", lambda v, n: v >= n),
        ("maximum", lambda v, n: v <= n),
        ("exclusiveMinimum", lambda v, n: v > n),
        ("exclusiveMaximum", lambda v, n: v < n),
    ):
        if keyword in keys:
            limit = schema[keyword]
            if isinstance(limit, bool) or not isinstance(limit, (int, float)):
                return None
            parts.append(lambda value, test=test, limit=limit: not _is_number(value) or test(value, limit))  # type: ignore[misc]
            keys.discard(keyword)
    for keyword, test in (("minLength", lambda v, n: len(v) >= n), ("maxLength", lambda v, n: len(v) <= n)):
        if keyword in keys:
            limit = schema[keyword]
            # jsonschema counts code points, as len() does.
            parts.append(lambda value, test=test, limit=limit: not isinstance(value, str) or test(value, limit))  # type: ignore[misc]
            keys.discard(keyword)
    if "pattern" in keys:
        pattern = re.compile(schema["pattern"])
        parts.append(lambda value: not isinstance(value, str) or pattern.search(value) is not None)
        keys.discard("pattern")
    if "format" in keys:
        fmt = schema["format"]
        if fmt in _FORMATS:
            parts.append(_format_check(fmt))
        # Formats jsonschema does not check (int32, binary, ...) are annotations for it too.
        keys.discard("format")
    if "items" in keys or {"minItems", "maxItems", "uniqueItems"} & keys:
        array = _array_check(schema, resolve, depth)
        if array is None:
            return None
        parts.append(array)
        keys -= {"items", "minItems", "maxItems", "uniqueItems"}
    if _OBJECT_KEYWORDS & keys:
        obj = _object_check(schema, resolve, depth)
        if obj is None:
            return None
        parts.append(obj)
        keys -= _OBJECT_KEYWORDS
    if keys:
        return None  # a keyword this module does not know: leave it to jsonschema
    if not parts:
        return _ANYTHING
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:  # the common case (a type and one keyword), without a generator per call
        first, second = parts
        return lambda value: first(value) and second(value)
    return lambda value: all(part(value) for part in parts)


def _format_check(fmt: str) -> Check:
    """The format checker's own function for ``fmt``, called directly: ``conforms`` costs more than
    the check itself on every parameter of every request."""
    function, raises = FORMAT_CHECKER.checkers[fmt]

    def check(value: Any) -> bool:
        try:
            return bool(function(value))
        except raises:
            return False

    return check


def _array_check(schema: dict[str, Any], resolve: Resolve, depth: int) -> Check | None:
    item = compile_check(schema["items"], resolve, depth + 1) if "items" in schema else (lambda v: True)
    if item is None:
        return None
    low, high, unique = schema.get("minItems", 0), schema.get("maxItems"), schema.get("uniqueItems", False)

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        if len(value) < low or (high is not None and len(value) > high):
            return False
        if unique and len({_identity(v) for v in value}) != len(value):
            return False
        return all(item(v) for v in value)

    return check


_OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties", "minProperties", "maxProperties"})


def _object_check(schema: dict[str, Any], resolve: Resolve, depth: int) -> Check | None:
    """properties, required, additionalProperties (true, false or a schema) and the property counts:
    what response bodies and fixtures are made of."""
    properties: dict[str, Check] = {}
    for name, sub in (schema.get("properties") or {}).items():
        compiled = compile_check(sub, resolve, depth + 1)
        if compiled is None:
            return None
        properties[name] = compiled
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    other = None if extra is True else compile_check(extra, resolve, depth + 1)  # None: any other property
    if extra is not True and other is None:
        return None
    low, high = schema.get("minProperties", 0), schema.get("maxProperties")

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        if len(value) < low or (high is not None and len(value) > high):
            return False
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            known = properties.get(name)
            if known is not None:
                if not known(item):
                    return False
            elif other is not None and not other(item):
                return False
        return True

    return check


def _of_types(types: list[str]) -> Check:
    checks = [_TYPE_CHECKS[t] for t in types if t in _TYPE_CHECKS]
    if len(checks) != len(types):
        return lambda value: False  # an unknown type name: jsonschema would refuse the schema anyway
    if len(checks) == 1:
        return checks[0]
    return lambda value: any(check(value) for check in checks)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPE_CHECKS: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _same(value: Any, option: Any) -> bool:
    """JSON equality, as jsonschema's enum and const see it: 1 == 1.0, but True is not 1, at any depth."""
    if value != option:  # (JSON's equality implies Python's, so most options are ruled out here)
        return False
    if isinstance(value, bool) or isinstance(option, bool):
        return isinstance(value, bool) and isinstance(option, bool)
    if isinstance(value, list):  # (equal, so the option is a list of the same length too)
        return all(map(_same, value, option))
    if isinstance(value, dict):
        return all(_same(item, option[key]) for key, item in value.items())
    return True


def _identity(value: Any) -> Any:
    return (type(value) is bool, value) if not isinstance(value, (list, dict)) else repr(value)
