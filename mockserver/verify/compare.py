"""What ``verify`` compares for one probe: the vendor's answer against the mock's and against the spec.

Each difference is a ``Finding`` named by (operation, check, location); a location holds JSON
pointers with ``*`` for array items, so the same drift in many records or requests is one finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mockserver.openapi.model import ApiSpec, Operation
from mockserver.profiles.base import Profile
from mockserver.validation.schema import SchemaCompiler
from mockserver.verify.exchange import Reply
from mockserver.verify.probes import Probe

# Every check, in the order reports list them.
CHECKS = (
    "transport",
    "status",
    "declared-status",
    "content-type",
    "undeclared-field",
    "missing-field",
    "type",
    "format",
    "enum",
    "schema",
    "error-body",
    "headers",
    "invariant",
)
# A body that breaks the spec this way is reported as such; its numbers are not held to invariants.
_SCHEMA_CHECKS = frozenset({"content-type", "missing-field", "type", "format", "enum", "schema"})
_BY_VALIDATOR = {"required": "missing-field", "type": "type", "format": "format", "enum": "enum", "const": "enum"}
# Headers whose presence a client may rely on; other headers differ between any two servers.
_WATCHED = ("retry-after", "ratelimit-", "x-ratelimit-", "location", "content-disposition")


@dataclass
class Finding:
    operation_id: str
    check: str
    location: str
    message: str
    probe: Probe
    # For the overlay: (JSON path of the schema or responses object to extend, what to add).
    proposal: tuple[list[str], dict[str, Any]] | None = None
    seen: int = 1

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.operation_id, self.check, self.location)


@dataclass
class Comparison:
    spec: ApiSpec
    profile: Profile | None = None  # the vendor's invariants (Profile.invariants)
    compiler: SchemaCompiler = field(init=False)

    def __post_init__(self) -> None:
        self.compiler = SchemaCompiler(self.spec.root)

    def findings(self, operation: Operation, probe: Probe, vendor: Reply, mock: Reply) -> list[Finding]:
        found: list[Finding] = []

        def add(check: str, location: str, message: str, proposal: tuple[list[str], dict[str, Any]] | None = None) -> None:
            found.append(Finding(operation.operation_id, check, location, message, probe, proposal))

        if vendor.status is None:
            failure = vendor.failure or "no answer"
            add("transport", "timeout" if failure.startswith("no answer") else "connection", failure)
            return found
        if vendor.status != mock.status:
            add(
                "status",
                f"mock {mock.status}, vendor {vendor.status}",
                f"{probe.label}: the vendor answered {vendor.status}, the mock {mock.status}",
            )
        body = _json(vendor.body) if vendor.media_type.endswith("json") else None
        responses = ["paths", operation.path, operation.method.lower(), "responses"]
        if not operation.declares(vendor.status):
            add(
                "declared-status",
                str(vendor.status),
                f"the vendor answered {vendor.status}, which the spec does not declare",
                (responses, {str(vendor.status): _declared_response(vendor, body)}),
            )
        declared = operation.response_for(vendor.status)
        if declared is not None and declared.content and vendor.body and vendor.media_type not in declared.content:
            add(
                "content-type",
                str(vendor.status),
                f"{vendor.media_type or 'no type'}; the spec declares {', '.join(declared.content)}",
            )
        elif declared is not None and body is not None and declared.content.get(vendor.media_type):
            status_key = _status_key(operation, vendor.status)
            schema_path = [*responses, status_key, "content", vendor.media_type, "schema"]
            self._schema(schema_path, body, add)
        well_formed = not any(f.check in _SCHEMA_CHECKS for f in found)  # else its numbers mean little
        if 200 <= vendor.status < 300 and body is not None and self.profile is not None and well_formed:
            for where, message in self.profile.invariants(operation.operation_id, body):
                add("invariant", where, message)
        if vendor.status >= 400 and mock.status is not None and mock.status >= 400:
            expected = _json(mock.body)
            for where, message in _shape_differences(expected, body, ""):
                add("error-body", where or "/", message)
        for name in sorted(set(vendor.headers) | set(mock.headers)):
            if not name.startswith(_WATCHED) or (name in vendor.headers) == (name in mock.headers):
                continue
            who = "the vendor sends it, the mock does not" if name in vendor.headers else "the mock sends it, the vendor does not"
            add("headers", name, f"{name} on a {vendor.status}: {who}")
        return found

    def _schema(self, schema_path: list[str], body: Any, add: Any) -> None:
        _, schema_path = _follow(self.spec.root, schema_path)
        schema = {"$ref": "#" + "".join("/" + _escape(part) for part in schema_path)}
        for error in self.compiler.compile(schema).iter_errors(body):
            check = _BY_VALIDATOR.get(str(error.validator), "schema")
            if error.validator == "additionalProperties":
                continue  # reported below as undeclared fields, with a proposal
            where = _pointer(error.absolute_path)
            if error.validator == "required":
                missing = str(error.message).split("'")[1] if "'" in str(error.message) else ""
                where = f"{where.rstrip('/')}/{missing}"
            add(check, where or "/", _short(error.message))
        for where, target, value in _undeclared(self.spec.root, schema_path, body, []):
            add(
                "undeclared-field",
                where,
                "a field the spec does not declare",
                (target, {"properties": {where.rsplit("/", 1)[1]: infer(value)}}),
            )


def undeclared_fields(root: dict[str, Any], schema_path: list[str], value: Any) -> list[str]:
    """Where ``value`` has members the schema at ``schema_path`` of the document does not declare
    (JSON pointers, ``*`` for any item of an array)."""
    return [where for where, _, _ in _undeclared(root, schema_path, value, [])]


def _undeclared(root: dict[str, Any], path: list[str], value: Any, at: list[str]) -> list[tuple[str, list[str], Any]]:
    """(instance location, path of the object schema to extend, value) for each undeclared member."""
    node, path = _follow(root, path)
    if not isinstance(node, dict):
        return []
    found: list[tuple[str, list[str], Any]] = []
    if isinstance(value, dict):
        declared: dict[str, list[str]] = {}
        for branch in [path, *([*path, "allOf", str(i)] for i in range(len(node.get("allOf", []))))]:
            branch_node, branch_path = _follow(root, branch)
            for name in (branch_node or {}).get("properties", {}):
                declared.setdefault(name, [*branch_path, "properties", name])
        extra = node.get("additionalProperties")
        if not declared and not any(k in node for k in ("anyOf", "oneOf")):
            return []  # a free-form object: nothing is undeclared
        for name, item in value.items():
            if name in declared:
                found += _undeclared(root, declared[name], item, [*at, name])
            elif isinstance(extra, dict):
                found += _undeclared(root, [*path, "additionalProperties"], item, [*at, name])
            elif "patternProperties" not in node and declared:  # additionalProperties false or not
                found.append(("/" + "/".join([*at, name]), path, item))
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            found += _undeclared(root, [*path, "items"], item, [*at, "*"])
    unique = {where: (where, target, item) for where, target, item in found}
    return list(unique.values())


def _follow(root: dict[str, Any], path: list[str]) -> tuple[Any, list[str]]:
    """The node at ``path``, following ``$ref``s on the way and at the end, and the path it is at."""
    node: Any = root
    at: list[str] = []
    for part in [*path, None]:
        for _ in range(32):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/")):
                break
            at = [p.replace("~1", "/").replace("~0", "~") for p in node["$ref"][2:].split("/")]
            node = root
            for step in at:
                node = node.get(step) if isinstance(node, dict) else None
        if part is None:
            return node, at
        node = node.get(part) if isinstance(node, dict) else None
        at = [*at, part]
    return node, at


def _status_key(operation: Operation, status: int) -> str:
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in operation.responses:
            return key
    return str(status)


def _declared_response(reply: Reply, body: Any) -> dict[str, Any]:
    response: dict[str, Any] = {"description": f"Answered by the vendor (found by mockserver verify, {reply.status})."}
    if reply.media_type:
        response["content"] = {reply.media_type: {"schema": infer(body) if body is not None else {}}}
    return response


def infer(value: Any) -> dict[str, Any]:
    """A schema of ``value``'s shape: types only, never the value (it may be someone's data)."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        return {"type": "array", "items": infer(value[0]) if value else {}}
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: infer(v) for k, v in value.items()}}
    return {}


def _shape_differences(expected: Any, actual: Any, at: str) -> list[tuple[str, str]]:
    """Where ``actual`` has another shape than ``expected``: members missing or added, other types."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [(f"{at}/{k}", "the mock's error body has it, the vendor's does not") for k in expected if k not in actual]
        found += [(f"{at}/{k}", "the vendor's error body has it, the mock's does not") for k in actual if k not in expected]
        for key in expected.keys() & actual.keys():
            found += _shape_differences(expected[key], actual[key], f"{at}/{key}")
        return found
    if _kind(expected) != _kind(actual):
        return [(at, f"the vendor's error body has {_kind(actual)} here, the mock's {_kind(expected)}")]
    return []


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array", dict: "an object"}.get(
        type(value), "something else"
    )


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _pointer(path: Any) -> str:
    return "/" + "/".join("*" if isinstance(part, int) else str(part) for part in path) if path else "/"


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[:limit] + " ..."
