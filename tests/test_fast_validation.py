"""The compiled checks (mockserver/validation/fast.py) agree with jsonschema on every parameter and
response body of every bundled spec: same yes or no, for values a client could send and odd ones."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import Settings, create_app
from mockserver.openapi.model import resolve_pointer
from mockserver.validation.fast import compile_check
from mockserver.validation.schema import SchemaCompiler

APP = create_app(Settings())
PARAMETERS = [(vendor.spec, op, p) for vendor in APP.vendors.values() for op in vendor.spec.operations for p in op.parameters]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.uuids().map(str),
    st.sampled_from(
        [
            "1974-1-1",
            "2025-02-30",
            "2025-01-31T00:00:00+01:00",
            "0",
            "-1",
            "3600",
            "86400",
            "last7days",
            "day",
            "messenger",
            "5b07ffafc2376e30306d9b16",
            "",
        ]
    ),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4))


def test_every_bundled_parameter_has_a_fast_check() -> None:
    missing = [
        f"{spec.source}: {op.operation_id}.{p.name}"
        for spec, op, p in PARAMETERS
        if compile_check(p.schema, lambda ref, spec=spec: resolve_pointer(spec.root, ref)) is None
    ]
    assert not missing, missing


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(PARAMETERS) - 1), value=VALUES, enum_pick=st.integers(0, 50))
def test_fast_checks_agree_with_jsonschema(index: int, value: Any, enum_pick: int) -> None:
    spec, operation, parameter = PARAMETERS[index]
    resolve = lambda ref: resolve_pointer(spec.root, ref)
    fast = compile_check(parameter.schema, resolve)
    assert fast is not None
    slow = SchemaCompiler(spec.root).compile(parameter.schema)
    for candidate in (value, *_edges(parameter.schema, resolve, enum_pick)):
        assert fast(candidate) == slow.is_valid(candidate), (operation.operation_id, parameter.name, candidate)


def _edges(schema: Any, resolve: Any, pick: int, depth: int = 0) -> list[Any]:
    """Values at the schema's edges: its bounds and one past them, lengths at the limits, an enum
    member (alone and in a list), through $ref and every anyOf/oneOf branch."""
    while isinstance(schema, dict) and "$ref" in schema and depth < 8:
        schema, depth = resolve(schema["$ref"]), depth + 1
    if not isinstance(schema, dict) or depth > 8:
        return []
    found: list[Any] = []
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(schema.get(key), (int, float)):
            bound = schema[key]
            found += [bound, bound - 1, bound + 1, float(bound), bound + 0.5]
    for key in ("minLength", "maxLength"):
        if isinstance(schema.get(key), int):
            found += ["7" * schema[key], "7" * (schema[key] + 1), "7" * max(schema[key] - 1, 0)]
    if schema.get("enum"):
        member = schema["enum"][pick % len(schema["enum"])]
        found += [member, [member], [member, member]]
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key, []):
            found += _edges(branch, resolve, pick, depth + 1)
    if isinstance(schema.get("items"), dict):
        found += [[edge] for edge in _edges(schema["items"], resolve, pick, depth + 1)]
    return found


COMBINED = [
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},  # a whole number is both: oneOf refuses it
    {"oneOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 4}]},
    {"anyOf": [{"type": "integer", "minimum": 3}, {"type": "string", "format": "date"}]},
    {"oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "number", "minimum": 0}]},
]


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, len(COMBINED) - 1), value=VALUES)
def test_combined_checks_agree_with_jsonschema(index: int, value: Any) -> None:
    """anyOf and oneOf of two branches (checked without a generator) and of more."""
    schema = COMBINED[index]
    fast = compile_check(schema, lambda ref: None)
    assert fast is not None
    slow = SchemaCompiler({}).compile(schema)
    for candidate in (value, 3, 2, 2.5, -1.0, "2025-01-31", "abc", "abcde"):
        assert fast(candidate) == slow.is_valid(candidate), (schema, candidate)


# Every response body schema of every bundled spec that has a fast check (objects, arrays, allOf),
# for the check of fixtures at start-up: a body the generator makes, then changed in one place.
BODIES = [
    (vendor, schema)
    for vendor in APP.vendors.values()
    for op in vendor.spec.operations
    for response in op.responses.values()
    for schema in response.content.values()
    if schema and compile_check(schema, lambda ref, spec=vendor.spec: resolve_pointer(spec.root, ref)) is not None
]


def test_most_response_bodies_have_a_fast_check() -> None:
    every = [
        s
        for v in APP.vendors.values()
        for op in v.spec.operations
        for r in op.responses.values()
        for s in r.content.values()
        if s
    ]
    assert len(BODIES) >= 0.9 * len(every)


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(0, len(BODIES) - 1),
    seed=st.integers(0, 2**32),
    where=st.integers(0, 10**6),
    change=st.integers(0, 3),
    value=SCALARS,
)
def test_fast_body_checks_agree_with_jsonschema(index: int, seed: int, where: int, change: int, value: Any) -> None:
    vendor, schema = BODIES[index]
    fast = compile_check(schema, lambda ref: resolve_pointer(vendor.spec.root, ref))
    assert fast is not None
    slow = SchemaCompiler(vendor.spec.root).compile(schema)
    body = vendor.generator.generate(schema, random.Random(seed))
    assert fast(body) == slow.is_valid(body)
    changed = _changed(body, where, change, value)
    assert fast(changed) == slow.is_valid(changed), (schema, changed)


def _changed(body: Any, where: int, change: int, value: Any) -> Any:
    """``body`` with one node (picked by ``where``) replaced by ``value``, or a member of an object
    dropped, or one added, or a list emptied."""
    nodes: list[tuple[Any, Any]] = []  # (container, key) of every node below the root

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                nodes.append((node, key))
                walk(item)
        elif isinstance(node, list):
            for key, item in enumerate(node):
                nodes.append((node, key))
                walk(item)

    body = copy.deepcopy(body)
    walk(body)
    if not nodes:
        return value if change == 0 else body
    container, key = nodes[where % len(nodes)]
    if change == 0 or (change == 1 and isinstance(container, list)):  # (a list's member is not dropped)
        container[key] = value
    elif change == 1:
        del container[key]
    elif change == 2 and isinstance(container, dict):
        container["unexpectedMember"] = value
    else:
        target = container[key]
        if isinstance(target, (list, dict)):
            target.clear()
        else:
            container[key] = [value]
    return body


def test_enum_members_compare_as_json_at_any_depth() -> None:
    """[True] is not [1] to jsonschema, [1.0] is [1], and so for the fast check."""
    schema = {"enum": [[1], {"a": True}, [{"b": [False]}]]}
    fast = compile_check(schema, lambda ref: None)
    slow = SchemaCompiler({}).compile(schema)
    assert fast is not None
    for candidate in ([1], [True], [1.0], {"a": True}, {"a": 1}, [{"b": [False]}], [{"b": [0]}], [{"b": [False], "c": 1}], 1):
        assert fast(candidate) == slow.is_valid(candidate), candidate
