"""Generate a value that satisfies a JSON Schema, from a keyed random stream.

Used for every response body a vendor profile does not shape itself, and as the starting point
for those it does. Text comes from Faker, numbers respect the schema's bounds, and a property
that names a request parameter echoes the request's value when the schema allows it.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from faker import Faker

from mockserver.validation.schema import FORMAT_CHECKER

Resolve = Callable[[str], Any]

# Timestamps without a request range to follow are spread over the year before this instant,
# a fixed point so that responses do not change with the wall clock.
ANCHOR = datetime(2025, 1, 1, tzinfo=timezone.utc)
_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")


class ValueGenerator:
    def __init__(self, resolve: Resolve, locale: str = "en_US") -> None:
        self._resolve = resolve
        self.faker = Faker(locale)

    def generate(self, schema: Any, rng: random.Random, echo: Mapping[str, Any] | None = None) -> Any:
        """A value valid for ``schema``; ``echo`` maps property names to request values to reuse."""
        self.faker.seed_instance(rng.getrandbits(64))
        return self._value(schema, rng, echo or {}, "", 0)

    def _deref(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            target = self._resolve(schema["$ref"])
            # 3.1 allows siblings next to $ref; they refine the target.
            schema = {**target, **extra} if extra and isinstance(target, dict) else target
        return schema

    def _value(self, schema: Any, rng: random.Random, echo: Mapping[str, Any], name: str, depth: int) -> Any:
        schema = self._deref(schema)
        if schema is True or not isinstance(schema, dict):
            return self.faker.word()
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            choices = [v for v in schema["enum"] if v is not None] or schema["enum"]
            return rng.choice(choices)
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self._deref(part)
                for key, value in part.items():
                    if key in ("properties",):
                        merged[key] = {**merged.get(key, {}), **value}
                    elif key == "required":
                        merged[key] = [*merged.get(key, []), *value]
                    else:
                        merged.setdefault(key, value)
            return self._value(merged, rng, echo, name, depth)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._value(schema[key][0], rng, echo, name, depth)
        if "examples" in schema and "pattern" in schema:
            return schema["examples"][0]
        kind = _pick_type(schema)
        if kind == "object":
            return self._object(schema, rng, echo, depth)
        if kind == "array":
            return self._array(schema, rng, echo, name, depth)
        if kind == "integer":
            return self._integer(schema, rng)
        if kind == "number":
            return self._number(schema, rng)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema, rng, name)

    def _object(self, schema: dict[str, Any], rng: random.Random, echo: Mapping[str, Any], depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for prop, sub in (schema.get("properties") or {}).items():
            if prop in echo and self._fits(sub, echo[prop]):
                result[prop] = echo[prop]
            else:
                result[prop] = self._value(sub, rng, echo, prop, depth + 1)
        extra = schema.get("additionalProperties")
        if not schema.get("properties") and isinstance(extra, dict) and depth < 6:
            # A map: a few realistic keys.
            for _ in range(rng.randint(max(schema.get("minProperties", 1), 1), max(schema.get("maxProperties", 4), 1))):
                result[self.faker.word().lower() + "_" + self.faker.word().lower()] = self._value(extra, rng, echo, "", depth + 1)
        return result

    def _array(self, schema: dict[str, Any], rng: random.Random, echo: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        low = schema.get("minItems", 1 if depth < 4 else 0)
        high = max(schema.get("maxItems", max(low, 5 if depth < 4 else 1)), low)
        count = rng.randint(low, high) if "minItems" not in schema or low != high else low
        items = schema.get("items", {})
        if schema.get("uniqueItems"):
            values: list[Any] = []
            for _ in range(count * 4):
                value = self._value(items, rng, echo, name, depth + 1)
                if value not in values:
                    values.append(value)
                if len(values) == count:
                    break
            return values
        return [self._value(items, rng, echo, name, depth + 1) for _ in range(count)]

    def _integer(self, schema: dict[str, Any], rng: random.Random) -> int:
        low, high = _bounds(schema, 0, 1000)
        low, high = int(_ceil(low)), int(high // 1)
        if "exclusiveMinimum" in schema and low <= schema["exclusiveMinimum"]:
            low += 1
        if "exclusiveMaximum" in schema and high >= schema["exclusiveMaximum"]:
            high -= 1
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            first = -(-low // step) * step
            return first + step * rng.randint(0, max((high - first) // step, 0))
        return rng.randint(low, max(low, high))

    def _number(self, schema: dict[str, Any], rng: random.Random) -> float:
        low, high = _bounds(schema, 0.0, 1000.0)
        step = schema.get("multipleOf")
        if step:
            first = _ceil(low / step)
            value = round((first + rng.randint(0, max(int((high - first * step) // step), 0))) * step, 10)
            return int(value) if float(value).is_integer() and step >= 1 else value
        value = round(rng.uniform(low, high), 2)
        if value < low or value > high:
            value = low
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            value = (schema["exclusiveMinimum"] + high) / 2
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            value = (low + schema["exclusiveMaximum"]) / 2
        return value

    def _string(self, schema: dict[str, Any], rng: random.Random, name: str) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            moment = ANCHOR - timedelta(seconds=rng.randint(0, 365 * 86400))
            return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if fmt == "date":
            return (ANCHOR.date() - timedelta(days=rng.randint(0, 365))).isoformat()
        if fmt == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if fmt == "email":
            return f"{self.faker.user_name()}@example.com"
        if fmt in ("uri", "url"):
            return f"https://example.com/{self.faker.slug()}"
        if "examples" in schema and schema["examples"]:
            return str(rng.choice(schema["examples"]))
        text = self._text_for(name, rng)
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if len(text) < low:
            text += "".join(rng.choice(string.ascii_lowercase) for _ in range(low - len(text)))
        if high is not None and len(text) > high:
            text = text[:high]
        return text

    def _text_for(self, name: str, rng: random.Random) -> str:
        lowered = name.lower()
        if lowered.endswith("id") or lowered.endswith("_id"):
            return f"{rng.getrandbits(96):024x}"
        if "language" in lowered or lowered in ("lang", "locale"):
            return rng.choice(_LANGUAGES)
        if lowered in ("message", "error", "description", "reason"):
            return self.faker.sentence()
        if "name" in lowered or lowered in ("title", "intent", "target", "label"):
            return self.faker.catch_phrase()
        if "number" in lowered or "phone" in lowered:
            return self.faker.numerify("+49 30 #######")
        return self.faker.word()

    def _fits(self, schema: Any, value: Any) -> bool:
        schema = self._deref(schema)
        if not isinstance(schema, dict):
            return False
        if "enum" in schema:
            return value in schema["enum"]
        kind = _pick_type(schema)
        checks = {
            "string": lambda v: isinstance(v, str) and FORMAT_CHECKER.conforms(v, schema.get("format", "")),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
        }
        return kind in checks and checks[kind](value) and "pattern" not in schema


def _pick_type(schema: dict[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        concrete = [t for t in declared if t != "null"]
        return concrete[0] if concrete else "null"
    if declared:
        return declared
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


# Specs often bound counts only to keep them in range (say 2^53 - 1); a realistic value stays
# within this span above the minimum unless the schema asks for less.
_TYPICAL_SPAN = 1000


def _bounds(schema: dict[str, Any], low: float, high: float) -> tuple[float, float]:
    minimum = schema.get("minimum", schema.get("exclusiveMinimum"))
    maximum = schema.get("maximum", schema.get("exclusiveMaximum"))
    if minimum is not None:
        low = minimum
        high = low + _TYPICAL_SPAN
    if maximum is not None:
        high = min(maximum, low + _TYPICAL_SPAN) if maximum - low > _TYPICAL_SPAN * 10 else maximum
        if minimum is None:
            low = min(low, high)
    return low, high


def _ceil(value: float) -> float:
    return -(-value // 1)
