"""What ``verify`` sends for one operation: a few valid requests and the error cases the mock models.

Valid requests take each parameter's value from ``--param``, then the spec (example, default, first
enum value), then a value generated from its schema (keyed, so two runs send the same requests).
The error cases are the same first request without credentials (401), with one parameter broken at
a time (400), and with an unknown id in the path (404).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from mockserver.generation.rng import keyed_random
from mockserver.generation.values import ValueGenerator
from mockserver.openapi.model import ApiSpec, Operation, Parameter, resolve_pointer

GENERATED = 2  # valid requests with generated values, beside the one from the spec's own values
MAX_BROKEN = 5  # parameters broken one at a time, per operation
UNKNOWN_ID = "verify-unknown-id-0"


@dataclass(frozen=True)
class Probe:
    operation_id: str
    kind: str  # valid | no-credentials | bad-parameter | unknown-id
    label: str
    method: str
    path: str  # filled in, percent-encoded
    query: tuple[tuple[str, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    @property
    def target(self) -> str:
        return self.path + ("?" + urlencode(self.query) if self.query else "")


def credential_headers(spec: ApiSpec, headers: Mapping[str, str]) -> set[str]:
    """The names (lower case) among ``headers`` that carry the spec's credentials."""
    names = {"authorization", "cookie"}
    for scheme in spec.security_schemes.values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            names.add(str(scheme.get("name", "")).lower())
    return {name.lower() for name in headers if name.lower() in names}


def probes_for(spec: ApiSpec, operation: Operation, given: Mapping[str, str], headers: Mapping[str, str]) -> list[Probe]:
    resolve = lambda ref: resolve_pointer(spec.root, ref, spec.source)  # noqa: E731 - a one-line resolver
    generator = ValueGenerator(resolve)
    params = [p for p in operation.parameters if p.location in ("path", "query")]
    body = _body(spec, operation, generator)
    base = dict(headers)
    if body is not None:
        base["Content-Type"] = "application/json"

    def probe(kind: str, label: str, values: Mapping[str, Any], extra: Mapping[str, str] | None = None) -> Probe:
        path = operation.path
        query: list[tuple[str, str]] = []
        for p in params:
            if p.name not in values:
                continue
            text = _text(values[p.name])
            if p.location == "path":
                path = path.replace("{" + p.name + "}", quote(text, safe=""))
            elif isinstance(values[p.name], list) and p.explode:
                query += [(p.name, _text(item)) for item in values[p.name]]
            else:
                query.append((p.name, text))
        return Probe(
            operation.operation_id,
            kind,
            label,
            operation.method,
            path,
            tuple(query),
            dict(base if extra is None else extra),
            body,
        )

    documented = {**_documented(spec, operation), **given}
    first = _ordered(
        {
            p.name: documented[p.name] if p.name in documented else _spec_value(p, generator, 0)
            for p in params
            if p.required or p.name in documented
        }
    )
    found = [probe("valid", "the spec's values", first)]
    for n in range(1, GENERATED + 1):
        values = {p.name: given.get(p.name, _generated(p, generator, operation, n)) for p in params if p.required or n % 2 == 0}
        found.append(probe("valid", f"generated values #{n}", _ordered(values)))
    if operation.security:
        secret = credential_headers(spec, headers)
        found.append(probe("no-credentials", "no credentials", first, {k: v for k, v in base.items() if k.lower() not in secret}))
    broken = 0
    for p in params:
        bad = _invalid(p.schema, resolve)
        if bad is None or p.location == "path" or broken >= MAX_BROKEN:
            continue
        broken += 1
        found.append(probe("bad-parameter", f"invalid {p.name}", {**first, p.name: bad}))
    ids = [p for p in params if p.location == "path"]
    if ids:
        found.append(probe("unknown-id", f"unknown {ids[0].name}", {**first, ids[0].name: UNKNOWN_ID}))
    return found


# Pairs of parameters that bound a range: generated independently, the end often comes first,
# which any vendor refuses; a valid request sends them in order.
_RANGES = (("from", "to"), ("startDate", "endDate"), ("start_date", "end_date"), ("start", "end"), ("since", "until"))


def _ordered(values: dict[str, Any]) -> dict[str, Any]:
    for start, end in _RANGES:
        low, high = values.get(start), values.get(end)
        if isinstance(low, str) and isinstance(high, str) and low[:10] > high[:10]:
            values[start], values[end] = high, low
    return values


def _documented(spec: ApiSpec, operation: Operation) -> dict[str, Any]:
    """Each parameter's own example (the parameter object's ``example`` or first of ``examples``)."""
    item = (spec.root.get("paths") or {}).get(operation.path) or {}
    raw = [*item.get("parameters", []), *(item.get(operation.method.lower()) or {}).get("parameters", [])]
    found: dict[str, Any] = {}
    for parameter in raw:
        if "$ref" in parameter:
            parameter = resolve_pointer(spec.root, parameter["$ref"], spec.source)
        if "example" in parameter:
            found[parameter["name"]] = parameter["example"]
        elif isinstance(parameter.get("examples"), dict) and parameter["examples"]:
            first = next(iter(parameter["examples"].values()))
            if isinstance(first, dict) and "$ref" in first:
                first = resolve_pointer(spec.root, first["$ref"], spec.source)
            if isinstance(first, dict) and "value" in first:
                found[parameter["name"]] = first["value"]
    return found


def _spec_value(p: Parameter, generator: ValueGenerator, n: int) -> Any:
    schema = p.schema
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    return generator.generate(schema, keyed_random("verify", p.name, n))


def _generated(p: Parameter, generator: ValueGenerator, operation: Operation, n: int) -> Any:
    return generator.generate(p.schema, keyed_random("verify", operation.operation_id, p.name, n))


def _invalid(schema: Mapping[str, Any], resolve: Any) -> str | None:
    """A value the schema refuses, or None when it takes any text."""
    while "$ref" in schema:
        schema = resolve(schema["$ref"])
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return "not-a-number"
    if kind == "boolean":
        return "not-a-boolean"
    if schema.get("enum"):
        return "not-an-allowed-value"
    formats = {schema.get("format")} | {branch.get("format") for branch in schema.get("anyOf", []) + schema.get("oneOf", [])}
    if formats & {"date", "date-time"}:
        return "not-a-date"
    if "pattern" in schema:
        return "\u00a7"
    return None


def _body(spec: ApiSpec, operation: Operation, generator: ValueGenerator) -> bytes | None:
    if operation.request_body is None:
        return None
    schema = operation.request_body.content.get("application/json")
    if schema is None:
        return None
    value = (
        schema.get("example")
        if "example" in schema
        else generator.generate(schema, keyed_random("verify-body", operation.operation_id))
    )
    return json.dumps(value).encode()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)
