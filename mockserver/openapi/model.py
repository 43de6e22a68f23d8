"""The parts of an OpenAPI document the engine uses, resolved once at start-up.

Schemas stay as JSON Schema mappings (with their ``$ref``s); everything else (parameters,
request bodies, responses) is resolved into small frozen records so no request walks the spec.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mockserver.errors import SpecError

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "path" | "query" | "header" | "cookie"
    required: bool
    schema: dict[str, Any]
    style: str
    explode: bool
    media: str | None = None  # a parameter declared with ``content`` (its value is that media type, say JSON)


@dataclass(frozen=True)
class RequestBody:
    required: bool
    content: dict[str, dict[str, Any]]  # media type -> schema


@dataclass(frozen=True)
class ResponseSpec:
    status: str  # "200", "4XX" or "default"
    content: dict[str, dict[str, Any]]  # media type -> schema ({} when the media type has none)
    headers: dict[str, dict[str, Any]]  # header name -> header object
    examples: dict[str, Any] = field(default_factory=dict)  # example name -> value, over all media types


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # the template, e.g. /v1/admin/bots/{id}/analytics
    operation_id: str
    parameters: tuple[Parameter, ...]
    security: tuple[dict[str, list[str]], ...]  # alternatives; empty tuple: public
    request_body: RequestBody | None
    responses: dict[str, ResponseSpec]
    links: dict[str, dict[str, Any]] = field(default_factory=dict)

    def response_for(self, status: int) -> ResponseSpec | None:
        """The declared response for ``status``: exact code, then ``4XX``-style range, then default."""
        return self.responses.get(str(status)) or self.responses.get(f"{str(status)[0]}XX") or self.responses.get("default")

    def declares(self, status: int) -> bool:
        return str(status) in self.responses or f"{str(status)[0]}XX" in self.responses

    @cached_property
    def success_status(self) -> int:
        """The lowest 2xx status it declares (200 when none is); asked on every answer."""
        codes = sorted(int(code) for code in self.responses if code.isdigit() and code.startswith("2"))
        return codes[0] if codes else 200

    @cached_property
    def query_names(self) -> frozenset[str] | None:
        """The query parameters it declares, or None when any key is declared (an object spread
        over the query: form style, exploded); asked of every new request's query."""
        query = [p for p in self.parameters if p.location == "query"]
        if any(p.style == "form" and p.explode and p.schema.get("type") == "object" for p in query):
            return None
        return frozenset(p.name for p in query)


@dataclass(frozen=True)
class ApiSpec:
    source: str
    document: dict[str, Any]  # as served (vendor document plus overlay)
    root: dict[str, Any]  # normalised copy that $refs in schemas resolve against
    operations: tuple[Operation, ...]
    security_schemes: dict[str, dict[str, Any]]


def build_spec(document: dict[str, Any], source: str) -> ApiSpec:
    """Resolve a validated OpenAPI document into operations."""
    root = normalise_schemas(document) if str(document["openapi"]).startswith("3.0") else document
    default_security = root.get("security", [])
    operations: list[Operation] = []
    seen_ids: set[str] = set()
    for path, item in (root.get("paths") or {}).items():
        item = _deref(root, item, source)
        shared = [_deref(root, p, source) for p in item.get("parameters", [])]
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            op_id = op.get("operationId") or f"{method}_{path}"
            if op_id in seen_ids:
                raise SpecError(source, f"operationId {op_id!r} is used twice")
            seen_ids.add(op_id)
            params = {(p["name"], p["in"]): p for p in shared}
            params.update({(p["name"], p["in"]): p for p in (_deref(root, p, source) for p in op.get("parameters", []))})
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=op_id,
                    parameters=tuple(_parameter(p) for p in params.values()),
                    security=tuple(op.get("security", default_security)),
                    request_body=_request_body(root, op.get("requestBody"), source),
                    responses={
                        str(code): _response(root, resp, str(code), source) for code, resp in (op.get("responses") or {}).items()
                    },
                    links={
                        str(code): _deref(root, resp, source).get("links", {})
                        for code, resp in (op.get("responses") or {}).items()
                    },
                )
            )
    if not operations:
        raise SpecError(source, "the document declares no operations under 'paths'")
    schemes = {
        name: _deref(root, scheme, source)
        for name, scheme in ((root.get("components") or {}).get("securitySchemes") or {}).items()
    }
    return ApiSpec(source, document, root, tuple(operations), schemes)


def resolve_pointer(root: dict[str, Any], ref: str, source: str = "spec") -> Any:
    """Follow a local ``#/a/b`` reference."""
    if not ref.startswith("#"):
        raise SpecError(source, f"only local $refs are supported, found {ref!r}")
    node: Any = root
    for token in ref[1:].split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError) as exc:
            raise SpecError(source, f"$ref {ref!r} points at nothing") from exc
    return node


def _deref(root: dict[str, Any], node: Any, source: str) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        node = resolve_pointer(root, node["$ref"], source)
        seen += 1
        if seen > 32:
            raise SpecError(source, "a $ref chain loops")
    return node


def _parameter(p: dict[str, Any]) -> Parameter:
    location = p["in"]
    style = p.get("style") or ("form" if location in ("query", "cookie") else "simple")
    # A parameter with ``content`` has exactly one media type, whose schema is the value's.
    media, declared = next(iter((p.get("content") or {}).items()), (None, None))
    schema = (declared or {}).get("schema") if media else p.get("schema")
    return Parameter(
        name=p["name"],
        location=location,
        required=bool(p.get("required", location == "path")),
        schema=schema or {},
        style=style,
        explode=bool(p.get("explode", style == "form")),
        media=media,
    )


def _request_body(root: dict[str, Any], body: Any, source: str) -> RequestBody | None:
    if body is None:
        return None
    body = _deref(root, body, source)
    content = {mt: (media or {}).get("schema") or {} for mt, media in (body.get("content") or {}).items()}
    return RequestBody(required=bool(body.get("required", False)), content=content)


def _response(root: dict[str, Any], resp: Any, status: str, source: str) -> ResponseSpec:
    resp = _deref(root, resp, source)
    content = {mt: (media or {}).get("schema") or {} for mt, media in (resp.get("content") or {}).items()}
    headers = {name: _deref(root, h, source) for name, h in (resp.get("headers") or {}).items()}
    examples: dict[str, Any] = {}
    for media in (resp.get("content") or {}).values():
        media = media or {}
        for name, example in (media.get("examples") or {}).items():
            example = _deref(root, example, source)
            if isinstance(example, dict) and "value" in example:
                examples.setdefault(name, example["value"])
        if "example" in media:
            examples.setdefault("default", media["example"])
    return ResponseSpec(status=status, content=content, headers=headers, examples=examples)


def normalise_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite OpenAPI 3.0 schema dialect into JSON Schema 2020-12, on a copy.

    3.0's ``nullable`` and boolean ``exclusiveMinimum``/``exclusiveMaximum`` are the only
    differences that change what validates; they never appear with those value types outside
    schemas, so a walk over the whole document is safe.
    """
    doc = copy.deepcopy(document)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("nullable") is True:
                node.pop("nullable")
                if "type" in node:
                    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
                    node["type"] = [*types, "null"]
                if "enum" in node and None not in node["enum"]:
                    node["enum"] = [*node["enum"], None]
            elif node.get("nullable") is False:
                node.pop("nullable")
            for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
                if isinstance(node.get(bound), bool):
                    if node.pop(bound) and limit in node:
                        node[bound] = node.pop(limit)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return doc
