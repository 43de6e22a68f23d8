"""Writes that stick: the answers of the collections ``openapi/crud.py`` infers, kept in ``state/``.

A resource created with POST is what GET returns; PUT and PATCH change it; DELETE removes it (a
later GET is the vendor's 404); the list lists it, a page at a time. Each session (and the
requests outside any) has resources of its own, in the state store, so every worker and every
store agrees. Where the vendor's world already holds entities of a collection (Botpress's bots),
the profile names them (``Profile.world_resources``) and they are listed and read like written
ones, until a write replaces or deletes them in that session.

Values are a function of (seed, vendor, collection, id): the fields a client did not write are
generated from the resource's schema, the client's are kept where its schema allows them (the
request body was validated before), and the server's (``id``, ``createdAt``, ``updatedAt``)
are set here.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid as _uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from mockserver.errors import INVALID_PARAMETER, NOT_FOUND, STORAGE_FULL, Problem
from mockserver.generation.rng import keyed_random
from mockserver.generation.values import ValueGenerator
from mockserver.openapi.crud import CREATE, DELETE, LIST, READ, REPLACE, Collection, Resolve, Shape, deref, success_schema
from mockserver.openapi.model import Operation
from mockserver.profiles.base import Call, Profile, Reply
from mockserver.state import StateFull
from mockserver.timeutil import iso_ms
from mockserver.validation.schema import shorten

CREATED_NAMES = ("createdAt", "created_at", "created", "creationDate")
UPDATED_NAMES = ("updatedAt", "updated_at", "updated", "modifiedAt", "modified_at", "lastModified")
# The body fields of a list's envelope that answer its paging (crud.Paging names the parameters).
TOKEN_FIELDS = ("nextToken", "next_token", "nextPageToken", "next_page_token", "nextCursor", "next_cursor", "cursor")
TOTAL_FIELDS = ("total", "totalCount", "total_count", "totalItems", "total_items")
# A list's page when neither the request nor the document says how long one is.
PAGE_SIZE = 20
_MISSING = object()
_ANY: dict[str, Any] = {}  # the schema of a property no schema describes (one object: validators are kept by id)


class Stored:
    """One vendor's stateful operations."""

    def __init__(
        self,
        profile: Profile,
        roles: dict[str, tuple[Collection, str]],
        operations: Iterable[Operation],
        generator: ValueGenerator,
        resolve: Resolve,
    ) -> None:
        self.profile, self.roles, self.generator, self._resolve = profile, roles, generator, resolve
        # Operations under a kept item (/workspaces/{id}/usages under /workspaces/{id}): once the
        # item is deleted they answer its 404 too.
        collections = {c.item: c for c, _ in roles.values()}
        self.parents: dict[str, list[Collection]] = {}
        for operation in operations:
            if operation.operation_id not in roles:
                above = [c for item, c in collections.items() if operation.path.startswith(item + "/")]
                if above:
                    self.parents[operation.operation_id] = above

    def __contains__(self, operation_id: str) -> bool:
        return operation_id in self.roles

    def __call__(self, call: Call) -> Reply:
        collection, role = self.roles[call.operation.operation_id]
        call.stateful = True  # never from the answer cache: it reads and writes the store
        where = _fill(collection.path, call.params)
        if role == CREATE:
            return self._create(call, collection, where)
        if role == LIST:
            return self._list(call, collection, where)
        resource_id = str(call.params[collection.id_param])
        record = self._find(call, collection, where, resource_id)
        if role == READ:
            return self._reply(call, collection.resource, record)
        if role == DELETE:
            self._put(call, where, resource_id, None)
            return self._reply(call, collection.resource, record)
        replaced = self._replace(call, collection, where, record) if role == REPLACE else self._merge(call, collection, record)
        self._put(call, where, resource_id, replaced)
        return self._reply(call, collection.resource, replaced)

    def check_parents(self, call: Call) -> None:
        """A 404 when the item an operation lies under was deleted in this session.

        An item never written stays as the world has it (any Botpress bot id is a bot)."""
        for collection in self.parents.get(call.operation.operation_id, ()):
            where = _fill(collection.path, call.params)
            resource_id = str(call.params.get(collection.id_param, ""))
            kept, record = call.server.state.resource(call.vendor, call.session, where, resource_id)
            if kept and record is None:
                raise Problem(
                    NOT_FOUND,
                    f"{_noun(collection)} {shorten(resource_id)} not found (it was deleted).",
                    "path",
                    collection.id_param,
                )

    # --- the roles -------------------------------------------------------------------------------
    def _create(self, call: Call, collection: Collection, where: str) -> Reply:
        shape = collection.resource
        assert shape is not None  # a stateful collection has one
        name = collection.id_name
        id_schema = deref((shape.schema.get("properties") or {}).get(name, {}), self._resolve)
        state = call.server.state
        for _ in range(8):  # a generated id may repeat one a client chose: take the next number
            number = state.resource_number(call.vendor, call.session, where)
            resource_id = self._new_id(call, where, number, id_schema)
            record = self._build(call, shape.schema, where, resource_id, call.body, name)
            if self._put(call, where, resource_id, record, new=True):
                return self._reply(call, shape, record)
        raise Problem(
            STORAGE_FULL,
            f"No free id was found in {where}; reset the session (POST /__mock/reset).",
            code=self.profile.storage_full_status,
        )

    def _list(self, call: Call, collection: Collection, where: str) -> Reply:
        listed, paging = collection.listed, collection.paging
        assert listed is not None and paging is not None  # a list role is given only with a listing shape
        records = self._all(call, collection, where)
        params = call.params
        size = PAGE_SIZE
        if paging.size is not None and isinstance(params.get(paging.size), int) and params[paging.size] > 0:
            size = params[paging.size]
        start = 0
        if paging.token is not None and params.get(paging.token) not in (None, ""):
            start = _offset(str(params[paging.token]), paging.token)
        elif paging.offset is not None and isinstance(params.get(paging.offset), int):
            start = max(params[paging.offset], 0)
        elif paging.page is not None and isinstance(params.get(paging.page), int):
            start = max(params[paging.page] - 1, 0) * size
        items = [self._fit(call, listed.schema, record, where) for record in records[start : start + size]]
        following = _token(start + size) if start + size < len(records) else None
        if listed.key is None:
            return self._status(call, items)
        envelope = self._generated(call, paging.envelope, where, "list")
        if not isinstance(envelope, dict):
            envelope = {}
        envelope[listed.key] = items
        self._paged(envelope, paging.envelope, following, len(records), 0)
        return self._status(call, envelope)

    def _replace(self, call: Call, collection: Collection, where: str, record: dict[str, Any]) -> dict[str, Any]:
        """PUT: a body schema that requires fields replaces the resource (keeping its id and
        creation time); one that requires none is a partial update, as Botpress's ``updateBot``."""
        assert collection.resource is not None
        if not self._request_schema(call).get("required"):
            return self._merge(call, collection, record)
        name = collection.id_name
        return self._build(call, collection.resource.schema, where, str(record.get(name)), call.body, name, record)

    def _merge(self, call: Call, collection: Collection, record: dict[str, Any]) -> dict[str, Any]:
        assert collection.resource is not None
        schema = collection.resource.schema
        rng = keyed_random(call.seed, call.vendor, "resource", call.request_key)
        merged = self._merged(record, call.body, schema, rng)
        name = collection.id_name
        merged[name] = record.get(name)  # the id stays
        self._stamp(call, schema, merged, created=False)
        return merged if self._valid(merged, schema) else record

    # --- records ---------------------------------------------------------------------------------
    def _find(self, call: Call, collection: Collection, where: str, resource_id: str) -> dict[str, Any]:
        kept, record = call.server.state.resource(call.vendor, call.session, where, resource_id)
        if kept and record is not None:
            return record
        if not kept:
            for entry in self._world(call, collection, where):
                if str(entry.get(collection.id_name)) == resource_id:
                    return entry
        raise Problem(
            NOT_FOUND,
            f"{_noun(collection)} {shorten(resource_id)} not found" + (" (it was deleted)." if kept else "."),
            "path",
            collection.id_param,
        )

    def _all(self, call: Call, collection: Collection, where: str) -> list[dict[str, Any]]:
        """The world's entities (as this session changed them), then the resources written here."""
        written = call.server.state.resources(call.vendor, call.session, where)
        changed = dict(written)
        assert collection.resource is not None
        name = collection.id_name
        records: list[dict[str, Any]] = []
        world_ids = set()
        for entry in self._world(call, collection, where):
            entity_id = str(entry.get(name))
            world_ids.add(entity_id)
            if entity_id not in changed:
                records.append(entry)
            elif changed[entity_id] is not None:
                records.append(changed[entity_id])  # type: ignore[arg-type]
        records += [record for rid, record in written if record is not None and rid not in world_ids]
        return records

    def _world(self, call: Call, collection: Collection, where: str) -> list[dict[str, Any]]:
        """The full records of the entities the vendor's world holds in this collection."""
        entries = self.profile.world_resources(collection.path, call.seed, call.world)
        if not entries:
            return []
        assert collection.resource is not None
        schema, name = collection.resource.schema, collection.id_name
        return [self._build(call, schema, where, str(entry["id"]), entry, name, stamp=False) for entry in entries]

    def _build(
        self,
        call: Call,
        schema: dict[str, Any],
        where: str,
        resource_id: str,
        written: Any,
        name: str,
        previous: dict[str, Any] | None = None,
        stamp: bool = True,
    ) -> dict[str, Any]:
        """A resource: generated from its schema for (seed, collection, id), what was written over
        it, then the server's fields."""
        rng = keyed_random(call.seed, call.vendor, "resource", where, resource_id)
        base = self.generator.generate(schema, rng)
        record = base if isinstance(base, dict) else {}
        if isinstance(written, dict):
            record = self._merged(record, {k: v for k, v in written.items() if k != name}, schema, rng, fresh=True)
        typed_id = _typed_id(resource_id, (schema.get("properties") or {}).get(name), self._resolve)
        record[name] = typed_id
        if previous is not None:
            for created in CREATED_NAMES:
                if created in previous:
                    record[created] = previous[created]
        if stamp:
            self._stamp(call, schema, record, created=previous is None)
        if not self._valid(record, schema):  # what was written cannot be kept as it is: the generated one
            record = base if isinstance(base, dict) else {}
            record[name] = typed_id
        return record

    def _merged(self, base: Any, patch: Any, schema: Any, rng: Any, fresh: bool = False) -> Any:
        """``patch`` over ``base`` (a JSON merge patch, RFC 7386): objects merge key by key, a null
        removes an optional key, and a value the resource's schema would refuse is left out.
        ``fresh``: ``base`` is generated, so a map the client wrote (an object without declared
        properties, say tags) replaces the generated one instead of joining it."""
        schema = deref(schema, self._resolve)
        if isinstance(patch, dict) and (schema.get("type") == "object" or "properties" in schema or not schema):
            if fresh and "properties" not in schema:
                base = {}
            if not isinstance(base, dict):
                generated = self.generator.generate(schema, rng) if schema else {}
                base = generated if isinstance(generated, dict) else {}
            merged = dict(base)
            properties = schema.get("properties") or {}
            extra = schema.get("additionalProperties", True)
            for key, value in patch.items():
                sub = properties.get(key)
                if sub is None:
                    if extra is False:
                        continue
                    sub = extra if isinstance(extra, dict) else _ANY
                if value is None and key not in schema.get("required", ()) and not self._valid(None, sub):
                    merged.pop(key, None)
                    continue
                merged[key] = self._merged(merged.get(key, _MISSING), value, sub, rng, fresh)
            return merged
        if self._valid(patch, schema):
            return patch
        if base is _MISSING:
            return self.generator.generate(schema, rng)
        return base

    def _fit(self, call: Call, schema: dict[str, Any], record: dict[str, Any], where: str) -> Any:
        """``record`` as ``schema`` shows it: its declared fields (a list's item often shows fewer)."""
        properties = schema.get("properties") or {}
        if not properties and self._valid(record, schema):
            return record
        rng = keyed_random(call.seed, call.vendor, "resource", where, str(record.get("id")), "fit")
        fitted = {}
        for key, sub in properties.items():
            if key in record and self._valid(record[key], sub):
                fitted[key] = record[key]
            elif key in schema.get("required", ()):
                fitted[key] = self.generator.generate(sub, rng)
        return fitted if self._valid(fitted, schema) else self.generator.generate(schema, rng)

    def _stamp(self, call: Call, schema: dict[str, Any], record: dict[str, Any], created: bool) -> None:
        """The server's times: creation (on create) and last change, where the schema has them."""
        properties = schema.get("properties") or {}
        now = iso_ms(call.now)
        for names, due in ((CREATED_NAMES, created), (UPDATED_NAMES, True)):
            for name in names:
                if due and name in properties and self._valid(now, properties[name]):
                    record[name] = now

    def _put(self, call: Call, where: str, resource_id: str, record: dict[str, Any] | None, new: bool = False) -> bool:
        try:
            return call.server.state.put_resource(call.vendor, call.session, where, resource_id, record, new)
        except StateFull as exc:
            raise Problem(STORAGE_FULL, f"Not stored: {exc}.", code=self.profile.storage_full_status) from None

    def _new_id(self, call: Call, where: str, number: int, id_schema: dict[str, Any]) -> str:
        if id_schema.get("type") == "integer":
            return str(number)
        rng = keyed_random(call.seed, call.vendor, "id", where, number)
        # A UUID where the id's schema takes one (most APIs' ids are), else what the schema describes.
        uuid = str(_uuid.UUID(int=rng.getrandbits(128), version=4))
        if self._valid(uuid, id_schema):
            return uuid
        return str(self.generator.generate(id_schema, rng))

    # --- answers ---------------------------------------------------------------------------------
    def _reply(self, call: Call, shape: Shape | None, record: dict[str, Any]) -> Reply:
        schema = success_schema(call.operation, self._resolve)
        if schema is None:
            return self._status(call, None)
        resource = shape.schema if shape else schema
        key = shape.key if shape else None
        properties = schema.get("properties") or {}
        if key is not None and key in properties:
            envelope = self._generated(call, schema, "", "envelope")
            envelope = envelope if isinstance(envelope, dict) else {}
            envelope[key] = self._fit(call, deref(properties[key], self._resolve), record, "")
            return self._status(call, envelope)
        if key is None and ("properties" in schema and set(properties) & set(resource.get("properties") or {})):
            return self._status(call, self._fit(call, schema, record, ""))
        return self._status(call, call.generate())  # a delete's empty object, an acknowledgement

    def _status(self, call: Call, body: Any) -> Reply:
        return Reply(body, call.operation.success_status)

    def _generated(self, call: Call, schema: dict[str, Any], where: str, part: str) -> Any:
        return self.generator.generate(schema, keyed_random(call.seed, call.vendor, "resource", where, part, call.request_key))

    def _paged(self, node: dict[str, Any], schema: dict[str, Any], following: str | None, total: int, depth: int) -> None:
        """Set (or take out) the next page's token and the total count in a list's envelope."""
        properties = schema.get("properties") or {}
        for key in list(properties):
            sub = deref(properties[key], self._resolve)
            if key in TOKEN_FIELDS:
                if following is not None:
                    node[key] = following
                elif key not in schema.get("required", ()):
                    node.pop(key, None)
                elif self._valid(None, sub):
                    node[key] = None
            elif key in TOTAL_FIELDS and sub.get("type") == "integer":
                node[key] = total
            elif depth < 2 and sub.get("type") == "object":
                if not isinstance(node.get(key), dict):  # an optional object the generator left out
                    if following is None or not set(sub.get("properties") or ()) & set(TOKEN_FIELDS):
                        continue
                    node[key] = {}  # ... that must carry the next page's token
                self._paged(node[key], sub, following, total, depth + 1)

    def _request_schema(self, call: Call) -> dict[str, Any]:
        body = call.operation.request_body
        if body is None or not body.content:
            return {}
        return deref(next(iter(body.content.values())), self._resolve)

    def _valid(self, value: Any, schema: Any) -> bool:
        return self.generator.valid(schema, value)


def _fill(template: str, params: dict[str, Any]) -> str:
    """A collection's concrete path: its template with the request's path parameters."""
    return re.sub(r"\{([^}/]+)\}", lambda m: quote(str(params.get(m.group(1), "")), safe=""), template)


def _typed_id(resource_id: str, schema: Any, resolve: Resolve) -> Any:
    if isinstance(schema, dict) and deref(schema, resolve).get("type") == "integer" and resource_id.lstrip("-").isdigit():
        return int(resource_id)
    return resource_id


def _noun(collection: Collection) -> str:
    """ "Bot" for /v1/admin/bots: the collection's last word, singular and capitalised."""
    word = collection.path.rsplit("/", 1)[-1].replace("-", " ").replace("_", " ")
    word = word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") else word
    return word[:1].upper() + word[1:] or "Resource"


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(token: str, name: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind == "offset" and value.isdigit():
            return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise Problem(
        INVALID_PARAMETER,
        f"Invalid query parameter '{name}': {shorten(token)} is not a token this list gave; "
        "pass the one the previous page returned, or none for the first page.",
        "query",
        name,
    )
