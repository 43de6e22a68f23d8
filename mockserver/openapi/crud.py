"""Which operations keep what they are sent: collections and items inferred from path shapes.

A path ``P`` and a path ``P/{param}`` form a collection and its items. On them, ``POST P``
creates, ``GET P`` lists, ``GET P/{param}`` reads, ``PUT`` replaces (or updates, see below),
``PATCH`` merges and ``DELETE`` removes. A collection is stateful when the document writes to it
(a create, a replace, a merge or a delete): a read-only listing stays generated.

What a resource looks like comes from the responses: the read's (else the create's) success
schema is the resource, unwrapped when it is an envelope of one object (Botpress answers
``{"bot": {...}}``); the list's success schema holds an array of items (``{"bots": [...],
"meta": {...}}``), unwrapped alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mockserver.openapi.model import Operation

CREATE, LIST, READ, REPLACE, MERGE, DELETE = "create", "list", "read", "replace", "merge", "delete"
WRITES = frozenset({CREATE, REPLACE, MERGE, DELETE})
_ROLES = {("POST", False): CREATE, ("GET", False): LIST, ("GET", True): READ, ("PUT", True): REPLACE}
_ROLES |= {("PATCH", True): MERGE, ("DELETE", True): DELETE}

Resolve = Callable[[str], Any]
# Query parameters that page a list, by what they carry.
TOKEN_PARAMS = ("nextToken", "next_token", "pageToken", "page_token", "cursor", "continuationToken", "after")
SIZE_PARAMS = ("limit", "pageSize", "page_size", "per_page", "perPage", "maxResults", "max_results")
OFFSET_PARAMS = ("offset", "skip")
PAGE_PARAMS = ("page",)


@dataclass(frozen=True)
class Paging:
    """How a list operation is paged: the query parameters it declares for it (None: not
    declared), and its success schema (the envelope the page goes in)."""

    envelope: dict[str, Any]
    token: str | None = None
    size: str | None = None
    offset: str | None = None
    page: str | None = None

    @classmethod
    def of(cls, operation: Operation, resolve: Resolve) -> Paging:
        names = {p.name for p in operation.parameters if p.location == "query"}

        def first(candidates: tuple[str, ...]) -> str | None:
            return next((n for n in candidates if n in names), None)

        envelope = success_schema(operation, resolve) or {}
        return cls(envelope, first(TOKEN_PARAMS), first(SIZE_PARAMS), first(OFFSET_PARAMS), first(PAGE_PARAMS))


@dataclass(frozen=True)
class Shape:
    """Where the resource sits in a response body: at the top, or under one property."""

    schema: dict[str, Any]  # the resource's (or a listed item's) schema
    key: str | None = None  # the envelope's property holding it, or None


@dataclass
class Collection:
    """One collection path with its item path and the operations on them, by role."""

    path: str  # the template, e.g. /v1/admin/bots (or /v1/workspaces/{wid}/members)
    item: str  # e.g. /v1/admin/bots/{id}
    id_param: str  # the item path's last parameter
    operations: dict[str, Operation] = field(default_factory=dict)  # role -> operation
    resource: Shape | None = None  # the read's (or create's) resource
    listed: Shape | None = None  # the list's items
    paging: Paging | None = None  # the list's paging

    @property
    def id_name(self) -> str:
        """The resource's id property (a stateful collection has one)."""
        assert self.resource is not None
        return id_field(self.resource.schema, self.id_param) or "id"

    @property
    def stateful(self) -> bool:
        """Written to, with a resource that has an id (a "resource" without one is no item)."""
        return (
            bool(WRITES & set(self.operations))
            and self.resource is not None
            and id_field(self.resource.schema, self.id_param) is not None
        )


def infer(operations: Iterable[Operation], resolve: Resolve, excluded: Iterable[str] = ()) -> dict[str, tuple[Collection, str]]:
    """operationId -> (collection, role) for every stateful collection's operations.

    ``excluded`` operations (a profile's handlers, the config's ``stateless``) take no part.
    """
    skip = set(excluded)
    by_path: dict[str, list[Operation]] = {}
    for operation in operations:
        if operation.operation_id not in skip:
            by_path.setdefault(operation.path, []).append(operation)
    found: dict[str, tuple[Collection, str]] = {}
    for item_path, item_operations in by_path.items():
        match = re.fullmatch(r"(.+)/\{([^}/]+)\}", item_path)
        if not match or match.group(1) not in by_path:
            continue
        collection = Collection(match.group(1), item_path, match.group(2))
        for operation, is_item in [*((o, False) for o in by_path[collection.path]), *((o, True) for o in item_operations)]:
            role = _ROLES.get((operation.method, is_item))
            if role is not None:
                collection.operations[role] = operation
        source = collection.operations.get(READ) or collection.operations.get(CREATE)
        collection.resource = _shape(source, resolve, collection.id_param, listed=False) if source else None
        lister = collection.operations.get(LIST)
        collection.listed = _shape(lister, resolve, collection.id_param, listed=True) if lister else None
        if lister is not None and collection.listed is None:
            del collection.operations[LIST]  # a listing that holds no array of items stays generated
        elif lister is not None:
            collection.paging = Paging.of(lister, resolve)
        if collection.stateful:
            for role, operation in collection.operations.items():
                found[operation.operation_id] = (collection, role)
    return found


def deref(schema: Any, resolve: Resolve) -> dict[str, Any]:
    """``schema`` with its top-level ``$ref`` chain followed (and a lone ``allOf`` member taken)."""
    seen = 0
    while isinstance(schema, dict) and seen < 32:
        seen += 1
        if "$ref" in schema:
            schema = resolve(schema["$ref"])
        elif list(schema) == ["allOf"] and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            break
    return schema if isinstance(schema, dict) else {}


def success_schema(operation: Operation, resolve: Resolve) -> dict[str, Any] | None:
    response = operation.response_for(operation.success_status)
    if response is None or not response.content:
        return None
    schema = next(iter(response.content.values()))
    return deref(schema, resolve) if schema else None


def _shape(operation: Operation, resolve: Resolve, id_param: str, listed: bool) -> Shape | None:
    schema = success_schema(operation, resolve)
    if schema is None:
        return None
    if listed:
        if schema.get("type") == "array" or "items" in schema:
            return Shape(deref(schema.get("items", {}), resolve))
        arrays = [
            name
            for name, sub in (schema.get("properties") or {}).items()
            if deref(sub, resolve).get("type") == "array" or "items" in deref(sub, resolve)
        ]
        if len(arrays) != 1:
            return None
        return Shape(deref(deref(schema["properties"][arrays[0]], resolve).get("items", {}), resolve), arrays[0])
    properties = schema.get("properties") or {}
    if "id" in properties or id_param in properties:
        return Shape(schema)
    objects = [name for name, sub in properties.items() if deref(sub, resolve).get("type") == "object"]
    if len(objects) == 1 and (len(properties) == 1 or objects[0] in schema.get("required", ())):
        return Shape(deref(properties[objects[0]], resolve), objects[0])
    return Shape(schema)


def id_field(resource: dict[str, Any], id_param: str) -> str | None:
    """The property holding a resource's id: ``id``, else one named like the path parameter."""
    properties = resource.get("properties") or {}
    return next((name for name in ("id", id_param, "_id", "uuid") if name in properties), None)
