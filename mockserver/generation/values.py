"""Generate a value that satisfies a JSON Schema, from a keyed random stream.

Used for every response body a vendor profile does not shape itself, and as the starting point
for those it does. Text comes from Faker, numbers respect the schema's bounds, and a property
that names a request parameter echoes the request's value when the schema allows it.
"""

from __future__ import annotations

import random
import re
import string
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import rstr

from mockserver.validation.schema import FORMAT_CHECKER, SchemaCompiler

if TYPE_CHECKING:
    from faker import Faker

Resolve = Callable[[str], Any]
_FAKER_LOCK = threading.Lock()

# Timestamps without a request range to follow are spread over the year before this instant,
# a fixed point so that responses do not change with the wall clock.
ANCHOR = datetime(2025, 1, 1, tzinfo=timezone.utc)
_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")


# Nesting depth from which objects hold only their required properties and arrays their fewest
# items, so a recursive schema (a tree) ends.
_DEEP = 6
# Attempts at a value that passes its schema's check before the last one is given as it is.
ATTEMPTS = 4
# Pairs of timestamp names whose values keep their order (the first never after the second).
_ORDERED = (("created", "updated"), ("created", "modified"), ("started", "ended"), ("start", "end"), ("from", "to"))


class ValueGenerator:
    """Values for schemas. With a ``compiler`` (the document's), each value is checked against its
    schema: an echoed request value is used only where it is valid, and a generated one that
    breaks a keyword the generator does not model is drawn again."""

    def __init__(self, resolve: Resolve, locale: str = "en_US", compiler: SchemaCompiler | None = None) -> None:
        self._resolve = resolve
        self._locale = locale
        self._faker: Faker | None = None
        self._compiler = compiler
        self._validators: dict[int, tuple[Any, Any]] = {}  # id(schema) -> (schema, its validator)

    @property
    def faker(self) -> Faker:
        """Faker, loaded on first use: about 6 MB and a tenth of a second at start-up that a server
        answering only operations its profiles model never needs."""
        if self._faker is None:
            with _FAKER_LOCK:
                if self._faker is None:
                    from faker import Faker

                    self._faker = Faker(self._locale)
        return self._faker

    def generate(self, schema: Any, rng: random.Random, echo: Mapping[str, Any] | None = None) -> Any:
        """A value valid for ``schema``; ``echo`` maps property names to request values to reuse."""
        self.faker.seed_instance(rng.getrandbits(64))
        value = self._value(schema, rng, echo or {}, "", 0)
        for _ in range(ATTEMPTS - 1):
            if self.valid(schema, value):
                break
            value = self._value(schema, rng, {}, "", 0)  # the same stream, further on: still deterministic
        return value

    def valid(self, schema: Any, value: Any) -> bool:
        """Whether ``value`` passes ``schema`` (always, without a compiler to check with)."""
        validator = self.validator(schema)
        return validator is None or bool(validator.is_valid(value))

    def validator(self, schema: Any) -> Any | None:
        """The document's validator for ``schema`` (None without a compiler), kept by schema: a
        caller checks as cheaply as generation does."""
        if self._compiler is None or not isinstance(schema, (dict, bool)):
            return None
        found = self._validators.get(id(schema))
        if found is None or found[0] is not schema:
            if len(self._validators) >= 4096:
                self._validators.clear()
            found = (schema, self._compiler.compile(schema if isinstance(schema, dict) else {}))
            self._validators[id(schema)] = found
        return found[1]

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
        properties = schema.get("properties") or {}
        if depth >= _DEEP:  # a recursive schema ends: only what is required
            required = set(schema.get("required") or ())
            properties = {k: v for k, v in properties.items() if k in required}
        for prop, sub in properties.items():
            if prop in echo and self._fits(sub, echo[prop]):
                result[prop] = echo[prop]
            else:
                result[prop] = self._leaf(sub, rng, echo, prop, depth + 1)
        self._keep_order(result, properties)
        extra = schema.get("additionalProperties")
        if not schema.get("properties") and isinstance(extra, dict) and depth < 6:
            # A map: a few realistic keys.
            for _ in range(rng.randint(max(schema.get("minProperties", 1), 1), max(schema.get("maxProperties", 4), 1))):
                result[self.faker.word().lower() + "_" + self.faker.word().lower()] = self._value(extra, rng, echo, "", depth + 1)
        return result

    def _leaf(self, schema: Any, rng: random.Random, echo: Mapping[str, Any], name: str, depth: int) -> Any:
        """A property's value; a scalar is drawn again (without echoes) while it breaks its own
        schema (objects and arrays are made of such values, and the whole is checked at the end)."""
        value = self._value(schema, rng, echo, name, depth)
        for _ in range(ATTEMPTS - 1):
            if isinstance(value, (dict, list)) or self.valid(schema, value):
                break
            value = self._value(schema, rng, {}, name, depth)
        return value

    def _keep_order(self, result: dict[str, Any], properties: Mapping[str, Any]) -> None:
        """Timestamps that name two ends of one thing (createdAt, updatedAt) come in order."""
        for key in list(result):
            for first, second in _ORDERED:
                other = _counterpart(key, first, second)
                if other is None or other not in result:
                    continue
                a, b = result[key], result[other]
                if isinstance(a, str) and isinstance(b, str) and _is_time(a) and _is_time(b) and a > b:
                    if self.valid(properties.get(key, {}), b) and self.valid(properties.get(other, {}), a):
                        result[key], result[other] = b, a

    def _array(self, schema: dict[str, Any], rng: random.Random, echo: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        low = schema.get("minItems", 1 if depth < 4 else 0)
        # A few items, as many as the schema demands: maxItems bounds a list, it does not suggest its size.
        high = max(min(schema.get("maxItems", 5), 5 if depth < 4 else 1), low)
        if depth >= _DEEP:  # a recursive schema ends: as few items as allowed
            high = low
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
        if isinstance(schema.get("pattern"), str):
            return self._matching(schema, rng)
        text = self._text_for(name, rng)
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if len(text) < low:
            text += "".join(rng.choice(string.ascii_lowercase) for _ in range(low - len(text)))
        if high is not None and len(text) > high:
            text = text[:high]
        return text

    def _matching(self, schema: dict[str, Any], rng: random.Random) -> str:
        """A string the pattern matches (rstr draws from the expression), within the length bounds:
        the shortest of a few draws, since unbounded repeats may draw long strings."""
        pattern, low, high = schema["pattern"], schema.get("minLength", 0), schema.get("maxLength")
        xeger = rstr.Rstr(rng)
        found: list[str] = []
        for _ in range(ATTEMPTS):
            try:
                text = xeger.xeger(pattern)
            except Exception:  # an expression rstr cannot draw from (a look-around): the schema check says so
                break
            if re.search(pattern, text) and len(text) >= low and (high is None or len(text) <= high):
                found.append(text)
        return min(found, key=len) if found else "x" * max(low, 1)

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
        if self._compiler is not None:
            return self.valid(schema, value)
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


def _counterpart(key: str, first: str, second: str) -> str | None:
    """``updatedAt`` for ``createdAt`` (any case of the word), None when ``key`` holds no ``first``."""
    for word, other in ((first, second), (first.capitalize(), second.capitalize())):
        if word in key:
            return key.replace(word, other, 1)
    return None


def _is_time(text: str) -> bool:
    return len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-" and text[:4].isdigit()


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
